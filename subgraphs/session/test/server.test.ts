import {
  createLogger,
  generateKeyMaterial,
  importSigningKey,
  listen,
  type KeyMaterial,
  type RunningServer,
} from "@fedsession/runtime";
import {
  CREATE_SESSION_PATH,
  RESOLVE_SESSION_PATH,
  parseSessionToken,
  type CreateSessionResponse,
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
  type ContextSigningKey,
  type Identity,
  type ServiceName,
} from "@fedsession/subgraph-kit";
import { TestClock } from "@fedsession/testing";
import { createSessionServer } from "../src/server";
import { createMemorySessionStore } from "../src/store/memory";
import type { SessionStore } from "../src/store/session-store";

const IDLE_TTL_SECONDS = 1800;
const ABSOLUTE_TTL_SECONDS = 43_200;
const newSession = { userId: "u-alice", permissions: ["documents:read"], userAgent: "jest", ip: "127.0.0.1" };

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
    broken = await startServer({ create: failure, get: failure, touch: failure, delete: failure, listByUser: failure });
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

  async function createSession(): Promise<{ token: string; identity: Identity }> {
    const response = await internal(CREATE_SESSION_PATH, newSession, "auth");
    const { token, session } = (await response.json()) as CreateSessionResponse;
    return {
      token: token as string,
      identity: {
        authenticated: true,
        userId: newSession.userId,
        permissions: newSession.permissions,
        sessionId: session.id,
      },
    };
  }

  async function graphql(
    query: string,
    identity: Identity,
    server: TestServer = main,
    variables: Record<string, unknown> = {},
  ) {
    const context = await signContext(identity, "session", keys.gateway, clock.now());
    const response = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...identityHeaders(identity, context) },
      body: JSON.stringify({ query, variables }),
    });
    return {
      response,
      body: (await response.json()) as {
        data?: Record<string, unknown> | null;
        errors?: { extensions?: { code?: string } }[];
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

      const resolved = await internal(RESOLVE_SESSION_PATH, { token: body.token }, "gateway");
      expect(resolved.status).toBe(200);
      await expect(resolved.json()).resolves.toEqual({
        session: {
          id: body.session.id,
          userId: "u-alice",
          permissions: ["documents:read"],
          expiresAt: body.session.expiresAt,
        },
      });
    });

    it("resolves unknown, wrong and malformed tokens to no session", async () => {
      const { token } = await createSession();
      const wrongSecret = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
      for (const candidate of ["", "garbage", `${"a".repeat(22)}.${"b".repeat(43)}`, wrongSecret]) {
        const response = await internal(RESOLVE_SESSION_PATH, { token: candidate }, "gateway");
        expect(response.status).toBe(200);
        await expect(response.json()).resolves.toEqual({ session: null });
      }
    });

    it("accepts each route only from its one calling service", async () => {
      const { token } = await createSession();
      const refusals = [
        await internal(CREATE_SESSION_PATH, newSession, "gateway"),
        await internal(CREATE_SESSION_PATH, newSession, null),
        await internal(RESOLVE_SESSION_PATH, { token }, "auth"),
        await internal(RESOLVE_SESSION_PATH, { token }, "session"),
        await internal(RESOLVE_SESSION_PATH, { token }, null),
      ];
      for (const response of refusals) {
        expect(response.status).toBe(401);
        await expect(response.json()).resolves.toMatchObject({ error: "UNAUTHORIZED_SERVICE" });
      }
    });

    it("refuses a service token signed with a key the caller does not publish", async () => {
      const stranger = await importSigningKey(await generateKeyMaterial(true), "gateway");
      const response = await fetch(`${main.url}${RESOLVE_SESSION_PATH}`, {
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
      const response = await fetch(`${main.url}${RESOLVE_SESSION_PATH}`, {
        headers: { [SERVICE_TOKEN_HEADER]: await signServiceToken("gateway", "session", keys.gateway, clock.now()) },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
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
      ["a numeric token", RESOLVE_SESSION_PATH, "gateway", { token: 42 }],
      ["no token", RESOLVE_SESSION_PATH, "gateway", {}],
    ] as const)("answers 400 to %s", async (_case, path, from, body) => {
      const response = await internal(path, body, from);
      expect(response.status).toBe(400);
      await expect(response.json()).resolves.toMatchObject({ error: "BAD_REQUEST" });
    });

    it("answers 503 when the store fails, and logs the failure without the token", async () => {
      const token = `${"a".repeat(22)}.${"b".repeat(43)}`;
      const resolved = await internal(RESOLVE_SESSION_PATH, { token }, "gateway", broken);
      expect(resolved.status).toBe(503);
      await expect(resolved.json()).resolves.toMatchObject({ error: "SESSION_STORE_UNAVAILABLE" });
      const created = await internal(CREATE_SESSION_PATH, newSession, "auth", broken);
      expect(created.status).toBe(503);
      expect(broken.logs.join("")).toContain("session_store_failed");
      expect(broken.logs.join("")).not.toContain("b".repeat(43));
    });
  });

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
      const resolved = await internal(RESOLVE_SESSION_PATH, { token }, "gateway");
      await expect(resolved.json()).resolves.toEqual({ session: null });
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
});
