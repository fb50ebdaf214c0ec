import { BrowserClient, type GraphQLResult } from "../support/client";
import { startStack, type Stack, type StoreKind } from "../support/stack";

const PASSWORD = "correct horse battery";
let counter = 0;
const uniqueEmail = () => `life${Date.now()}-${counter++}@example.com`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

async function bearer(
  stack: Stack,
  accessToken: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResult> {
  return new BrowserClient(stack.gatewayUrl).request(query, variables, { authorization: `Bearer ${accessToken}` });
}

describe.each<StoreKind>(["memory", "redis"])("session lifecycle through the gateway on %s stores", (kind) => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(kind, { SESSION_IDLE_TTL: "2s", SESSION_ABSOLUTE_TTL: "4s" });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("ends an idle session while an active one slides, and still ends the active one at the absolute lifetime", async () => {
    const email = uniqueEmail();
    const active = new BrowserClient(stack.gatewayUrl);
    await active.request(`mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { user { id } } }`, {
      e: email,
      p: PASSWORD,
    });
    const idle = new BrowserClient(stack.gatewayUrl);
    await idle.request(`mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { user { id } } }`, {
      e: email,
      p: PASSWORD,
    });
    const started = Date.now();
    while (Date.now() - started < 2600) {
      expect((await active.request(`{ me { email } }`)).body.data?.me).toEqual({ email });
      await sleep(400);
    }
    expect((await idle.request(`{ me { email } }`)).body.data?.me).toBeNull();
    expect((await active.request(`{ me { email } }`)).body.data?.me).toEqual({ email });
    while (Date.now() - started < 4300) {
      await active.request(`{ me { email } }`);
      await sleep(400);
    }
    expect((await active.request(`{ me { email } }`)).body.data?.me).toBeNull();
  });

  it("lists the caller's devices with exactly one current, and revoking one makes it anonymous on its next request", async () => {
    const email = uniqueEmail();
    const laptop = new BrowserClient(stack.gatewayUrl);
    await laptop.request(
      `mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { user { id } } }`,
      { e: email, p: PASSWORD },
      { "user-agent": "Laptop/1.0" },
    );
    const phone = new BrowserClient(stack.gatewayUrl);
    await phone.request(
      `mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { user { id } } }`,
      { e: email, p: PASSWORD },
      { "user-agent": "Phone/2.0" },
    );

    const listed = await laptop.request(`{ mySessions { id current userAgent ip } }`);
    const sessions = listed.body.data?.mySessions as { id: string; current: boolean; userAgent: string; ip: string }[];
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((session) => session.current)).toHaveLength(1);
    expect(sessions.map((session) => session.userAgent).sort()).toEqual(["Laptop/1.0", "Phone/2.0"]);
    expect(sessions.every((session) => session.ip === "127.0.0.1")).toBe(true);

    const phoneSession = sessions.find((session) => session.userAgent === "Phone/2.0") as { id: string };
    expect(
      (await laptop.request(`mutation ($id: ID!) { revokeSession(id: $id) }`, { id: phoneSession.id })).body.data,
    ).toEqual({ revokeSession: true });
    expect((await phone.request(`{ me { email } }`)).body.data?.me).toBeNull();
    expect((await laptop.request(`{ me { email } }`)).body.data?.me).toEqual({ email });
  });

  it("gives native apps tokens instead of a cookie, rotates refresh tokens, and revokes the session when one is reused", async () => {
    const app = new BrowserClient(stack.gatewayUrl);
    const signUp = await app.request(
      `mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p, transport: TOKEN) { accessToken accessTokenExpiresAt refreshToken user { id } } }`,
      { e: uniqueEmail(), p: PASSWORD },
    );
    expect(signUp.setCookies).toEqual([]);
    const first = signUp.body.data?.signUp as Tokens;
    expect(first.accessToken.split(".")).toHaveLength(3);
    expect((await bearer(stack, first.accessToken, `{ me { id } }`)).body.data?.me).not.toBeNull();

    const refreshed = await app.request(
      `mutation ($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }`,
      { t: first.refreshToken },
    );
    const second = refreshed.body.data?.refreshSession as Tokens;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await bearer(stack, second.accessToken, `{ me { id } }`)).body.data?.me).not.toBeNull();

    // A refresh token is not an access token, and an access token is not a refresh token.
    expect((await bearer(stack, second.refreshToken, `{ me { id } }`)).status).toBe(401);
    const swapped = await app.request(`mutation ($t: String!) { refreshSession(refreshToken: $t) { accessToken } }`, {
      t: second.accessToken,
    });
    expect(swapped.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    // The latest rotation's token may be retried for a few seconds (a lost answer); an older one is reuse.
    const third = (
      await app.request(`mutation ($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }`, {
        t: second.refreshToken,
      })
    ).body.data?.refreshSession as Tokens;
    const reuse = await app.request(`mutation ($t: String!) { refreshSession(refreshToken: $t) { accessToken } }`, {
      t: first.refreshToken,
    });
    expect(reuse.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const afterReuse = await bearer(stack, third.accessToken, `{ me { id } }`);
    expect(afterReuse.status).toBe(401);
    expect(afterReuse.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
  });

  it("logout with both a cookie and a bearer token ends the token's session and leaves the cookie's alone", async () => {
    const browser = new BrowserClient(stack.gatewayUrl);
    const email = uniqueEmail();
    await browser.request(`mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { user { id } } }`, {
      e: email,
      p: PASSWORD,
    });
    const app = await new BrowserClient(stack.gatewayUrl).request(
      `mutation ($e: String!, $p: String!) { login(email: $e, password: $p, transport: TOKEN) { accessToken } }`,
      { e: email, p: PASSWORD },
    );
    const { accessToken } = app.body.data?.login as { accessToken: string };
    const logout = await browser.request(`mutation { logout }`, {}, { authorization: `Bearer ${accessToken}` });
    expect(logout.body.data).toEqual({ logout: true });
    expect(logout.setCookies).toEqual([]);
    expect((await bearer(stack, accessToken, `{ me { id } }`)).status).toBe(401);
    expect((await browser.request(`{ me { email } }`)).body.data?.me).toEqual({ email });
  });

  it("keeps small session data, refuses oversized data with BAD_USER_INPUT, and deletes a key set to null", async () => {
    const client = new BrowserClient(stack.gatewayUrl);
    await client.request(`mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { user { id } } }`, {
      e: uniqueEmail(),
      p: PASSWORD,
    });
    await client.request(`mutation { setSessionData(key: "cart", value: { items: [1, 2] }) { id } }`);
    expect((await client.request(`{ currentSession { data } }`)).body.data?.currentSession).toEqual({
      data: { cart: { items: [1, 2] } },
    });
    const big = await client.request(`mutation ($v: JSON) { setSessionData(key: "big", value: $v) { id } }`, {
      v: "x".repeat(5000),
    });
    expect(big.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    await client.request(`mutation { setSessionData(key: "cart", value: null) { id } }`);
    expect((await client.request(`{ currentSession { data } }`)).body.data?.currentSession).toEqual({ data: {} });
  });

  it("changing the password ends the other sessions and gives the caller a new cookie", async () => {
    const email = uniqueEmail();
    const me = new BrowserClient(stack.gatewayUrl);
    await me.request(`mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { user { id } } }`, {
      e: email,
      p: PASSWORD,
    });
    const other = new BrowserClient(stack.gatewayUrl);
    await other.request(`mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { user { id } } }`, {
      e: email,
      p: PASSWORD,
    });
    const oldCookie = me.cookieHeader();
    const change = await me.request(
      `mutation { changePassword(currentPassword: "${PASSWORD}", newPassword: "a brand new passphrase") }`,
    );
    expect(change.body.data).toEqual({ changePassword: true });
    expect(me.cookieHeader()).not.toBe(oldCookie);
    expect((await me.request(`{ me { email } }`)).body.data?.me).toEqual({ email });
    expect((await other.request(`{ me { email } }`)).body.data?.me).toBeNull();
    const replay = await new BrowserClient(stack.gatewayUrl).request(
      `{ me { email } }`,
      {},
      { cookie: oldCookie as string },
    );
    expect(replay.body.data?.me).toBeNull();
  });
});
