import { BrowserClient } from "../support/client";
import { startStack, type Stack } from "../support/stack";

const ADMIN = { email: "root@example.com", password: "an administrator passphrase" };
const PASSWORD = "correct horse battery";
let counter = 0;
const uniqueEmail = () => `sec${Date.now()}-${counter++}@example.com`;
const SIGN_UP = `mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { user { id } } }`;
const LOGIN = `mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { user { id } } }`;

describe("security through the gateway (Redis stores)", () => {
  let stack: Stack;
  let admin: BrowserClient;

  beforeAll(async () => {
    stack = await startStack("redis", {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOGIN_BACKOFF_AFTER: "3",
      LOGIN_THROTTLE_WINDOW: "2s",
    });
    admin = new BrowserClient(stack.gatewayUrl);
    const login = await admin.request(LOGIN, { e: ADMIN.email, p: ADMIN.password });
    expect(login.body.errors).toBeUndefined();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("marks responses that set or clear the cookie no-store, and logout clears only its own cookie", async () => {
    const client = new BrowserClient(stack.gatewayUrl);
    const signUp = await client.request(SIGN_UP, { e: uniqueEmail(), p: PASSWORD });
    expect(signUp.headers.get("cache-control")).toBe("no-store");
    const logout = await client.request(`mutation { logout }`);
    expect(logout.headers.get("cache-control")).toBe("no-store");
    // Clear-Site-Data: "cookies" would wipe every cookie of the registrable domain, other apps' included.
    expect(logout.headers.get("clear-site-data")).toBeNull();
    expect(logout.setCookies).toEqual([expect.stringMatching(/^fedsession=;.*Max-Age=0/i)]);
  });

  it("clears a cookie the store does not know", async () => {
    const stranger = await new BrowserClient(stack.gatewayUrl).request(
      `{ me { id } }`,
      {},
      { cookie: `fedsession=${"a".repeat(22)}.${"b".repeat(43)}` },
    );
    expect(stranger.setCookies).toEqual([expect.stringMatching(/^fedsession=; .*Max-Age=0/)]);
    expect(stranger.headers.get("cache-control")).toBe("no-store");
  });

  it("backs failed logins off per account with RATE_LIMITED and a retry time, leaves other accounts alone, and lets the owner back in after the wait", async () => {
    const victim = uniqueEmail();
    const bystander = uniqueEmail();
    await new BrowserClient(stack.gatewayUrl).request(SIGN_UP, { e: victim, p: PASSWORD });
    await new BrowserClient(stack.gatewayUrl).request(SIGN_UP, { e: bystander, p: PASSWORD });
    const attacker = new BrowserClient(stack.gatewayUrl);
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const attempt = await attacker.request(LOGIN, { e: victim, p: "wrong password here" });
      codes.push(attempt.body.errors?.[0]?.extensions?.code as string);
    }
    expect(codes.slice(0, 3)).toEqual(["UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED"]);
    expect(codes.slice(3)).toEqual(["RATE_LIMITED", "RATE_LIMITED"]);
    const limited = await attacker.request(LOGIN, { e: victim, p: PASSWORD });
    expect(limited.body.errors?.[0]?.extensions).toMatchObject({
      code: "RATE_LIMITED",
      retryAfterSeconds: expect.any(Number),
    });

    expect(
      (await new BrowserClient(stack.gatewayUrl).request(LOGIN, { e: bystander, p: PASSWORD })).body.errors,
    ).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(
      (await new BrowserClient(stack.gatewayUrl).request(LOGIN, { e: victim, p: PASSWORD })).body.errors,
    ).toBeUndefined();
  });

  it("disabling an account ends its sessions and blocks login; enabling it again revives nothing", async () => {
    const email = uniqueEmail();
    const user = new BrowserClient(stack.gatewayUrl);
    const signUp = await user.request(SIGN_UP, { e: email, p: PASSWORD });
    const userId = (signUp.body.data?.signUp as { user: { id: string } }).user.id;
    const disable = await admin.request(`mutation ($id: ID!) { setUserDisabled(userId: $id, disabled: true) { id } }`, {
      id: userId,
    });
    expect(disable.body.errors).toBeUndefined();
    expect((await user.request(`{ me { id } }`)).body.data?.me).toBeNull();
    const blocked = await new BrowserClient(stack.gatewayUrl).request(LOGIN, { e: email, p: PASSWORD });
    expect(blocked.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    await admin.request(`mutation ($id: ID!) { setUserDisabled(userId: $id, disabled: false) { id } }`, { id: userId });
    const replay = await new BrowserClient(stack.gatewayUrl).request(
      `{ me { id } }`,
      {},
      { cookie: user.cookieHeader() ?? "" },
    );
    expect(replay.body.data?.me).toBeNull();
    expect(
      (await new BrowserClient(stack.gatewayUrl).request(LOGIN, { e: email, p: PASSWORD })).body.errors,
    ).toBeUndefined();
  });

  it("refuses admin mutations without the permission, before any subgraph runs them", async () => {
    const user = new BrowserClient(stack.gatewayUrl);
    const signUp = await user.request(SIGN_UP, { e: uniqueEmail(), p: PASSWORD });
    const userId = (signUp.body.data?.signUp as { user: { id: string } }).user.id;
    const escalate = await user.request(
      `mutation ($id: ID!) { setUserPermissions(userId: $id, permissions: ["users:admin"]) { permissions } }`,
      { id: userId },
    );
    expect(escalate.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const revokeAll = await user.request(`mutation ($id: ID!) { revokeUserSessions(userId: $id) }`, { id: userId });
    expect(revokeAll.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await user.request(`{ me { permissions } }`)).body.data?.me).toEqual({
      permissions: ["documents:read", "documents:write"],
    });
  });

  it("refuses an @authenticated field to an anonymous caller at the gateway, nulling by the GraphQL non-null rules", async () => {
    // mySessions is [Session!]!, so its null propagates to data, as the spec requires; the error names the field.
    const result = await new BrowserClient(stack.gatewayUrl).request(
      `{ mySessions { id } publicDocuments(first: 1) { id } }`,
    );
    expect(result.status).toBe(200);
    expect(result.body.data).toBeNull();
    expect(result.body.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [["mySessions"], "UNAUTHENTICATED"],
    ]);
    const allowed = await new BrowserClient(stack.gatewayUrl).request(`{ publicDocuments(first: 1) { id } }`);
    expect(allowed.body.errors).toBeUndefined();
  });

  it("never writes a password, session token or refresh token to any service's log", async () => {
    const email = uniqueEmail();
    const browser = new BrowserClient(stack.gatewayUrl);
    await browser.request(SIGN_UP, { e: email, p: PASSWORD });
    const token = browser.cookies.get("fedsession") as string;
    await browser.request(`{ me { id } currentSession { id } }`);
    await browser.request(LOGIN, { e: email, p: "a wrong password" });
    const app = await new BrowserClient(stack.gatewayUrl).request(
      `mutation ($e: String!, $p: String!) { login(email: $e, password: $p, transport: TOKEN) { accessToken refreshToken } }`,
      { e: email, p: PASSWORD },
    );
    const tokens = app.body.data?.login as { accessToken: string; refreshToken: string };
    await new BrowserClient(stack.gatewayUrl).request(
      `mutation ($t: String!) { refreshSession(refreshToken: $t) { accessToken } }`,
      { t: tokens.refreshToken },
    );
    await browser.request(`mutation { logout }`);
    const logs = stack.logs.join("\n");
    expect(logs).toContain("audit.");
    for (const secret of [
      PASSWORD,
      "a wrong password",
      token.split(".")[1] as string,
      tokens.refreshToken.split(".")[1] as string,
      tokens.accessToken,
    ]) {
      expect(logs).not.toContain(secret);
    }
  });
});
