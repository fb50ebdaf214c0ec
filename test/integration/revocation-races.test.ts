import { readFileSync } from "node:fs";
import {
  generateKeyMaterial,
  importSigningKey,
  listen,
  publicKeys,
  silentLogger,
  type KeyMaterial,
  type RunningServer,
} from "@fedsession/runtime";
import { createSessionServiceClient, type TokenPair } from "@fedsession/session-client";
import {
  ANONYMOUS,
  GATEWAY_CONTEXT_HEADER,
  SESSION_ID_HEADER,
  USER_ID_HEADER,
  USER_PERMISSIONS_HEADER,
  signContext,
  type Identity,
} from "@fedsession/subgraph-kit";
import { connectTestRedis, type TestRedis } from "@fedsession/testing";
import { createAccounts, type Accounts } from "../../subgraphs/auth/src/accounts";
import { DEFAULT_SUPERGRAPH_PATH } from "../../subgraphs/auth/src/config";
import { grantablePermissions } from "../../subgraphs/auth/src/permissions";
import { createLoginGuard, DEFAULT_LOGIN_LIMITS } from "../../subgraphs/auth/src/login-guard";
import { createPasswords } from "../../subgraphs/auth/src/passwords";
import { createAuthServer } from "../../subgraphs/auth/src/server";
import type { SessionService } from "../../subgraphs/auth/src/sessions";
import { createSignUpGuard, DEFAULT_SIGN_UP_LIMITS } from "../../subgraphs/auth/src/sign-up-guard";
import { createMemoryLoginThrottle, createMemoryUserStore } from "../../subgraphs/auth/src/store/memory";
import { createRedisUserStore } from "../../subgraphs/auth/src/store/redis";
import type { UserRecord, UserStore } from "../../subgraphs/auth/src/store/user-store";
import { createSessionServer } from "../../subgraphs/session/src/server";
import { createMemorySessionStore } from "../../subgraphs/session/src/store/memory";
import { createRedisSessionStore } from "../../subgraphs/session/src/store/redis";
import type { SessionStore } from "../../subgraphs/session/src/store/session-store";

/**
 * The revocation invariant (docs/security.md): a login or refresh whose credential check began before a password
 * change, a disable or a revoke-all leaves no live session once both have returned. Each test forces the bad
 * interleaving with a gate between the two steps, on the real session service over HTTP, with each store.
 */

/** A one-shot pause: `hold` waits at the gate until the test releases it, after telling the test it arrived. */
class Gate {
  private armed = false;
  private arrive: () => void = () => {};
  private open: () => void = () => {};
  reached: Promise<void> = Promise.resolve();
  private opened: Promise<void> = Promise.resolve();

  arm() {
    this.armed = true;
    this.reached = new Promise((resolve) => (this.arrive = resolve));
    this.opened = new Promise((resolve) => (this.open = resolve));
  }

  async hold() {
    if (!this.armed) return;
    this.armed = false;
    this.arrive();
    await this.opened;
  }

  release() {
    this.open();
  }
}

/** Every permission the repository's supergraph lets an administrator grant. */
const GRANTABLE = grantablePermissions(readFileSync(DEFAULT_SUPERGRAPH_PATH, "utf8"));
const PASSWORD = "old-password-1";
const NEW_PASSWORD = "new-password-2";
const CLIENT = { ip: "203.0.113.9", userAgent: "race" };
const LOGIN = `mutation ($email: String!, $password: String!, $transport: SessionTransport!) {
  login(email: $email, password: $password, transport: $transport) { user { id } refreshToken }
}`;

interface Kind {
  users: UserStore;
  sessionStore: SessionStore;
  close(): Promise<void>;
}

const kinds: [string, () => Promise<Kind>][] = [
  [
    "memory",
    async () => ({
      users: createMemoryUserStore(),
      sessionStore: createMemorySessionStore(() => new Date()),
      close: async () => {},
    }),
  ],
  [
    "redis",
    async () => {
      const redis: TestRedis = await connectTestRedis();
      return {
        users: createRedisUserStore(redis.client),
        sessionStore: createRedisSessionStore(redis.client),
        close: () => redis.close(),
      };
    },
  ],
];

describe.each(kinds)("revocation races (%s stores)", (_name, makeKind) => {
  let kind: Kind;
  let material: KeyMaterial;
  let sessionRunning: RunningServer;
  let authRunning: RunningServer;
  let stops: (() => Promise<void>)[];
  let accounts: Accounts;
  /** Between the auth service's credential check and its call that creates the session. */
  const beforeCreate = new Gate();
  /** Around the session store's refresh rotation. */
  const beforeRotate = new Gate();
  const afterRotate = new Gate();
  let sessionClient: ReturnType<typeof createSessionServiceClient>;

  beforeAll(async () => {
    kind = await makeKind();
    material = await generateKeyMaterial(true);
    const store: SessionStore = {
      ...kind.sessionStore,
      rotateRefresh: async (...args) => {
        await beforeRotate.hold();
        const outcome = await kind.sessionStore.rotateRefresh(...args);
        await afterRotate.hold();
        return outcome;
      },
    };
    const session = await createSessionServer({
      store,
      material,
      clock: () => new Date(),
      logger: silentLogger,
      production: false,
      idleTtlSeconds: 1800,
      absoluteTtlSeconds: 43_200,
      accessTokenTtlSeconds: 600,
    });
    sessionRunning = await listen(session.handler, 0);
    sessionClient = createSessionServiceClient({
      baseUrl: sessionRunning.url,
      from: "auth",
      signingKey: await importSigningKey(material, "auth"),
      timeoutMs: 5000,
    });
    const pausing: SessionService = {
      ...sessionClient,
      createSession: async (request) => {
        await beforeCreate.hold();
        return sessionClient.createSession(request);
      },
    };
    const throttle = createMemoryLoginThrottle(() => new Date());
    accounts = createAccounts({
      users: kind.users,
      passwords: await createPasswords({ cost: 4, pepper: Buffer.alloc(32, 7) }),
      guard: createLoginGuard(throttle, DEFAULT_LOGIN_LIMITS),
      signUpGuard: createSignUpGuard(throttle, DEFAULT_SIGN_UP_LIMITS),
      clock: () => new Date(),
      revocationEpoch: (userId) => sessionClient.revocationEpoch({ userId }),
      grantablePermissions: GRANTABLE,
    });
    const auth = await createAuthServer({
      users: kind.users,
      accounts,
      sessions: pausing,
      gatewayJwks: publicKeys(material, "gateway"),
      logger: silentLogger,
      production: false,
      clock: () => new Date(),
    });
    authRunning = await listen(auth.handler, 0);
    stops = [session.stop, auth.stop];
  });

  afterAll(async () => {
    await authRunning?.close();
    await sessionRunning?.close();
    for (const stop of stops ?? []) await stop();
    await kind?.close();
  });

  async function post(
    url: string,
    audience: string,
    identity: Identity,
    query: string,
    variables: Record<string, unknown>,
  ) {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      [GATEWAY_CONTEXT_HEADER]: await signContext(
        identity,
        audience,
        await importSigningKey(material, "gateway"),
        new Date(),
        CLIENT,
      ),
    };
    if (identity.authenticated) {
      headers[USER_ID_HEADER] = identity.userId;
      headers[USER_PERMISSIONS_HEADER] = identity.permissions.join(",");
      headers[SESSION_ID_HEADER] = identity.sessionId;
    }
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as {
      data?: Record<string, unknown> | null;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
  }

  const auth = (identity: Identity, query: string, variables: Record<string, unknown> = {}) =>
    post(authRunning.url, "auth", identity, query, variables);
  const session = (identity: Identity, query: string, variables: Record<string, unknown> = {}) =>
    post(sessionRunning.url, "session", identity, query, variables);

  const admin: Identity = {
    authenticated: true,
    userId: "u-admin",
    permissions: GRANTABLE,
    sessionId: "A".repeat(22),
  };
  let count = 0;
  const newUser = async (): Promise<UserRecord> =>
    accounts.signUp(`racer${(count += 1)}-${Date.now()}@example.com`, PASSWORD, null);
  const owner = (user: UserRecord): Identity => ({
    authenticated: true,
    userId: user.id,
    permissions: user.permissions,
    sessionId: "B".repeat(22),
  });
  const liveSessions = (user: UserRecord) => kind.sessionStore.listByUser(user.id, 100);

  /** Starts a login that stops after its password was checked, before its session is created. */
  async function pausedLogin(user: UserRecord, transport: "COOKIE" | "TOKEN" = "COOKIE") {
    beforeCreate.arm();
    const login = auth(ANONYMOUS, LOGIN, { email: user.email, password: PASSWORD, transport });
    // A login that fails before it reaches the gate fails the test instead of leaving it waiting.
    await Promise.race([
      beforeCreate.reached,
      login.then((result) => Promise.reject(new Error(JSON.stringify(result)))),
    ]);
    // Wrapped: an async function returning the promise itself would wait for it.
    return { login };
  }

  it("a login that checked the old password while the password changed keeps no session", async () => {
    const user = await newUser();
    const { login } = await pausedLogin(user);
    const changed = await auth(
      owner(user),
      `mutation ($current: String!, $next: String!) { changePassword(currentPassword: $current, newPassword: $next) }`,
      { current: PASSWORD, next: NEW_PASSWORD },
    );
    expect(changed.data).toEqual({ changePassword: true });
    const [changerSession] = await liveSessions(user);
    beforeCreate.release();
    const result = await login;
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    // Only the session changePassword gave its caller survives.
    await expect(liveSessions(user)).resolves.toEqual([changerSession]);
  });

  it("a login that checked the password while an administrator disabled the account keeps no session", async () => {
    const user = await newUser();
    const { login } = await pausedLogin(user, "TOKEN");
    const disabled = await auth(admin, `mutation ($id: ID!) { setUserDisabled(userId: $id, disabled: true) { id } }`, {
      id: user.id,
    });
    expect(disabled.errors).toBeUndefined();
    beforeCreate.release();
    const result = await login;
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    await expect(liveSessions(user)).resolves.toEqual([]);
  });

  it("a login that checked the password while an administrator revoked every session keeps no session", async () => {
    const user = await newUser();
    const { login } = await pausedLogin(user);
    const revoked = await session(admin, `mutation ($id: ID!) { revokeUserSessions(userId: $id) }`, { id: user.id });
    expect(revoked.data).toEqual({ revokeUserSessions: 0 });
    beforeCreate.release();
    const result = await login;
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    await expect(liveSessions(user)).resolves.toEqual([]);
    // A login that begins after the revoke-all is a new login, and keeps its session.
    const later = await auth(ANONYMOUS, LOGIN, { email: user.email, password: PASSWORD, transport: "COOKIE" });
    expect(later.errors).toBeUndefined();
    await expect(liveSessions(user)).resolves.toHaveLength(1);
  });

  it.each([
    ["before", beforeRotate],
    ["after", afterRotate],
  ])("a refresh racing a revoke-all (held %s its rotation) keeps no session", async (_when, gate) => {
    const user = await newUser();
    const login = await auth(ANONYMOUS, LOGIN, { email: user.email, password: PASSWORD, transport: "TOKEN" });
    const refreshToken = (login.data?.login as { refreshToken: string }).refreshToken;
    gate.arm();
    const refresh = session(ANONYMOUS, `mutation ($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }`, {
      t: refreshToken,
    });
    await gate.reached;
    await sessionClient.revokeUserSessions({ userId: user.id, exceptSessionId: null });
    gate.release();
    const result = await refresh;
    await expect(liveSessions(user)).resolves.toEqual([]);
    // Whatever the refresh answered, what it handed out no longer works.
    const pair = result.data?.refreshSession as TokenPair | undefined;
    if (pair !== undefined) {
      const again = await session(
        ANONYMOUS,
        `mutation ($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }`,
        {
          t: pair.refreshToken,
        },
      );
      expect(again.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
  });
});
