import { createHash } from "node:crypto";
import {
  createLogger,
  generateKeyMaterial,
  publicKeys,
  importSigningKey,
  listen,
  type KeyMaterial,
  type RunningServer,
} from "@fedsession/runtime";
import {
  CREATE_SESSION_PATH,
  MAX_RESOLVE_BATCH,
  RESOLVE_SESSIONS_PATH,
  REVOKE_USER_SESSIONS_PATH,
  UPDATE_USER_PERMISSIONS_PATH,
  createAccessTokenVerifier,
  parseSessionToken,
  type CreateSessionResponse,
  type ResolveSessionsResponse,
  type TokenPair,
} from "@fedsession/session-client";
import {
  ANONYMOUS,
  CLEAR_SESSION_HEADER,
  GATEWAY_CONTEXT_HEADER,
  SERVICE_TOKEN_HEADER,
  SESSION_ID_HEADER,
  USER_ID_HEADER,
  USER_PERMISSIONS_HEADER,
  signContext,
  signServiceToken,
  type ClientInfo,
  type ContextSigningKey,
  type Identity,
  type ServiceName,
} from "@fedsession/subgraph-kit";
import { connectTestRedis, TestClock, type TestRedis } from "@fedsession/testing";
import { createSessionServer } from "../src/server";
import { createMemorySessionStore } from "../src/store/memory";
import { createRedisSessionStore, sessionKey } from "../src/store/redis";
import { REFRESH_RETRY_GRACE_MS, type SessionStore } from "../src/store/session-store";

const IDLE_TTL_SECONDS = 1800;
const ABSOLUTE_TTL_SECONDS = 43_200;
const ACCESS_TOKEN_TTL_SECONDS = 600;
const newSession = {
  userId: "u-alice",
  permissions: ["documents:read"],
  userAgent: "jest",
  ip: "127.0.0.1",
  transport: "COOKIE",
  replacesSessionId: null as string | null,
  revocationEpoch: "0",
};
const aliceClient: ClientInfo = { ip: "203.0.113.7", userAgent: "curl/8" };

function identityHeaders(identity: Identity, context: string): Record<string, string> {
  if (!identity.authenticated) return { [GATEWAY_CONTEXT_HEADER]: context };
  return {
    [GATEWAY_CONTEXT_HEADER]: context,
    [USER_ID_HEADER]: identity.userId,
    [USER_PERMISSIONS_HEADER]: identity.permissions.join(","),
    [SESSION_ID_HEADER]: identity.sessionId,
  };
}

interface TestServer {
  url: string;
  logs: string[];
  close(): Promise<void>;
}

describe("session subgraph over HTTP", () => {
  const clock = new TestClock(Date.now());
  let material: KeyMaterial;
  let keys: Record<ServiceName, ContextSigningKey>;
  let main: TestServer;
  let broken: TestServer;

  async function startServer(store: SessionStore): Promise<TestServer> {
    const logs: string[] = [];
    const { handler, stop } = await createSessionServer({
      store,
      material,
      clock: clock.now,
      logger: createLogger("session", (line) => logs.push(line)),
      production: false,
      idleTtlSeconds: IDLE_TTL_SECONDS,
      absoluteTtlSeconds: ABSOLUTE_TTL_SECONDS,
      accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS,
    });
    const running: RunningServer = await listen(handler, 0);
    return {
      url: running.url,
      logs,
      close: async () => {
        await running.close();
        await stop();
      },
    };
  }

  beforeAll(async () => {
    material = await generateKeyMaterial(true);
    keys = {
      gateway: await importSigningKey(material, "gateway"),
      auth: await importSigningKey(material, "auth"),
      session: await importSigningKey(material, "session"),
    };
    main = await startServer(createMemorySessionStore(clock.now));
    const failure = () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379"));
    broken = await startServer({
      create: failure,
      revocationEpoch: failure,
      get: failure,
      getMany: failure,
      touch: failure,
      delete: failure,
      listByUser: failure,
      setData: failure,
      updatePermissionsByUser: failure,
      deleteByUser: failure,
      rotateRefresh: failure,
    });
  });
  afterAll(async () => {
    await main?.close();
    await broken?.close();
  });

  async function internal(
    path: string,
    body: unknown,
    from: ServiceName | null,
    server: TestServer = main,
  ): Promise<Response> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (from !== null) headers[SERVICE_TOKEN_HEADER] = await signServiceToken(from, "session", keys[from], clock.now());
    return fetch(`${server.url}${path}`, {
      method: "POST",
      headers,
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  async function createSession(
    overrides: Partial<typeof newSession> = {},
  ): Promise<{ token: string; identity: Identity; sessionId: string }> {
    const response = await internal(CREATE_SESSION_PATH, { ...newSession, ...overrides }, "auth");
    const { token, session } = (await response.json()) as CreateSessionResponse;
    return {
      token: token as string,
      sessionId: session.id,
      identity: {
        authenticated: true,
        userId: overrides.userId ?? newSession.userId,
        permissions: overrides.permissions ?? newSession.permissions,
        sessionId: session.id,
      },
    };
  }

  async function createAppSession(
    userId: string = newSession.userId,
  ): Promise<{ tokens: TokenPair; identity: Identity; sessionId: string }> {
    const response = await internal(CREATE_SESSION_PATH, { ...newSession, userId, transport: "TOKEN" }, "auth");
    const { tokens, session } = (await response.json()) as CreateSessionResponse;
    if (tokens === undefined) throw new Error("a TOKEN session came back without tokens");
    return {
      tokens,
      sessionId: session.id,
      identity: { authenticated: true, userId, permissions: newSession.permissions, sessionId: session.id },
    };
  }

  /** JWT times are whole seconds. */
  const accessTokenExpiry = () =>
    new Date((Math.floor(clock.now().getTime() / 1000) + ACCESS_TOKEN_TTL_SECONDS) * 1000).toISOString();

  async function resolve(request: Record<string, unknown>) {
    const response = await internal(RESOLVE_SESSIONS_PATH, { credentials: [request] }, "gateway");
    const [result] = ((await response.json()) as ResolveSessionsResponse).results;
    return result !== undefined && "session" in result ? result.session : undefined;
  }

  async function graphql(
    query: string,
    identity: Identity,
    server: TestServer = main,
    variables: Record<string, unknown> = {},
    client: ClientInfo = aliceClient,
  ) {
    const context = await signContext(identity, "session", keys.gateway, clock.now(), client);
    const response = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...identityHeaders(identity, context) },
      body: JSON.stringify({ query, variables }),
    });
    return {
      response,
      body: (await response.json()) as {
        data?: Record<string, unknown> | null;
        errors?: { message: string; extensions?: { code?: string } }[];
      },
    };
  }

  describe("internal routes", () => {
    it("creates a session for the auth service and resolves its token for the gateway", async () => {
      const created = await internal(CREATE_SESSION_PATH, newSession, "auth");
      expect(created.status).toBe(201);
      expect(created.headers.get("cache-control")).toBe("no-store");
      const body = (await created.json()) as CreateSessionResponse;
      expect(parseSessionToken(body.token ?? "")?.id).toBe(body.session.id);
      expect(body.session).toEqual({
        id: body.session.id,
        expiresAt: new Date(clock.now().getTime() + IDLE_TTL_SECONDS * 1000).toISOString(),
        maxAgeSeconds: ABSOLUTE_TTL_SECONDS,
      });

      const resolved = await internal(RESOLVE_SESSIONS_PATH, { credentials: [{ token: body.token }] }, "gateway");
      expect(resolved.status).toBe(200);
      const { results } = (await resolved.json()) as { results: { session: { reusableUntil: number } }[] };
      expect(results).toEqual([
        {
          session: {
            id: body.session.id,
            userId: "u-alice",
            permissions: ["documents:read"],
            expiresAt: body.session.expiresAt,
            reusableUntil: expect.any(Number),
          },
        },
      ]);
      const answer = results[0] as { session: { reusableUntil: number } };
      // A gateway cache may reuse the answer only until the next sliding write, well before the session ends.
      expect(answer.session.reusableUntil).toBeLessThan(Date.parse(body.session.expiresAt));
    });

    it("resolves unknown, wrong and malformed tokens to no session", async () => {
      const { token } = await createSession();
      const wrongSecret = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
      for (const candidate of ["", "garbage", `${"a".repeat(22)}.${"b".repeat(43)}`, wrongSecret]) {
        const response = await internal(RESOLVE_SESSIONS_PATH, { credentials: [{ token: candidate }] }, "gateway");
        expect(response.status).toBe(200);
        await expect(response.json()).resolves.toEqual({ results: [{ session: null }] });
      }
    });

    it("accepts each route only from its one calling service", async () => {
      const { token } = await createSession();
      const refusals = [
        await internal(CREATE_SESSION_PATH, newSession, "gateway"),
        await internal(CREATE_SESSION_PATH, newSession, null),
        await internal(RESOLVE_SESSIONS_PATH, { credentials: [{ token }] }, "auth"),
        await internal(RESOLVE_SESSIONS_PATH, { credentials: [{ token }] }, "session"),
        await internal(RESOLVE_SESSIONS_PATH, { credentials: [{ token }] }, null),
        await internal(UPDATE_USER_PERMISSIONS_PATH, { userId: "u-alice", permissions: [] }, "gateway"),
        await internal(REVOKE_USER_SESSIONS_PATH, { userId: "u-alice", exceptSessionId: null }, "gateway"),
        await internal(REVOKE_USER_SESSIONS_PATH, { userId: "u-alice", exceptSessionId: null }, null),
      ];
      for (const response of refusals) {
        expect(response.status).toBe(401);
        await expect(response.json()).resolves.toMatchObject({ error: "UNAUTHORIZED_SERVICE" });
      }
    });

    it("refuses a service token signed with a key the caller does not publish", async () => {
      const stranger = await importSigningKey(await generateKeyMaterial(true), "gateway");
      const response = await fetch(`${main.url}${RESOLVE_SESSIONS_PATH}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [SERVICE_TOKEN_HEADER]: await signServiceToken("gateway", "session", stranger, clock.now()),
        },
        body: JSON.stringify({ token: "x" }),
      });
      expect(response.status).toBe(401);
    });

    it("answers 405 to anything but POST", async () => {
      const response = await fetch(`${main.url}${RESOLVE_SESSIONS_PATH}`, {
        headers: { [SERVICE_TOKEN_HEADER]: await signServiceToken("gateway", "session", keys.gateway, clock.now()) },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
      await expect(response.json()).resolves.toMatchObject({ error: "METHOD_NOT_ALLOWED" });
    });

    it.each([
      ["not JSON", CREATE_SESSION_PATH, "auth", "{userId:"],
      ["a JSON array", CREATE_SESSION_PATH, "auth", []],
      ["an empty userId", CREATE_SESSION_PATH, "auth", { ...newSession, userId: "" }],
      ["a numeric userId", CREATE_SESSION_PATH, "auth", { ...newSession, userId: 7 }],
      [
        "permissions that are not strings",
        CREATE_SESSION_PATH,
        "auth",
        { ...newSession, permissions: ["documents:read", 1] },
      ],
      ["a missing ip", CREATE_SESSION_PATH, "auth", { userId: "u-alice", permissions: [], userAgent: null }],
      ["a userAgent object", CREATE_SESSION_PATH, "auth", { ...newSession, userAgent: {} }],
      ["a body over 16 KiB", CREATE_SESSION_PATH, "auth", { ...newSession, userAgent: "x".repeat(17 * 1024) }],
      ["no transport", CREATE_SESSION_PATH, "auth", { ...newSession, transport: undefined }],
      ["an unknown transport", CREATE_SESSION_PATH, "auth", { ...newSession, transport: "BEARER" }],
      ["a userId with a lone surrogate", CREATE_SESSION_PATH, "auth", { ...newSession, userId: "u-\ud800" }],
      ["no replacesSessionId", CREATE_SESSION_PATH, "auth", { ...newSession, replacesSessionId: undefined }],
      ["a numeric replacesSessionId", CREATE_SESSION_PATH, "auth", { ...newSession, replacesSessionId: 7 }],
      [
        "a replacesSessionId not shaped like a session id",
        CREATE_SESSION_PATH,
        "auth",
        { ...newSession, replacesSessionId: "session:{x}" },
      ],
      ["no credentials", RESOLVE_SESSIONS_PATH, "gateway", {}],
      ["credentials that are not a list", RESOLVE_SESSIONS_PATH, "gateway", { credentials: { token: "a" } }],
      ["an empty list of credentials", RESOLVE_SESSIONS_PATH, "gateway", { credentials: [] }],
      [
        "more credentials than one batch may hold",
        RESOLVE_SESSIONS_PATH,
        "gateway",
        { credentials: Array.from({ length: MAX_RESOLVE_BATCH + 1 }, () => ({ sessionId: "a".repeat(22) })) },
      ],
      ["permissions that are not a list", UPDATE_USER_PERMISSIONS_PATH, "auth", { userId: "u", permissions: "a" }],
      ["no userId", UPDATE_USER_PERMISSIONS_PATH, "auth", { permissions: [] }],
      ["a missing exceptSessionId", REVOKE_USER_SESSIONS_PATH, "auth", { userId: "u" }],
      ["an empty userId", REVOKE_USER_SESSIONS_PATH, "auth", { userId: "", exceptSessionId: null }],
    ] as const)("answers 400 to %s", async (_case, path, from, body) => {
      const response = await internal(path, body, from);
      expect(response.status).toBe(400);
      await expect(response.json()).resolves.toMatchObject({ error: "BAD_REQUEST" });
    });

    it("answers every credential of a batch on its own: a malformed entry is refused alone", async () => {
      const { token } = await createSession();
      const response = await internal(
        RESOLVE_SESSIONS_PATH,
        {
          credentials: [
            { token: 42 },
            { token },
            { token: "a", sessionId: "b" },
            { sessionId: 7 },
            {},
            { token: "garbage" },
          ],
        },
        "gateway",
      );
      expect(response.status).toBe(200);
      const { results } = (await response.json()) as ResolveSessionsResponse;
      expect(results).toEqual([
        { error: "BAD_REQUEST" },
        { session: expect.objectContaining({ userId: "u-alice" }) },
        { error: "BAD_REQUEST" },
        { error: "BAD_REQUEST" },
        { error: "BAD_REQUEST" },
        { session: null },
      ]);
    });

    it("answers 503 when the store fails, and logs the failure without the token", async () => {
      const token = `${"a".repeat(22)}.${"b".repeat(43)}`;
      const resolved = await internal(RESOLVE_SESSIONS_PATH, { credentials: [{ token }] }, "gateway", broken);
      expect(resolved.status).toBe(503);
      await expect(resolved.json()).resolves.toMatchObject({ error: "SESSION_STORE_UNAVAILABLE" });
      const created = await internal(CREATE_SESSION_PATH, newSession, "auth", broken);
      expect(created.status).toBe(503);
      expect(broken.logs.join("")).toContain("session_store_failed");
      expect(broken.logs.join("")).not.toContain("b".repeat(43));
    });
  });

  describe("internal routes for TOKEN sessions and users", () => {
    it("creates a TOKEN session with an access and a refresh token and no cookie token", async () => {
      const response = await internal(CREATE_SESSION_PATH, { ...newSession, transport: "TOKEN" }, "auth");
      expect(response.status).toBe(201);
      const body = (await response.json()) as CreateSessionResponse;
      expect(body.token).toBeUndefined();
      expect(body.tokens).toEqual({
        accessToken: expect.any(String),
        accessTokenExpiresAt: accessTokenExpiry(),
        refreshToken: expect.stringMatching(new RegExp(`^${body.session.id}\\.[A-Za-z0-9_-]{43}$`)),
      });
      const verify = createAccessTokenVerifier({ jwks: publicKeys(material, "session"), currentDate: clock.now });
      await expect(verify(body.tokens?.accessToken ?? "")).resolves.toEqual({
        userId: "u-alice",
        sessionId: body.session.id,
      });
    });

    it("never accepts a refresh token as an access token", async () => {
      const { tokens } = await createAppSession();
      const verify = createAccessTokenVerifier({ jwks: publicKeys(material, "session"), currentDate: clock.now });
      await expect(verify(tokens.refreshToken)).resolves.toBeNull();
    });

    it("resolves a TOKEN session by the id of its verified access token, never by a token", async () => {
      const { tokens, sessionId } = await createAppSession();
      await expect(resolve({ sessionId })).resolves.toMatchObject({ id: sessionId, permissions: ["documents:read"] });
      await expect(resolve({ token: tokens.refreshToken })).resolves.toBeNull();
    });

    it("resolves a COOKIE session by its token, never by its id alone", async () => {
      const { token, sessionId } = await createSession();
      await expect(resolve({ token })).resolves.toMatchObject({ id: sessionId });
      await expect(resolve({ sessionId })).resolves.toBeNull();
    });

    it("applies new permissions to every live session of the user at their next resolve", async () => {
      const userId = `u-${Date.now()}-perm`;
      const cookie = await createSession({ userId });
      const app = await createAppSession(userId);
      const other = await createSession();
      const response = await internal(UPDATE_USER_PERMISSIONS_PATH, { userId, permissions: ["users:admin"] }, "auth");
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      await expect(response.json()).resolves.toEqual({ updated: 2 });
      await expect(resolve({ token: cookie.token })).resolves.toMatchObject({ permissions: ["users:admin"] });
      await expect(resolve({ sessionId: app.sessionId })).resolves.toMatchObject({ permissions: ["users:admin"] });
      await expect(resolve({ token: other.token })).resolves.toMatchObject({ permissions: ["documents:read"] });
    });

    it("revokes every session of the user except the one named, on both transports", async () => {
      const userId = `u-${Date.now()}-revoke`;
      const kept = await createSession({ userId });
      const cookie = await createSession({ userId });
      const app = await createAppSession(userId);
      const response = await internal(REVOKE_USER_SESSIONS_PATH, { userId, exceptSessionId: kept.sessionId }, "auth");
      await expect(response.json()).resolves.toEqual({ revoked: 2 });
      await expect(resolve({ token: kept.token })).resolves.not.toBeNull();
      await expect(resolve({ token: cookie.token })).resolves.toBeNull();
      await expect(resolve({ sessionId: app.sessionId })).resolves.toBeNull();
      const all = await internal(REVOKE_USER_SESSIONS_PATH, { userId, exceptSessionId: null }, "auth");
      await expect(all.json()).resolves.toEqual({ revoked: 1 });
    });
  });

  describe.each([
    ["memory", async () => ({ store: createMemorySessionStore(clock.now), redis: null, close: async () => {} })],
    [
      "redis",
      async () => {
        const redis = await connectTestRedis();
        return { store: createRedisSessionStore(redis.client), redis, close: () => redis.close() };
      },
    ],
  ] as [string, () => Promise<{ store: SessionStore; redis: TestRedis | null; close(): Promise<void> }>][])(
    "a sign-in replacing the caller's session (%s store)",
    (_kind, connectStore) => {
      let server: TestServer;
      let redis: TestRedis | null;
      let closeStore: () => Promise<void>;

      beforeAll(async () => {
        const connected = await connectStore();
        redis = connected.redis;
        closeStore = () => connected.close();
        server = await startServer(connected.store);
      });
      afterAll(async () => {
        await server?.close();
        await closeStore?.();
      });

      const create = async (overrides: Partial<typeof newSession>) => {
        const response = await internal(CREATE_SESSION_PATH, { ...newSession, ...overrides }, "auth", server);
        expect(response.status).toBe(201);
        return (await response.json()) as CreateSessionResponse;
      };
      const resolveOn = async (request: Record<string, unknown>) => {
        const response = await internal(RESOLVE_SESSIONS_PATH, { credentials: [request] }, "gateway", server);
        const [result] = ((await response.json()) as ResolveSessionsResponse).results;
        return result !== undefined && "session" in result ? result.session : undefined;
      };
      const auditLines = (event: string) =>
        server.logs
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((line) => line.event === `audit.${event}`);
      const stored = async (id: string) =>
        redis === null ? null : redis.raw.exists(`${redis.keyPrefix}${sessionKey(id)}`);

      it("ends the session named by replacesSessionId once the new one exists, and audits both ids", async () => {
        const userId = `u-replace-${Math.random().toString(36).slice(2)}`;
        const previous = await create({ userId });
        const next = await create({ userId, replacesSessionId: previous.session.id });

        await expect(resolveOn({ token: previous.token })).resolves.toBeNull();
        await expect(resolveOn({ token: next.token })).resolves.toMatchObject({ id: next.session.id, userId });
        if (redis !== null) {
          await expect(stored(previous.session.id)).resolves.toBe(0);
          await expect(stored(next.session.id)).resolves.toBe(1);
        }
        expect(auditLines("session_replaced")).toContainEqual(
          expect.objectContaining({
            userId,
            sessionId: next.session.id,
            replacedSessionId: previous.session.id,
            replacedUserId: userId,
          }),
        );
      });

      it("ends the previous session when another user signs in from it, leaving that user's other sessions alone", async () => {
        const alice = `u-alice-${Math.random().toString(36).slice(2)}`;
        const bob = `u-bob-${Math.random().toString(36).slice(2)}`;
        const aliceApp = await create({ userId: alice, transport: "TOKEN" });
        const aliceOther = await create({ userId: alice });
        const bobSession = await create({ userId: bob, replacesSessionId: aliceApp.session.id });

        await expect(resolveOn({ sessionId: aliceApp.session.id })).resolves.toBeNull();
        await expect(resolveOn({ token: aliceOther.token })).resolves.toMatchObject({ userId: alice });
        await expect(resolveOn({ token: bobSession.token })).resolves.toMatchObject({ userId: bob });
        const revokeAll = await internal(
          REVOKE_USER_SESSIONS_PATH,
          { userId: alice, exceptSessionId: null },
          "auth",
          server,
        );
        await expect(revokeAll.json()).resolves.toEqual({ revoked: 1 });
        expect(auditLines("session_replaced")).toContainEqual(
          expect.objectContaining({
            userId: bob,
            sessionId: bobSession.session.id,
            replacedSessionId: aliceApp.session.id,
            replacedUserId: alice,
          }),
        );
      });

      it("creates the session and ends nothing when replacesSessionId names no live session", async () => {
        const before = auditLines("session_replaced").length;
        const gone = `${"Z".repeat(21)}A`;
        const created = await create({ replacesSessionId: gone });
        await expect(resolveOn({ token: created.token })).resolves.toMatchObject({ id: created.session.id });
        expect(auditLines("session_replaced")).toHaveLength(before);
      });
    },
  );

  describe("GraphQL", () => {
    const CURRENT = "{ currentSession { id createdAt lastSeenAt expiresAt userAgent ip current } }";

    it("shows the caller its current session", async () => {
      const { identity } = await createSession();
      const { response, body } = await graphql(CURRENT, identity);
      expect(response.status).toBe(200);
      const now = clock.now();
      expect(body).toEqual({
        data: {
          currentSession: {
            id: identity.authenticated && identity.sessionId,
            createdAt: now.toISOString(),
            lastSeenAt: now.toISOString(),
            expiresAt: new Date(now.getTime() + IDLE_TTL_SECONDS * 1000).toISOString(),
            userAgent: "jest",
            ip: "127.0.0.1",
            current: true,
          },
        },
      });
    });

    it("has no current session for an anonymous caller", async () => {
      const { body } = await graphql(CURRENT, ANONYMOUS);
      expect(body).toEqual({ data: { currentSession: null } });
    });

    it("logout ends the caller's session and asks the gateway to clear the cookie", async () => {
      const { token, identity } = await createSession();
      const { response, body } = await graphql("mutation { logout }", identity);
      expect(body).toEqual({ data: { logout: true } });
      expect(response.headers.get(CLEAR_SESSION_HEADER)).toBe("1");
      const resolved = await internal(RESOLVE_SESSIONS_PATH, { credentials: [{ token }] }, "gateway");
      await expect(resolved.json()).resolves.toEqual({ results: [{ session: null }] });
      await expect(graphql(CURRENT, identity).then(({ body }) => body)).resolves.toEqual({
        data: { currentSession: null },
      });
    });

    it("logout while anonymous returns false and still clears the cookie", async () => {
      const { response, body } = await graphql("mutation { logout }", ANONYMOUS);
      expect(body).toEqual({ data: { logout: false } });
      expect(response.headers.get(CLEAR_SESSION_HEADER)).toBe("1");
    });

    it("resolves a Session reference only for the session's owner", async () => {
      const { identity } = await createSession();
      const sessionId = identity.authenticated ? identity.sessionId : "";
      const query =
        "query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Session { id current } } }";
      const variables = { representations: [{ __typename: "Session", id: sessionId }] };
      const own = await graphql(query, identity, main, variables);
      expect(own.body).toEqual({ data: { _entities: [{ id: sessionId, current: true }] } });
      const mallory: Identity = { authenticated: true, userId: "u-mallory", permissions: [], sessionId: "s-mallory" };
      const stranger = await graphql(query, mallory, main, variables);
      expect(stranger.body).toEqual({ data: { _entities: [null] } });
      const anonymous = await graphql(query, ANONYMOUS, main, variables);
      expect(anonymous.body).toEqual({ data: { _entities: [null] } });
    });

    it("answers 503 with SESSION_STORE_UNAVAILABLE when the store fails", async () => {
      const identity: Identity = { authenticated: true, userId: "u-alice", permissions: [], sessionId: "s-1" };
      const { response, body } = await graphql(CURRENT, identity, broken);
      expect(response.status).toBe(503);
      expect(body.errors?.[0]?.extensions?.code).toBe("SESSION_STORE_UNAVAILABLE");
    });

    it("refuses bare identity headers without a signed context, running nothing", async () => {
      const response = await fetch(`${main.url}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [USER_ID_HEADER]: "u-alice",
          [USER_PERMISSIONS_HEADER]: "users:admin",
          [SESSION_ID_HEADER]: "s-1",
        },
        body: JSON.stringify({ query: "mutation { logout }" }),
      });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
      expect(body.data).toBeUndefined();
      expect(body.errors[0]?.extensions.code).toBe("UNAUTHENTICATED");
    });
  });
  describe("GraphQL devices, tokens and session data", () => {
    const MY_SESSIONS = "{ mySessions { id current userAgent ip createdAt data } }";
    const REFRESH =
      "mutation ($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { accessToken accessTokenExpiresAt refreshToken } }";
    const uniqueUser = (label: string) => `u-${label}-${Math.random().toString(36).slice(2)}`;
    const codeOf = (body: { errors?: { extensions?: { code?: string } }[] }) => body.errors?.[0]?.extensions?.code;

    it("lists the caller's live sessions newest first, with exactly one current", async () => {
      const userId = uniqueUser("devices");
      const oldest = await createSession({ userId, userAgent: "Firefox", ip: "198.51.100.1" });
      clock.advance(1000);
      const current = await createSession({ userId });
      clock.advance(1000);
      const newest = await createAppSession(userId);
      await createSession({ userId: uniqueUser("stranger") });
      const { body } = await graphql(MY_SESSIONS, current.identity);
      const sessions = body.data?.mySessions as { id: string; current: boolean; userAgent: string; ip: string }[];
      expect(sessions.map((session) => session.id)).toEqual([newest.sessionId, current.sessionId, oldest.sessionId]);
      expect(sessions.filter((session) => session.current).map((session) => session.id)).toEqual([current.sessionId]);
      expect(sessions[2]).toMatchObject({ userAgent: "Firefox", ip: "198.51.100.1", data: {} });
    });

    it("lists at most the first n sessions, and refuses a page size outside 1-100 with BAD_USER_INPUT", async () => {
      const userId = uniqueUser("paged");
      await createSession({ userId });
      clock.advance(1000);
      const current = await createSession({ userId });
      const page = await graphql("{ mySessions(first: 1) { id } }", current.identity);
      expect(page.body.data?.mySessions).toEqual([{ id: current.sessionId }]);
      for (const first of [0, 101, -1]) {
        const { body } = await graphql(`{ mySessions(first: ${first}) { id } }`, current.identity);
        expect(codeOf(body)).toBe("BAD_USER_INPUT");
      }
    });

    it("refuses mySessions to an anonymous caller", async () => {
      const { body } = await graphql(MY_SESSIONS, ANONYMOUS);
      expect(codeOf(body)).toBe("UNAUTHENTICATED");
    });

    it("revokeSession ends one of the caller's other sessions without touching the current cookie", async () => {
      const userId = uniqueUser("revoke-one");
      const current = await createSession({ userId });
      const other = await createSession({ userId });
      const { response, body } = await graphql(
        "mutation ($id: ID!) { revokeSession(id: $id) }",
        current.identity,
        main,
        {
          id: other.sessionId,
        },
      );
      expect(body).toEqual({ data: { revokeSession: true } });
      expect(response.headers.get(CLEAR_SESSION_HEADER)).toBeNull();
      await expect(resolve({ token: other.token })).resolves.toBeNull();
      await expect(resolve({ token: current.token })).resolves.not.toBeNull();
    });

    it("revokeSession of the current session ends it and clears the cookie", async () => {
      const current = await createSession({ userId: uniqueUser("revoke-self") });
      const { response, body } = await graphql(
        "mutation ($id: ID!) { revokeSession(id: $id) }",
        current.identity,
        main,
        {
          id: current.sessionId,
        },
      );
      expect(body).toEqual({ data: { revokeSession: true } });
      expect(response.headers.get(CLEAR_SESSION_HEADER)).toBe("1");
      await expect(resolve({ token: current.token })).resolves.toBeNull();
    });

    it("revokeSession answers false for someone else's session and for an unknown id, leaving them alone", async () => {
      const caller = await createSession({ userId: uniqueUser("caller") });
      const victim = await createSession({ userId: uniqueUser("victim") });
      for (const id of [victim.sessionId, "A".repeat(22)]) {
        const { body } = await graphql("mutation ($id: ID!) { revokeSession(id: $id) }", caller.identity, main, { id });
        expect(body).toEqual({ data: { revokeSession: false } });
      }
      await expect(resolve({ token: victim.token })).resolves.not.toBeNull();
    });

    it("revokeSession refuses an id not shaped like a session id with BAD_USER_INPUT, before any lookup", async () => {
      const caller = await createSession({ userId: uniqueUser("caller") });
      for (const id of ["no-such-session", "s:{x}", "A".repeat(23), ""]) {
        const { body } = await graphql("mutation ($id: ID!) { revokeSession(id: $id) }", caller.identity, main, { id });
        expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      }
    });

    it("revokeOtherSessions ends all but the current session and returns the count", async () => {
      const userId = uniqueUser("others");
      const current = await createSession({ userId });
      const otherCookie = await createSession({ userId });
      const otherApp = await createAppSession(userId);
      const { body } = await graphql("mutation { revokeOtherSessions }", current.identity);
      expect(body).toEqual({ data: { revokeOtherSessions: 2 } });
      await expect(resolve({ token: current.token })).resolves.not.toBeNull();
      await expect(resolve({ token: otherCookie.token })).resolves.toBeNull();
      await expect(resolve({ sessionId: otherApp.sessionId })).resolves.toBeNull();
    });

    it("revokeUserSessions needs sessions:admin: FORBIDDEN without it, UNAUTHENTICATED when anonymous", async () => {
      const target = await createSession({ userId: uniqueUser("target") });
      const query = "mutation ($userId: ID!) { revokeUserSessions(userId: $userId) }";
      const variables = { userId: target.identity.authenticated ? target.identity.userId : "" };
      const plain = await createSession({ userId: uniqueUser("plain") });
      const forbidden = await graphql(query, plain.identity, main, variables);
      expect(forbidden.body.data).toBeNull();
      expect(codeOf(forbidden.body)).toBe("FORBIDDEN");
      const anonymous = await graphql(query, ANONYMOUS, main, variables);
      expect(codeOf(anonymous.body)).toBe("UNAUTHENTICATED");
      await expect(resolve({ token: target.token })).resolves.not.toBeNull();

      const admin = await createSession({ userId: uniqueUser("admin"), permissions: ["sessions:admin"] });
      const allowed = await graphql(query, admin.identity, main, variables);
      expect(allowed.body).toEqual({ data: { revokeUserSessions: 1 } });
      await expect(resolve({ token: target.token })).resolves.toBeNull();
    });

    it("refreshSession rotates the pair for an anonymous caller; the new access token names the same session", async () => {
      const app = await createAppSession(uniqueUser("refresh"));
      clock.advance(60_000);
      const { body } = await graphql(REFRESH, ANONYMOUS, main, { refreshToken: app.tokens.refreshToken });
      const pair = body.data?.refreshSession as TokenPair;
      expect(pair.refreshToken).not.toBe(app.tokens.refreshToken);
      expect(pair.refreshToken.startsWith(`${app.sessionId}.`)).toBe(true);
      expect(pair.accessTokenExpiresAt).toBe(accessTokenExpiry());
      const verify = createAccessTokenVerifier({ jwks: publicKeys(material, "session"), currentDate: clock.now });
      await expect(verify(pair.accessToken)).resolves.toMatchObject({ sessionId: app.sessionId });
      await expect(resolve({ sessionId: app.sessionId })).resolves.not.toBeNull();
    });

    it("refreshSession with a rotated refresh token ends the session and answers like any invalid token", async () => {
      const app = await createAppSession(uniqueUser("reuse"));
      const first = await graphql(REFRESH, ANONYMOUS, main, { refreshToken: app.tokens.refreshToken });
      const second = await graphql(REFRESH, ANONYMOUS, main, {
        refreshToken: (first.body.data?.refreshSession as TokenPair).refreshToken,
      });
      const rotated = second.body.data?.refreshSession as TokenPair;
      // Not the latest rotation's token (which a client may retry for a few seconds): a replay.
      const replay = await graphql(REFRESH, ANONYMOUS, main, { refreshToken: app.tokens.refreshToken });
      expect(replay.body.data).toBeNull();
      expect(replay.body.errors?.[0]).toMatchObject({
        message: "Refresh token is not valid",
        extensions: { code: "UNAUTHENTICATED" },
      });
      await expect(resolve({ sessionId: app.sessionId })).resolves.toBeNull();
      const after = await graphql(REFRESH, ANONYMOUS, main, { refreshToken: rotated.refreshToken });
      expect(after.body.errors?.[0]?.message).toBe("Refresh token is not valid");
      expect(main.logs.join("")).toContain('"event":"audit.refresh_reuse_detected"');
    });

    it("refreshSession refuses an access token, a cookie token and garbage with one message", async () => {
      const app = await createAppSession(uniqueUser("refuse"));
      const cookie = await createSession();
      for (const refreshToken of [app.tokens.accessToken, cookie.token, "garbage", ""]) {
        const { body } = await graphql(REFRESH, ANONYMOUS, main, { refreshToken });
        expect(body.errors?.[0]).toMatchObject({
          message: "Refresh token is not valid",
          extensions: { code: "UNAUTHENTICATED" },
        });
      }
      await expect(resolve({ sessionId: app.sessionId })).resolves.not.toBeNull();
      await expect(resolve({ token: cookie.token })).resolves.not.toBeNull();
    });

    it("setSessionData stores JSON on the current session, null removes a key, and Session.data returns it", async () => {
      const { identity } = await createSession({ userId: uniqueUser("data") });
      const SET =
        "mutation ($key: String!, $value: JSON) { setSessionData(key: $key, value: $value) { current data } }";
      await graphql(SET, identity, main, { key: "theme", value: "dark" });
      await graphql(SET, identity, main, { key: "cart", value: { items: [1, 2], note: null } });
      const inline = await graphql(
        'mutation { setSessionData(key: "flags", value: {beta: true, n: 1.5}) { data } }',
        identity,
      );
      expect(inline.body).toEqual({
        data: {
          setSessionData: {
            data: { theme: "dark", cart: { items: [1, 2], note: null }, flags: { beta: true, n: 1.5 } },
          },
        },
      });
      const removed = await graphql(SET, identity, main, { key: "cart", value: null });
      expect(removed.body).toEqual({
        data: { setSessionData: { current: true, data: { theme: "dark", flags: { beta: true, n: 1.5 } } } },
      });
      const { body } = await graphql("{ currentSession { data } }", identity);
      expect(body).toEqual({ data: { currentSession: { data: { theme: "dark", flags: { beta: true, n: 1.5 } } } } });
    });

    it("setSessionData answers BAD_USER_INPUT for a bad key or data over 4096 bytes, naming the limit", async () => {
      const { identity } = await createSession({ userId: uniqueUser("limits") });
      const SET = "mutation ($key: String!, $value: JSON) { setSessionData(key: $key, value: $value) { id } }";
      const badKey = await graphql(SET, identity, main, { key: "no spaces", value: 1 });
      expect(codeOf(badKey.body)).toBe("BAD_USER_INPUT");
      const tooBig = await graphql(SET, identity, main, { key: "blob", value: "x".repeat(4096) });
      expect(codeOf(tooBig.body)).toBe("BAD_USER_INPUT");
      expect(tooBig.body.errors?.[0]?.message).toContain("4096 bytes");
      const anonymous = await graphql(SET, ANONYMOUS, main, { key: "k", value: 1 });
      expect(codeOf(anonymous.body)).toBe("UNAUTHENTICATED");
    });

    it("writes audit lines with who, which session and from where, and never a token, secret or hash", async () => {
      const audited = await startServer(createMemorySessionStore(clock.now));
      try {
        const send = (path: string, body: unknown, from: ServiceName) => internal(path, body, from, audited);
        const cookieBody = (await (
          await send(CREATE_SESSION_PATH, newSession, "auth")
        ).json()) as CreateSessionResponse;
        const appBody = (await (
          await send(CREATE_SESSION_PATH, { ...newSession, transport: "TOKEN" }, "auth")
        ).json()) as CreateSessionResponse;
        const tokens = appBody.tokens as TokenPair;
        const identity: Identity = {
          authenticated: true,
          userId: "u-alice",
          permissions: ["documents:read"],
          sessionId: cookieBody.session.id,
        };
        const rotated = await graphql(REFRESH, ANONYMOUS, audited, { refreshToken: tokens.refreshToken });
        const newPair = rotated.body.data?.refreshSession as TokenPair;
        // Past the grace in which a client may retry the rotation, the old token is a replay.
        clock.advance(REFRESH_RETRY_GRACE_MS + 1);
        await graphql(REFRESH, ANONYMOUS, audited, { refreshToken: tokens.refreshToken });
        const other = (await (await send(CREATE_SESSION_PATH, newSession, "auth")).json()) as CreateSessionResponse;
        await graphql("mutation ($id: ID!) { revokeSession(id: $id) }", identity, audited, {
          id: other.session.id,
        });
        await graphql("mutation { revokeOtherSessions }", identity, audited);
        const admin: Identity = { ...identity, userId: "u-admin", permissions: ["sessions:admin"] };
        await graphql('mutation { revokeUserSessions(userId: "u-bob") }', admin, audited);
        await send(REVOKE_USER_SESSIONS_PATH, { userId: "u-bob", exceptSessionId: null }, "auth");
        await graphql("mutation { logout }", identity, audited);

        const lines = audited.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
        const audit = lines.filter((line) => String(line.event).startsWith("audit."));
        expect(audit.map((line) => line.event)).toEqual([
          "audit.session_created",
          "audit.session_created",
          "audit.refresh_rotated",
          "audit.refresh_reuse_detected",
          "audit.session_created",
          "audit.session_revoked",
          "audit.user_sessions_revoked",
          "audit.user_sessions_revoked",
          "audit.user_sessions_revoked",
          "audit.logout",
        ]);
        expect(audit[0]).toMatchObject({ userId: "u-alice", sessionId: cookieBody.session.id, ip: "127.0.0.1" });
        expect(audit[3]).toMatchObject({ userId: "u-alice", sessionId: appBody.session.id, ip: aliceClient.ip });
        expect(audit[5]).toMatchObject({
          actorId: "u-alice",
          userId: "u-alice",
          sessionId: other.session.id,
          ip: aliceClient.ip,
        });
        expect(audit[7]).toMatchObject({ actorId: "u-admin", userId: "u-bob", count: 0 });
        expect(audit[8]).toMatchObject({ actorId: "service:auth", userId: "u-bob" });

        const text = audited.logs.join("");
        const secrets = [
          parseSessionToken(cookieBody.token ?? "")?.secret,
          parseSessionToken(tokens.refreshToken)?.secret,
          parseSessionToken(newPair.refreshToken)?.secret,
          tokens.accessToken,
          newPair.accessToken,
        ];
        for (const secret of secrets) {
          expect(secret).toEqual(expect.any(String));
          expect(text).not.toContain(secret);
        }
        for (const secret of secrets.slice(0, 3)) {
          expect(text).not.toContain(
            createHash("sha256")
              .update(secret ?? "")
              .digest("hex"),
          );
        }
        expect(text).not.toMatch(/[0-9a-f]{64}/);
      } finally {
        await audited.close();
      }
    });
  });
});
