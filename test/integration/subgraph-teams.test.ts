import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, silentLogger } from "@fedsession/runtime";
import { start as startGateway } from "../../gateway/src/main";
import { BrowserClient } from "../support/client";
import { startStack, type Stack } from "../support/stack";
import { BILLING_SUBGRAPH, composeWith } from "../support/supergraph";

const ADMIN = { email: "teams-admin@example.com", password: "an administrator passphrase" };
const LOGIN = `mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { user { id } } }`;
const SIGN_UP = `mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { user { id } } }`;
const SET_PERMISSIONS = `mutation ($id: ID!, $permissions: [String!]!) {
  setUserPermissions(userId: $id, permissions: $permissions) { permissions }
}`;

describe("a new subgraph's team, through the gateway", () => {
  let dir: string;
  let stack: Stack;
  let admin: BrowserClient;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "fedsession-teams-"));
    const supergraphPath = path.join(dir, "supergraph.graphql");
    // The supergraph after a team composed its billing subgraph in: no edit to auth or the gateway.
    await writeFile(supergraphPath, composeWith([BILLING_SUBGRAPH]));
    stack = await startStack("memory", {
      SUPERGRAPH_PATH: supergraphPath,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
    });
    admin = new BrowserClient(stack.gatewayUrl);
    expect((await admin.request(LOGIN, { e: ADMIN.email, p: ADMIN.password })).body.errors).toBeUndefined();
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("lets an administrator grant the new subgraph's scopes, which reach the user's next request", async () => {
    const user = new BrowserClient(stack.gatewayUrl);
    const signedUp = await user.request(SIGN_UP, { e: `teams-${Date.now()}@example.com`, p: "a user passphrase" });
    const id = (signedUp.body.data?.signUp as { user: { id: string } }).user.id;

    const granted = await admin.request(SET_PERMISSIONS, { id, permissions: ["billing:read", "documents:read"] });
    expect(granted.body).toEqual({ data: { setUserPermissions: { permissions: ["billing:read", "documents:read"] } } });
    expect((await user.request(`{ me { permissions } }`)).body.data?.me).toEqual({
      permissions: ["billing:read", "documents:read"],
    });
  });

  it("refuses a permission no subgraph asks for with BAD_USER_INPUT naming it", async () => {
    const refused = await admin.request(SET_PERMISSIONS, { id: "anyone", permissions: ["billing:delete"] });
    expect(refused.status).toBe(200);
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors).toEqual([
      {
        message: expect.stringMatching(/^Unknown permission "billing:delete"; use any of billing:admin, billing:read/),
        path: ["setUserPermissions"],
        extensions: { code: "BAD_USER_INPUT", serviceName: "auth" },
      },
    ]);
  });

  it("reaches every subgraph through SUBGRAPH_URL_<NAME> alone, and refuses one the supergraph lacks", async () => {
    const { SESSION_URL: _session, AUTH_URL: _auth, DOCUMENTS_URL: _documents, ...env } = stack.env;
    const urls = {
      SUBGRAPH_URL_SESSION: new URL(stack.sessionUrl).origin,
      SUBGRAPH_URL_AUTH: stack.authUrl,
      SUBGRAPH_URL_DOCUMENTS: new URL(stack.documentsUrl).origin,
    };
    const other = await startGateway({ ...env, ...urls }, silentLogger);
    try {
      const client = new BrowserClient(other.url);
      for (const [name, value] of admin.cookies) client.cookies.set(name, value);
      const answer = await client.request(`{ me { email } currentSession { current } publicDocuments { id } }`);
      expect(answer.body).toEqual({
        data: { me: { email: ADMIN.email }, currentSession: { current: true }, publicDocuments: expect.any(Array) },
      });
    } finally {
      await other.close();
    }
    await expect(
      startGateway({ ...env, ...urls, SUBGRAPH_URL_BILING: "http://127.0.0.1:9" }, silentLogger),
    ).rejects.toThrow(ConfigError);
  });
});
