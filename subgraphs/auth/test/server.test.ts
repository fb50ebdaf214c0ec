import {
  generateKeyMaterial,
  importSigningKey,
  listen,
  publicKeys,
  silentLogger,
  type RunningServer,
} from "@fedsession/runtime";
import {
  createSessionServiceClient,
  formatSessionToken,
  parseSessionToken,
  type CreateSessionRequest,
  type CreateSessionResponse,
} from "@fedsession/session-client";
import {
  ANONYMOUS,
  GATEWAY_CONTEXT_HEADER,
  SESSION_ID_HEADER,
  SET_SESSION_HEADER,
  USER_ID_HEADER,
  USER_PERMISSIONS_HEADER,
  signContext,
  type ContextSigningKey,
  type Identity,
} from "@fedsession/subgraph-kit";
import { TestClock } from "@fedsession/testing";
import type { JSONWebKeySet } from "jose";
import { ADMINISTRATOR_PERMISSIONS, createAccounts, type Accounts } from "../src/accounts";
import { createPasswords, type Passwords } from "../src/passwords";
import { createAuthServer, type AuthServer } from "../src/server";
import type { SessionCreator } from "../src/sessions";
import { createMemoryUserStore } from "../src/store/memory";
import type { UserRecord, UserStore } from "../src/store/user-store";

const SESSION_MAX_AGE_SECONDS = 1800;

/** Stands in for the session service (not a store): records what auth asked for and answers with well-formed tokens. */
class RecordingSessionService implements SessionCreator {
  readonly requests: CreateSessionRequest[] = [];
  readonly tokens: string[] = [];
  private count = 0;

  constructor(private readonly clock: TestClock) {}

  async createSession(request: CreateSessionRequest): Promise<CreateSessionResponse> {
    this.requests.push(request);
    this.count += 1;
    const id = `session${String(this.count).padStart(15, "0")}`;
    const token = formatSessionToken({ id, secret: `${"s".repeat(42)}${this.count % 10}` });
    this.tokens.push(token);
    const expiresAt = new Date(this.clock.now().getTime() + SESSION_MAX_AGE_SECONDS * 1000).toISOString();
    return { token, session: { id, expiresAt, maxAgeSeconds: SESSION_MAX_AGE_SECONDS } };
  }
}

/** Counts batch lookups, to show that entity references share one findByIds per request. */
function countingStore(store: UserStore, batches: (readonly string[])[]): UserStore {
  return {
    ...store,
    findByIds: (ids) => {
      batches.push([...ids]);
      return store.findByIds(ids);
    },
  };
}

interface GraphQLResponse {
  status: number;
  headers: Headers;
  text: string;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: unknown[]; extensions?: { code?: string } }[];
  };
}

describe("auth subgraph over HTTP", () => {
  const clock = new TestClock();
  let gatewayKey: ContextSigningKey;
  let gatewayJwks: JSONWebKeySet;
  let passwords: Passwords;
  let users: UserStore;
  let accounts: Accounts;
  let sessions: RecordingSessionService;
  let batches: (readonly string[])[];
  let server: AuthServer;
  let running: RunningServer;

  async function startServer(sessionCreator: SessionCreator): Promise<{ server: AuthServer; running: RunningServer }> {
    const built = await createAuthServer({
      users,
      accounts,
      sessions: sessionCreator,
      gatewayJwks,
      logger: silentLogger,
      production: false,
      clock: clock.now,
    });
    return { server: built, running: await listen(built.handler, 0) };
  }

  async function headersFor(identity: Identity): Promise<Record<string, string>> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      [GATEWAY_CONTEXT_HEADER]: await signContext(identity, "auth", gatewayKey, clock.now()),
    };
    if (identity.authenticated) {
      headers[USER_ID_HEADER] = identity.userId;
      headers[USER_PERMISSIONS_HEADER] = identity.permissions.join(",");
      headers[SESSION_ID_HEADER] = identity.sessionId;
    }
    return headers;
  }

  async function post(
    url: string,
    headers: Record<string, string>,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<GraphQLResponse> {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      text,
      body: JSON.parse(text) as GraphQLResponse["body"],
    };
  }

  const execute = async (identity: Identity, query: string, variables: Record<string, unknown> = {}) =>
    post(running.url, await headersFor(identity), query, variables);

  const identityOf = (user: UserRecord): Identity => ({
    authenticated: true,
    userId: user.id,
    permissions: user.permissions,
    sessionId: "session-of-test",
  });

  const SIGN_UP = `mutation ($email: String!, $password: String!) {
    signUp(email: $email, password: $password) { user { id email permissions } expiresAt }
  }`;
  const LOGIN = `mutation ($email: String!, $password: String!) {
    login(email: $email, password: $password, transport: COOKIE) { user { id email } expiresAt }
  }`;
  const USER_ENTITIES = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id email } } }`;

  beforeAll(async () => {
    const material = await generateKeyMaterial(true);
    gatewayKey = await importSigningKey(material, "gateway");
    gatewayJwks = publicKeys(material, "gateway");
    passwords = await createPasswords({ cost: 4 });
  });

  beforeEach(async () => {
    batches = [];
    users = countingStore(createMemoryUserStore(), batches);
    accounts = createAccounts({ users, passwords, clock: clock.now });
    sessions = new RecordingSessionService(clock);
    ({ server, running } = await startServer(sessions));
  });

  afterEach(async () => {
    await running.close();
    await server.stop();
  });

  it("signs up, opens a session for the new user and hands its token only in the internal header", async () => {
    const response = await execute(ANONYMOUS, SIGN_UP, { email: " Alice@Example.com", password: "alice-password-1" });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const stored = await users.findByEmail("alice@example.com");
    expect(response.body.data).toEqual({
      signUp: {
        user: { id: stored?.id, email: "alice@example.com", permissions: ["documents:read", "documents:write"] },
        expiresAt: new Date(clock.now().getTime() + SESSION_MAX_AGE_SECONDS * 1000).toISOString(),
      },
    });
    expect(sessions.requests).toEqual([
      {
        userId: stored?.id,
        permissions: ["documents:read", "documents:write"],
        userAgent: null,
        ip: null,
        transport: "COOKIE",
      },
    ]);

    const header = response.headers.get(SET_SESSION_HEADER);
    const match = /^([^;]+); max-age=(\d+)$/.exec(header ?? "");
    expect(match?.[2]).toBe(String(SESSION_MAX_AGE_SECONDS));
    const token = match?.[1] ?? "";
    expect(parseSessionToken(token)).not.toBeNull();
    expect(token).toBe(sessions.tokens[0]);
    expect(response.text).not.toContain(token);
    expect(response.text).not.toContain(parseSessionToken(token)?.secret);
  });

  it("refuses a sign-up with a taken email as BAD_USER_INPUT and opens no session", async () => {
    await accounts.signUp("bob@example.com", "bob-password-1");
    const response = await execute(ANONYMOUS, SIGN_UP, { email: "BOB@example.com", password: "other-password-1" });
    expect(response.body.errors?.[0]).toMatchObject({
      message: "An account with this email already exists",
      extensions: { code: "BAD_USER_INPUT" },
    });
    expect(response.headers.get(SET_SESSION_HEADER)).toBeNull();
    expect(sessions.requests).toEqual([]);
  });

  it("logs in with the right password and sets the session header", async () => {
    const carol = await accounts.signUp("carol@example.com", "carol-password-1");
    const response = await execute(ANONYMOUS, LOGIN, { email: "carol@example.com", password: "carol-password-1" });
    expect(response.body.data).toMatchObject({ login: { user: { id: carol.id, email: "carol@example.com" } } });
    expect(parseSessionToken(response.headers.get(SET_SESSION_HEADER)?.split(";")[0] ?? "")).not.toBeNull();
    expect(sessions.requests).toEqual([
      { userId: carol.id, permissions: carol.permissions, userAgent: null, ip: null, transport: "COOKIE" },
    ]);
  });

  it("answers an unknown email and a wrong password with the same UNAUTHENTICATED error and no session", async () => {
    await accounts.signUp("dave@example.com", "dave-password-1");
    const wrong = await execute(ANONYMOUS, LOGIN, { email: "dave@example.com", password: "wrong-password-1" });
    const unknown = await execute(ANONYMOUS, LOGIN, { email: "nobody@example.com", password: "dave-password-1" });
    expect(wrong.body.errors?.[0]).toMatchObject({
      message: "Invalid email or password",
      extensions: { code: "UNAUTHENTICATED" },
    });
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.headers.get(SET_SESSION_HEADER)).toBeNull();
    expect(sessions.requests).toEqual([]);
  });

  it("answers 503 SESSION_STORE_UNAVAILABLE when the session service cannot be reached", async () => {
    await accounts.signUp("erin@example.com", "erin-password-1");
    const unreachable = createSessionServiceClient({
      baseUrl: "http://127.0.0.1:1",
      from: "auth",
      signingKey: await importSigningKey(await generateKeyMaterial(true), "auth"),
      timeoutMs: 500,
    });
    const isolated = await startServer(unreachable);
    try {
      const response = await post(isolated.running.url, await headersFor(ANONYMOUS), LOGIN, {
        email: "erin@example.com",
        password: "erin-password-1",
      });
      expect(response.status).toBe(503);
      expect(response.body.errors?.[0]?.extensions).toEqual({ code: "SESSION_STORE_UNAVAILABLE" });
      expect(response.headers.get(SET_SESSION_HEADER)).toBeNull();
    } finally {
      await isolated.running.close();
      await isolated.server.stop();
    }
  });

  it("answers me with null for an anonymous caller", async () => {
    const response = await execute(ANONYMOUS, "{ me { id } }");
    expect(response.body).toEqual({ data: { me: null } });
  });

  it("answers me with the caller's own email and permissions", async () => {
    const frank = await accounts.signUp("frank@example.com", "frank-password-1");
    const response = await execute(identityOf(frank), "{ me { id email permissions } }");
    expect(response.body).toEqual({
      data: { me: { id: frank.id, email: "frank@example.com", permissions: ["documents:read", "documents:write"] } },
    });
  });

  it("answers me with null when the signed-in user no longer exists", async () => {
    const ghost: Identity = { authenticated: true, userId: "u-deleted", permissions: [], sessionId: "s-old" };
    await expect(execute(ghost, "{ me { id } }")).resolves.toMatchObject({ body: { data: { me: null } } });
  });

  it("refuses another user's email with FORBIDDEN through _entities but still resolves the reference", async () => {
    const grace = await accounts.signUp("grace@example.com", "grace-password-1");
    const heidi = await accounts.signUp("heidi@example.com", "heidi-password-1");
    const response = await execute(identityOf(heidi), USER_ENTITIES, {
      representations: [{ __typename: "User", id: grace.id }],
    });
    expect(response.body.errors?.[0]).toMatchObject({
      path: ["_entities", 0, "email"],
      extensions: { code: "FORBIDDEN" },
    });
    expect(response.text).not.toContain("grace@example.com");

    const idOnly = await execute(
      ANONYMOUS,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }`,
      {
        r: [{ __typename: "User", id: grace.id }],
      },
    );
    expect(idOnly.body).toEqual({ data: { _entities: [{ id: grace.id }] } });
  });

  it("shows any user's email to a holder of users:admin, loading all references in one batch", async () => {
    const ivan = await accounts.signUp("ivan@example.com", "ivan-password-1");
    const judy = await accounts.signUp("judy@example.com", "judy-password-1");
    const admin: Identity = {
      authenticated: true,
      userId: "u-admin",
      permissions: [...ADMINISTRATOR_PERMISSIONS],
      sessionId: "s-admin",
    };
    const representations = [ivan, judy, ivan].map((user) => ({ __typename: "User", id: user.id }));
    const response = await execute(admin, USER_ENTITIES, { representations });
    expect(response.body).toEqual({
      data: {
        _entities: [
          { id: ivan.id, email: "ivan@example.com" },
          { id: judy.id, email: "judy@example.com" },
          { id: ivan.id, email: "ivan@example.com" },
        ],
      },
    });
    expect(batches).toEqual([[ivan.id, judy.id]]);
  });

  it("refuses bare identity headers without a signed context with 401 and runs nothing", async () => {
    const response = await post(
      running.url,
      { "content-type": "application/json", [USER_ID_HEADER]: "u-mallory", [USER_PERMISSIONS_HEADER]: "users:admin" },
      SIGN_UP,
      {
        email: "mallory@example.com",
        password: "mallory-password-1",
      },
    );
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    await expect(users.findByEmail("mallory@example.com")).resolves.toBeNull();
  });
});
