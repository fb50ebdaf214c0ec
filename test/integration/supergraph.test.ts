import { generateKeyMaterial, importSigningKey } from "@fedsession/runtime";
import {
  GATEWAY_CONTEXT_HEADER,
  USER_ID_HEADER,
  USER_PERMISSIONS_HEADER,
  SESSION_ID_HEADER,
  signContext,
  type Identity,
} from "@fedsession/subgraph-kit";
import { BrowserClient } from "../support/client";
import { startStack, type Stack, type StoreKind } from "../support/stack";

const SIGN_UP = `mutation ($email: String!, $password: String!) { signUp(email: $email, password: $password) { user { id email permissions } expiresAt } }`;
const LOGIN = `mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { user { id email } expiresAt } }`;
const ME = `{ me { id email permissions } }`;
const COOKIE_NAME = "fedsession";

let counter = 0;
const uniqueEmail = () => `user${Date.now()}-${counter++}@example.com`;
const PASSWORD = "correct horse battery";

async function signedUpClient(stack: Stack, email = uniqueEmail()) {
  const client = new BrowserClient(stack.gatewayUrl);
  const result = await client.request(SIGN_UP, { email, password: PASSWORD });
  expect(result.body.errors).toBeUndefined();
  const user = (result.body.data?.signUp as { user: { id: string } }).user;
  return { client, email, userId: user.id, token: client.cookies.get(COOKIE_NAME) as string };
}

describe.each<StoreKind>(["memory", "redis"])("the supergraph end to end on %s stores", (kind) => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(kind);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("signing up sets an HttpOnly session cookie, keeps the token out of the body, and me answers with the user", async () => {
    const email = uniqueEmail();
    const client = new BrowserClient(stack.gatewayUrl);
    const signUp = await client.request(SIGN_UP, { email: `  ${email.toUpperCase()} `, password: PASSWORD });
    expect(signUp.status).toBe(200);
    expect(signUp.body.errors).toBeUndefined();
    expect(signUp.setCookies).toHaveLength(1);
    expect(signUp.setCookies[0]).toMatch(
      /^fedsession=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/,
    );
    const token = client.cookies.get(COOKIE_NAME) as string;
    expect(JSON.stringify(signUp.body)).not.toContain(token.split(".")[1]);
    expect(signUp.headers.get("x-fedsession-set-session")).toBeNull();

    const me = await client.request(ME);
    expect(me.body.data?.me).toEqual({
      id: expect.any(String),
      email,
      permissions: ["documents:read", "documents:write"],
    });
  });

  it("logging in with the right password starts a new session; a wrong password and an unknown email fail alike", async () => {
    const { email } = await signedUpClient(stack);
    const browser = new BrowserClient(stack.gatewayUrl);
    const login = await browser.request(LOGIN, { email, password: PASSWORD });
    expect(login.body.errors).toBeUndefined();
    expect((await browser.request(ME)).body.data?.me).toMatchObject({ email });

    const wrongPassword = await new BrowserClient(stack.gatewayUrl).request(LOGIN, {
      email,
      password: "not the password",
    });
    const unknownEmail = await new BrowserClient(stack.gatewayUrl).request(LOGIN, {
      email: uniqueEmail(),
      password: PASSWORD,
    });
    for (const failed of [wrongPassword, unknownEmail]) {
      expect(failed.setCookies).toEqual([]);
      expect(failed.body.data).toBeNull();
    }
    expect(wrongPassword.status).toBe(unknownEmail.status);
    expect(wrongPassword.body.errors).toEqual(unknownEmail.body.errors);
    expect(wrongPassword.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("answers a query spanning auth and documents with the identity each subgraph verified", async () => {
    const { client, email, userId } = await signedUpClient(stack);
    const created = await client.request(
      `mutation { createDocument(title: "Plan", body: "secret plan") { id owner { id email } } }`,
    );
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data?.createDocument).toMatchObject({ owner: { id: userId, email } });
    await client.request(`mutation { createDocument(title: "Notice", body: "hello", public: true) { id } }`);

    const mine = await client.request(`{ me { email documents { title public } } currentSession { id current } }`);
    expect(mine.body.errors).toBeUndefined();
    expect(mine.body.data).toMatchObject({
      me: {
        email,
        documents: expect.arrayContaining([
          { title: "Plan", public: false },
          { title: "Notice", public: true },
        ]),
      },
      currentSession: { current: true },
    });

    const stranger = new BrowserClient(stack.gatewayUrl);
    const publicOnly = await stranger.request(`{ publicDocuments(first: 100) { title owner { id } } me { id } }`);
    const titles = (publicOnly.body.data?.publicDocuments as { title: string }[]).map((doc) => doc.title);
    expect(titles).toContain("Notice");
    expect(titles).not.toContain("Plan");
    expect(publicOnly.body.data?.me).toBeNull();
  });

  it("logging out ends the session: the cookie is cleared, the old token is anonymous, and the store forgets it", async () => {
    const { client, token } = await signedUpClient(stack);
    const sessionId = token.split(".")[0] as string;
    const logout = await client.request(`mutation { logout }`);
    expect(logout.body.data).toEqual({ logout: true });
    expect(logout.setCookies).toEqual([expect.stringMatching(/^fedsession=; .*Max-Age=0/)]);
    expect(client.cookies.has(COOKIE_NAME)).toBe(false);

    const replay = await new BrowserClient(stack.gatewayUrl).request(ME, {}, { cookie: `${COOKIE_NAME}=${token}` });
    expect(replay.status).toBe(200);
    expect(replay.body.data?.me).toBeNull();
    if (stack.redis) {
      const keys = await stack.redis.keys();
      expect(keys.filter((key) => key.includes(sessionId))).toEqual([]);
    }
  });

  it("a planted or guessed session id gives no identity", async () => {
    const { token } = await signedUpClient(stack);
    const [id] = token.split(".") as [string];
    const guesses = [`${id}.${"A".repeat(43)}`, id, `${id}.`, `${token}x`, `${token}; ${COOKIE_NAME}=${token}`];
    for (const guess of guesses) {
      const result = await new BrowserClient(stack.gatewayUrl).request(ME, {}, { cookie: `${COOKIE_NAME}=${guess}` });
      expect(result.status).toBe(200);
      expect(result.body.data?.me).toBeNull();
    }
  });

  it("ignores identity headers a client sends, whatever their case or count", async () => {
    const { client, userId } = await signedUpClient(stack);
    const attacker = new BrowserClient(stack.gatewayUrl);
    const forged = await signContext(
      { authenticated: true, userId, permissions: ["users:admin"], sessionId: "x" },
      "auth",
      await importSigningKey(await generateKeyMaterial(true), "gateway"),
    );
    const headerSets: Record<string, string>[] = [
      { "x-user-id": userId },
      { "X-User-Id": userId, "X-User-Permissions": "users:admin,documents:write" },
      { "X-USER-ID": userId, "x-session-id": "anything" },
      { "x-gateway-context": forged, "x-user-id": userId },
    ];
    for (const headers of headerSets) {
      const me = await attacker.request(ME, {}, headers);
      expect(me.body.data?.me).toBeNull();
    }
    const duplicated = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: [
        ["content-type", "application/json"],
        ["x-user-id", userId],
        ["X-User-Id", userId],
      ],
      body: JSON.stringify({ query: ME }),
    });
    expect(((await duplicated.json()) as { data: { me: unknown } }).data.me).toBeNull();

    const write = await attacker.request(
      `mutation { createDocument(title: "Forged", body: "x") { id } }`,
      {},
      { "x-user-id": userId, "x-user-permissions": "documents:write" },
    );
    expect(write.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    const own = await client.request(ME, {}, { "x-user-id": "someone-else" });
    expect((own.body.data?.me as { id: string }).id).toBe(userId);
  });

  describe("a subgraph called directly, not through the gateway", () => {
    const entities = `query { _entities(representations: [{ __typename: "User", id: "u-1" }]) { ... on User { id } } }`;
    const call = async (url: string, headers: Record<string, string>, query = `{ publicDocuments { id } }`) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query }),
      });
    const identity: Identity = {
      authenticated: true,
      userId: "u-1",
      permissions: ["documents:read", "documents:write"],
      sessionId: "s-1",
    };
    const plainHeaders = {
      [USER_ID_HEADER]: "u-1",
      [USER_PERMISSIONS_HEADER]: "documents:read,documents:write",
      [SESSION_ID_HEADER]: "s-1",
    };

    it("refuses bare identity headers, including an _entities call", async () => {
      expect((await call(stack.documentsUrl, plainHeaders)).status).toBe(401);
      expect((await call(stack.documentsUrl, plainHeaders, entities)).status).toBe(401);
      expect((await call(stack.authUrl, plainHeaders, entities)).status).toBe(401);
      expect((await call(stack.sessionUrl, plainHeaders, `{ currentSession { id } }`)).status).toBe(401);
    });

    it("refuses a context signed by a key the gateway does not publish", async () => {
      const stranger = await importSigningKey(await generateKeyMaterial(true), "gateway");
      const token = await signContext(identity, "documents", stranger);
      expect((await call(stack.documentsUrl, { ...plainHeaders, [GATEWAY_CONTEXT_HEADER]: token })).status).toBe(401);
    });

    it("refuses a context signed for another subgraph", async () => {
      const token = await signContext(identity, "auth", await importSigningKey(stack.keys, "gateway"));
      expect((await call(stack.documentsUrl, { ...plainHeaders, [GATEWAY_CONTEXT_HEADER]: token })).status).toBe(401);
    });

    it("refuses an expired context", async () => {
      const token = await signContext(
        identity,
        "documents",
        await importSigningKey(stack.keys, "gateway"),
        new Date(Date.now() - 120_000),
      );
      const response = await call(stack.documentsUrl, { ...plainHeaders, [GATEWAY_CONTEXT_HEADER]: token });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]?.extensions.code).toBe("UNAUTHENTICATED");
    });

    it("accepts the gateway's own signed context", async () => {
      const token = await signContext(identity, "documents", await importSigningKey(stack.keys, "gateway"));
      expect((await call(stack.documentsUrl, { ...plainHeaders, [GATEWAY_CONTEXT_HEADER]: token })).status).toBe(200);
    });
  });

  it("serves its public keys and a health check", async () => {
    const origin = new URL(stack.gatewayUrl).origin;
    const jwks = (await (await fetch(`${origin}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; d?: string }[];
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]?.d).toBeUndefined();
    expect((await fetch(`${origin}/health`)).status).toBe(200);
  });

  if (kind === "redis") {
    it("Redis holds no raw session secret, and every session key expires", async () => {
      const { token } = await signedUpClient(stack);
      const secret = token.split(".")[1] as string;
      const redis = stack.redis!;
      let sessionKeys = 0;
      for (const key of await redis.keys()) {
        const type = await redis.raw.type(key);
        const dump =
          type === "string"
            ? await redis.raw.get(key)
            : JSON.stringify(type === "zset" ? await redis.raw.zrange(key, 0, -1) : await redis.raw.hgetall(key));
        expect(dump ?? "").not.toContain(secret);
        if (key.startsWith(`${redis.keyPrefix}s:{`)) {
          sessionKeys++;
          expect(await redis.raw.pttl(key)).toBeGreaterThan(0);
        }
      }
      expect(sessionKeys).toBeGreaterThan(0);
    });
  }
});
