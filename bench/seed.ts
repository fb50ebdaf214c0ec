import { randomBytes } from "node:crypto";
import { cookieHeader, describeFailure, postGraphQL, sessionCookieFrom } from "./client";
import { CREATE_DOCUMENT, LOGIN, LOGIN_WITH_TOKEN, SIGN_UP } from "./queries";

export interface Account {
  email: string;
  password: string;
}

export const PUBLIC_DOCUMENTS = 10;
const PRIVATE_DOCUMENTS = 5;

export function newAccount(label: string): Account {
  return {
    email: `bench-${label}-${randomBytes(4).toString("hex")}@example.com`,
    password: `Pw-${randomBytes(12).toString("base64url")}`,
  };
}

/** Creates the account and returns the session cookie its sign-up set. */
export async function signUp(gatewayUrl: string, account: Account): Promise<string> {
  const reply = await postGraphQL(gatewayUrl, SIGN_UP, { ...account });
  const cookie = sessionCookieFrom(reply);
  if (cookie === null) throw describeFailure(`signUp ${account.email}`, reply);
  return cookie;
}

export async function login(gatewayUrl: string, account: Account): Promise<string> {
  const reply = await postGraphQL(gatewayUrl, LOGIN, { ...account });
  const cookie = sessionCookieFrom(reply);
  if (cookie === null) throw describeFailure(`login ${account.email}`, reply);
  return cookie;
}

/** An access token of a TOKEN-transport session, or null when the deployed schema has no token transport. */
export async function loginForAccessToken(gatewayUrl: string, account: Account): Promise<string | null> {
  const reply = await postGraphQL(gatewayUrl, LOGIN_WITH_TOKEN, { ...account });
  const login = reply.data?.login;
  if (typeof login === "object" && login !== null && "accessToken" in login && typeof login.accessToken === "string") {
    return login.accessToken;
  }
  if (reply.errors.some((error) => error.extensions?.code === "GRAPHQL_VALIDATION_FAILED")) return null;
  throw describeFailure("login with transport TOKEN", reply);
}

/** Ten public documents for the public query and a few private ones for the two-subgraph query. */
export async function seedDocuments(gatewayUrl: string, cookie: string): Promise<void> {
  for (let i = 0; i < PUBLIC_DOCUMENTS + PRIVATE_DOCUMENTS; i++) {
    const isPublic = i < PUBLIC_DOCUMENTS;
    const reply = await postGraphQL(
      gatewayUrl,
      CREATE_DOCUMENT,
      { title: `Benchmark document ${i + 1}`, body: "x".repeat(200), public: isPublic },
      cookieHeader(cookie),
    );
    if (reply.data?.createDocument == null) throw describeFailure("createDocument", reply);
  }
}
