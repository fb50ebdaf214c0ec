import { randomBytes } from "node:crypto";
import { compare as bcryptCompare } from "bcrypt";
import {
  createLogger,
  generateKeyMaterial,
  importSigningKey,
  listen,
  publicKeys,
  silentLogger,
  type Logger,
  type RunningServer,
} from "@fedsession/runtime";
import {
  createSessionServiceClient,
  formatSessionToken,
  parseSessionToken,
  type CreateSessionRequest,
  type CreateSessionResponse,
  type RevokeUserSessionsRequest,
  type UpdateUserPermissionsRequest,
} from "@fedsession/session-client";
import {
  ANONYMOUS,
  GATEWAY_CONTEXT_HEADER,
  SESSION_ID_HEADER,
  SET_SESSION_HEADER,
  USER_ID_HEADER,
  USER_PERMISSIONS_HEADER,
  signContext,
  type ClientInfo,
  type ContextSigningKey,
  type Identity,
} from "@fedsession/subgraph-kit";
import { connectTestRedis, TestClock, type TestRedis } from "@fedsession/testing";
import type { JSONWebKeySet } from "jose";
import { readFileSync } from "node:fs";
import { createAccounts, type Accounts } from "../src/accounts";
import { DEFAULT_SUPERGRAPH_PATH } from "../src/config";
import { grantablePermissions } from "../src/permissions";
import { createBcryptLimiter, type BcryptLimiter } from "../src/bcrypt-limiter";
import { createLoginGuard, DEFAULT_LOGIN_LIMITS, type LoginLimits } from "../src/login-guard";
import { createPasswords, type Passwords } from "../src/passwords";
import { createSignUpGuard, DEFAULT_SIGN_UP_LIMITS, type SignUpLimits } from "../src/sign-up-guard";
import { createAuthServer, type AuthServer } from "../src/server";
import type { SessionService } from "../src/sessions";
import type { LoginThrottle } from "../src/store/login-throttle";
import { createMemoryLoginThrottle, createMemoryUserStore } from "../src/store/memory";
import { createRedisLoginThrottle, createRedisUserStore } from "../src/store/redis";
import type { UserRecord, UserStore } from "../src/store/user-store";

const SESSION_MAX_AGE_SECONDS = 1800;
const PEPPER = randomBytes(32);
const CLIENT: ClientInfo = { ip: "203.0.113.10", userAgent: "Mozilla/5.0 (test)" };

/** Stands in for the session service (not a store): records what auth asked for and answers with well-formed tokens. */
class RecordingSessionService implements SessionService {
  readonly requests: CreateSessionRequest[] = [];
  readonly sessionIds: string[] = [];
  readonly tokens: string[] = [];
  readonly refreshTokens: string[] = [];
  readonly accessTokens: string[] = [];
  readonly permissionUpdates: UpdateUserPermissionsRequest[] = [];
  readonly revocations: RevokeUserSessionsRequest[] = [];
  private count = 0;

  constructor(private readonly clock: TestClock) {}

  async createSession(request: CreateSessionRequest): Promise<CreateSessionResponse> {
    this.requests.push(request);
    this.count += 1;
    const id = `session${String(this.count).padStart(15, "0")}`;
    this.sessionIds.push(id);
    const now = this.clock.now().getTime();
    const session = {
      id,
      expiresAt: new Date(now + SESSION_MAX_AGE_SECONDS * 1000).toISOString(),
      maxAgeSeconds: SESSION_MAX_AGE_SECONDS,
    };
    if (request.transport === "TOKEN") {
      const tokens = {
        accessToken: `eyJ.access-${this.count}.sig`,
        accessTokenExpiresAt: new Date(now + 15 * 60 * 1000).toISOString(),
        refreshToken: `refresh-${this.count}-${"r".repeat(30)}`,
      };
      this.accessTokens.push(tokens.accessToken);
      this.refreshTokens.push(tokens.refreshToken);
      return { session, tokens };
    }
    const token = formatSessionToken({ id, secret: `${"s".repeat(42)}${this.count % 10}` });
    this.tokens.push(token);
    return { token, session };
  }

  async updateUserPermissions(request: UpdateUserPermissionsRequest) {
    this.permissionUpdates.push(request);
    return { updated: 2 };
  }

  async revokeUserSessions(request: RevokeUserSessionsRequest) {
    this.revocations.push(request);
    return { revoked: 3 };
  }

  async revocationEpoch() {
    return "0";
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

interface GraphQLError {
  message: string;
  path?: unknown[];
  extensions?: { code?: string; retryAfterSeconds?: number };
}

interface GraphQLResponse {
  status: number;
  headers: Headers;
  text: string;
  body: { data?: Record<string, unknown> | null; errors?: GraphQLError[] };
}

interface Stores {
  users: UserStore;
  throttle: LoginThrottle;
  /** Short on Redis, where the window is a real TTL the test waits out. */
  windowSeconds: number;
  /** Lets the throttle window pass: moves the clock (memory) or waits (Redis). */
  outlast(clock: TestClock): Promise<void>;
  /** Lets `milliseconds` pass for the throttle only: moves its clock (memory) or waits (Redis). */
  elapse(milliseconds: number): Promise<void>;
  redis: TestRedis | null;
  close(): Promise<void>;
}

const storeKinds: [string, () => Promise<Stores>][] = [
  [
    "memory",
    async () => {
      const clock = new TestClock();
      return {
        users: createMemoryUserStore(),
        throttle: createMemoryLoginThrottle(() => new Date(clock.now().getTime() + offset.value)),
        windowSeconds: 900,
        outlast: async (serverClock) => {
          offset.value += 900_001;
          serverClock.advance(900_001);
        },
        elapse: async (milliseconds) => {
          offset.value += milliseconds;
        },
        redis: null,
        close: async () => {},
      };
    },
  ],
  [
    "redis",
    async () => {
      const redis = await connectTestRedis();
      return {
        users: createRedisUserStore(redis.client),
        throttle: createRedisLoginThrottle(redis.client),
        windowSeconds: 6,
        outlast: () => new Promise((resolve) => setTimeout(resolve, 6100)),
        elapse: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
        redis,
        close: () => redis.close(),
      };
    },
  ],
];
/** The memory throttle's clock runs this far ahead of its own start; moved together with the server clock. */
const offset = { value: 0 };

let gatewayKey: ContextSigningKey;
let gatewayJwks: JSONWebKeySet;

beforeAll(async () => {
  const material = await generateKeyMaterial(true);
  gatewayKey = await importSigningKey(material, "gateway");
  gatewayJwks = publicKeys(material, "gateway");
});

async function headersFor(identity: Identity, now: Date, client: ClientInfo = CLIENT): Promise<Record<string, string>> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    [GATEWAY_CONTEXT_HEADER]: await signContext(identity, "auth", gatewayKey, now, client),
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

interface Service {
  clock: TestClock;
  users: UserStore;
  accounts: Accounts;
  sessions: RecordingSessionService;
  server: AuthServer;
  running: RunningServer;
  execute(
    identity: Identity,
    query: string,
    variables?: Record<string, unknown>,
    client?: ClientInfo,
  ): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

async function startService(options: {
  users: UserStore;
  throttle: LoginThrottle;
  passwords: Passwords;
  limits: LoginLimits;
  signUpLimits?: SignUpLimits;
  logger?: Logger;
  clock?: TestClock;
  sessions?: SessionService;
}): Promise<Service> {
  const clock = options.clock ?? new TestClock();
  const guard = createLoginGuard(options.throttle, options.limits);
  const signUpGuard = createSignUpGuard(options.throttle, options.signUpLimits ?? DEFAULT_SIGN_UP_LIMITS);
  const accounts = createAccounts({
    users: options.users,
    passwords: options.passwords,
    guard,
    signUpGuard,
    clock: clock.now,
    revocationEpoch: (userId) => (options.sessions ?? sessions).revocationEpoch({ userId }),
    grantablePermissions: GRANTABLE,
  });
  const sessions = new RecordingSessionService(clock);
  const server = await createAuthServer({
    users: options.users,
    accounts,
    sessions: options.sessions ?? sessions,
    gatewayJwks,
    logger: options.logger ?? silentLogger,
    production: false,
    clock: clock.now,
  });
  const running = await listen(server.handler, 0);
  return {
    clock,
    users: options.users,
    accounts,
    sessions,
    server,
    running,
    execute: async (identity, query, variables = {}, client = CLIENT) =>
      post(running.url, await headersFor(identity, clock.now(), client), query, variables),
    close: async () => {
      await running.close();
      await server.stop();
    },
  };
}

/** Every permission the repository's supergraph lets an administrator grant. */
const GRANTABLE = grantablePermissions(readFileSync(DEFAULT_SUPERGRAPH_PATH, "utf8"));

const identityOf = (user: UserRecord, sessionId = "session-of-test"): Identity => ({
  authenticated: true,
  userId: user.id,
  permissions: user.permissions,
  sessionId,
});
const ADMIN: Identity = {
  authenticated: true,
  userId: "u-admin",
  permissions: GRANTABLE,
  sessionId: "s-admin",
};

const SIGN_UP = `mutation ($email: String!, $password: String!) {
  signUp(email: $email, password: $password) { user { id email permissions } expiresAt accessToken refreshToken }
}`;
const LOGIN = `mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password, transport: COOKIE) { user { id email } expiresAt }
}`;
const LOGIN_TOKEN = `mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password, transport: TOKEN) {
    user { id email } expiresAt accessToken accessTokenExpiresAt refreshToken
  }
}`;
const CHANGE_PASSWORD = `mutation ($current: String!, $next: String!) {
  changePassword(currentPassword: $current, newPassword: $next)
}`;
const SET_PERMISSIONS = `mutation ($userId: ID!, $permissions: [String!]!) {
  setUserPermissions(userId: $userId, permissions: $permissions) { id email permissions disabled }
}`;
const SET_DISABLED = `mutation ($userId: ID!, $disabled: Boolean!) {
  setUserDisabled(userId: $userId, disabled: $disabled) { id disabled }
}`;
const USER_ENTITIES = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id email } } }`;

/** One operation with `count` aliased login fields, all with the same arguments. */
const aliasedLogins = (count: number) =>
  `mutation ($email: String!, $password: String!) { ${Array.from(
    { length: count },
    (_, index) => `a${index}: login(email: $email, password: $password) { user { id } }`,
  ).join(" ")} }`;

const sessionTokenOf = (response: GraphQLResponse) => {
  const match = /^([^;]+); max-age=(\d+)$/.exec(response.headers.get(SET_SESSION_HEADER) ?? "");
  return match ? { token: match[1] ?? "", maxAge: Number(match[2]) } : null;
};

describe.each(storeKinds)("auth subgraph over HTTP (%s stores)", (_kind, connectStores) => {
  let stores: Stores;
  let passwords: Passwords;
  let service: Service;
  let batches: (readonly string[])[];

  beforeAll(async () => {
    stores = await connectStores();
    passwords = await createPasswords({ cost: 4, pepper: PEPPER });
  });
  afterAll(() => stores.close());

  beforeEach(async () => {
    batches = [];
    service = await startService({
      users: countingStore(stores.users, batches),
      throttle: stores.throttle,
      passwords,
      limits: { ...DEFAULT_LOGIN_LIMITS, windowSeconds: stores.windowSeconds },
    });
  });
  afterEach(() => service.close());

  let sequence = 0;
  /** Stores are shared by the tests of one kind, so every test uses addresses of its own. */
  const email = (name: string) => `${name}${(sequence += 1)}-${Date.now()}@example.com`;

  it("signs up, opens a session with the signed client details and hands its token only in the internal header", async () => {
    const address = email("alice");
    const response = await service.execute(ANONYMOUS, SIGN_UP, {
      email: ` ${address.toUpperCase()}`,
      password: "alice-password-1",
    });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const stored = await service.users.findByEmail(address);
    expect(response.body.data).toEqual({
      signUp: {
        user: { id: stored?.id, email: address, permissions: ["documents:read", "documents:write"] },
        expiresAt: new Date(service.clock.now().getTime() + SESSION_MAX_AGE_SECONDS * 1000).toISOString(),
        accessToken: null,
        refreshToken: null,
      },
    });
    expect(service.sessions.requests).toEqual([
      {
        userId: stored?.id,
        permissions: ["documents:read", "documents:write"],
        userAgent: CLIENT.userAgent,
        ip: CLIENT.ip,
        transport: "COOKIE",
        replacesSessionId: null,
        revocationEpoch: "0",
      },
    ]);
    const cookie = sessionTokenOf(response);
    expect(cookie?.maxAge).toBe(SESSION_MAX_AGE_SECONDS);
    expect(parseSessionToken(cookie?.token ?? "")).not.toBeNull();
    expect(cookie?.token).toBe(service.sessions.tokens[0]);
    expect(response.text).not.toContain(cookie?.token);
    expect(response.text).not.toContain(parseSessionToken(cookie?.token ?? "")?.secret);
  });

  it("refuses a sign-up with a taken email or a common password as BAD_USER_INPUT and opens no session", async () => {
    const address = email("bob");
    await service.accounts.signUp(address, "bob-password-1", null);
    const taken = await service.execute(ANONYMOUS, SIGN_UP, {
      email: address.toUpperCase(),
      password: "other-password-1",
    });
    expect(taken.body.errors?.[0]).toMatchObject({
      message: "An account with this email already exists",
      extensions: { code: "BAD_USER_INPUT" },
    });
    const common = await service.execute(ANONYMOUS, SIGN_UP, { email: email("bobby"), password: "Password123" });
    expect(common.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining("most common"),
      extensions: { code: "BAD_USER_INPUT" },
    });
    expect(taken.headers.get(SET_SESSION_HEADER)).toBeNull();
    expect(service.sessions.requests).toEqual([]);
  });

  it("logs in with the right password and sets the session header", async () => {
    const address = email("carol");
    const carol = await service.accounts.signUp(address, "carol-password-1", null);
    const response = await service.execute(ANONYMOUS, LOGIN, { email: address, password: "carol-password-1" });
    expect(response.body.data).toMatchObject({ login: { user: { id: carol.id, email: address } } });
    expect(parseSessionToken(sessionTokenOf(response)?.token ?? "")).not.toBeNull();
    expect(service.sessions.requests).toEqual([
      {
        userId: carol.id,
        permissions: carol.permissions,
        userAgent: CLIENT.userAgent,
        ip: CLIENT.ip,
        transport: "COOKIE",
        replacesSessionId: null,
        revocationEpoch: "0",
      },
    ]);
  });

  it("logs in with TOKEN transport: tokens in the body, no session header", async () => {
    const address = email("tina");
    const tina = await service.accounts.signUp(address, "tina-password-1", null);
    const response = await service.execute(ANONYMOUS, LOGIN_TOKEN, { email: address, password: "tina-password-1" });
    expect(response.body.errors).toBeUndefined();
    expect(response.headers.get(SET_SESSION_HEADER)).toBeNull();
    expect(response.body.data).toEqual({
      login: {
        user: { id: tina.id, email: address },
        expiresAt: new Date(service.clock.now().getTime() + SESSION_MAX_AGE_SECONDS * 1000).toISOString(),
        accessToken: service.sessions.accessTokens[0],
        accessTokenExpiresAt: new Date(service.clock.now().getTime() + 15 * 60 * 1000).toISOString(),
        refreshToken: service.sessions.refreshTokens[0],
      },
    });
    expect(service.sessions.requests[0]?.transport).toBe("TOKEN");
  });

  it("answers an unknown email, a wrong password and a disabled account with the same error and no session", async () => {
    const address = email("dave");
    await service.accounts.signUp(address, "dave-password-1", null);
    const disabledAddress = email("dora");
    const dora = await service.accounts.signUp(disabledAddress, "dora-password-1", null);
    await service.accounts.setDisabled("u-admin", dora.id, true);
    const wrong = await service.execute(ANONYMOUS, LOGIN, { email: address, password: "wrong-password-1" });
    const unknown = await service.execute(ANONYMOUS, LOGIN, { email: email("nobody"), password: "dave-password-1" });
    const disabled = await service.execute(ANONYMOUS, LOGIN, { email: disabledAddress, password: "dora-password-1" });
    expect(wrong.body.errors?.[0]).toMatchObject({
      message: "Invalid email or password",
      extensions: { code: "UNAUTHENTICATED" },
    });
    for (const other of [unknown, disabled]) {
      expect(other.status).toBe(wrong.status);
      expect(other.body).toEqual(wrong.body);
    }
    expect(wrong.headers.get(SET_SESSION_HEADER)).toBeNull();
    expect(service.sessions.requests).toEqual([]);
  });

  it("counts each aliased login that runs as one attempt; a failed one ends the operation (non-null payload)", async () => {
    const address = email("erika");
    await service.accounts.signUp(address, "erika-password-1", null);
    const response = await service.execute(ANONYMOUS, aliasedLogins(20), {
      email: address,
      password: "wrong-password-1",
    });
    expect(response.body.data).toBeNull();
    expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
    if (stores.redis) {
      const { raw, keyPrefix } = stores.redis;
      await expect(raw.hget(`${keyPrefix}throttle:{account:${address}}`, "attempts")).resolves.toBe("1");
    }
  });

  it("counts 20 concurrent attempts: at most 5 checked, the rest RATE_LIMITED at once without a password check", async () => {
    const address = email("erin");
    const erin = await service.accounts.signUp(address, "erin-password-1", null);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        service.execute(ANONYMOUS, LOGIN, { email: address, password: "wrong-password-1" }),
      ),
    );
    const errors = responses.map((response) => response.body.errors?.[0]);
    const codes = errors.map((error) => error?.extensions?.code);
    // The back-off counts exactly 5; of those, one client gets one password check at a time, the others are told
    // at once that one is in progress.
    const checked = codes.filter((code) => code === "UNAUTHENTICATED").length;
    expect(checked).toBeGreaterThanOrEqual(1);
    expect(checked).toBeLessThanOrEqual(5);
    expect(codes.filter((code) => code === "RATE_LIMITED")).toHaveLength(20 - checked);
    for (const error of errors.filter((error) => error?.extensions?.code === "RATE_LIMITED")) {
      expect(error?.extensions?.retryAfterSeconds).toBe(1);
    }
    expect(errors.some((error) => error?.message.includes("Too many sign-in attempts"))).toBe(true);
    if (stores.redis) {
      const { raw, keyPrefix } = stores.redis;
      await expect(raw.hget(`${keyPrefix}throttle:{account:${address}}`, "attempts")).resolves.toBe("5");
    }

    const owner = await service.execute(ANONYMOUS, LOGIN, { email: address, password: "erin-password-1" });
    expect(owner.body.errors?.[0]?.extensions).toEqual({ code: "RATE_LIMITED", retryAfterSeconds: 1 });
    expect(service.sessions.requests).toEqual([]);

    const otherAddress = email("frank");
    await service.accounts.signUp(otherAddress, "frank-password-1", null);
    const other = await service.execute(ANONYMOUS, LOGIN, { email: otherAddress, password: "frank-password-1" });
    expect(other.body.errors).toBeUndefined();

    await stores.elapse(1100);
    const later = await service.execute(ANONYMOUS, LOGIN, { email: address, password: "erin-password-1" });
    expect(later.body.data).toMatchObject({ login: { user: { id: erin.id } } });
  });

  it("backs off 1 s, then 2 s, then never longer than the cap, and lets the owner in after the capped wait", async () => {
    const capped = await startService({
      users: stores.users,
      throttle: stores.throttle,
      passwords,
      // A window longer than the whole test, so that only the back-off is at work.
      limits: { ...DEFAULT_LOGIN_LIMITS, maxBackoffSeconds: 2, windowSeconds: 60 },
      clock: service.clock,
    });
    try {
      const address = email("yara");
      const yara = await capped.accounts.signUp(address, "yara-password-1", null);
      const attempt = async (password: string) =>
        (await capped.execute(ANONYMOUS, LOGIN, { email: address, password })).body.errors?.[0]?.extensions ?? null;
      for (let i = 0; i < 5; i += 1)
        await expect(attempt("wrong-password-1")).resolves.toEqual({ code: "UNAUTHENTICATED" });
      for (const seconds of [1, 2, 2]) {
        await expect(attempt("yara-password-1")).resolves.toEqual({ code: "RATE_LIMITED", retryAfterSeconds: seconds });
        await stores.elapse(seconds * 1000 + 50);
        await expect(attempt("wrong-password-1")).resolves.toEqual({ code: "UNAUTHENTICATED" });
      }
      expect(capped.sessions.requests).toEqual([]);
      await expect(attempt("yara-password-1")).resolves.toEqual({ code: "RATE_LIMITED", retryAfterSeconds: 2 });
      await stores.elapse(2050);
      const owner = await capped.execute(ANONYMOUS, LOGIN, { email: address, password: "yara-password-1" });
      expect(owner.body.data).toMatchObject({ login: { user: { id: yara.id } } });
    } finally {
      await capped.close();
    }
  });

  it("keeps another user's login at its normal latency while one client floods correct logins (BCRYPT_CONCURRENCY=1)", async () => {
    // No attempt limits in the way: only the fair bcrypt queue stands between the flood and the victim. Cost 8 keeps
    // this test quick on a loaded machine; bench/experiments/login-flood.ts measures cost 10 on the real stack.
    const victim = { address: email("victim"), client: { ip: "198.51.100.30", userAgent: "victim" } };
    const flooder = { address: email("flood"), client: { ip: "2001:db8:f1:d::1", userAgent: "flood" } };
    // What the bcrypt queue saw, in order: the victim joining it, and each comparison starting.
    const events: ("victim queued" | "victim compared" | "flood compared")[] = [];
    let victimHash = "";
    const fifo = createBcryptLimiter({ concurrency: 1, queueTimeoutMs: 10_000 });
    const limiter: BcryptLimiter = {
      run: (task, holders) => {
        if (holders?.includes(`client:${victim.client.ip}`)) events.push("victim queued");
        return fifo.run(task, holders);
      },
    };
    const compare = (prehashed: string, hash: string) => {
      events.push(hash === victimHash ? "victim compared" : "flood compared");
      return bcryptCompare(prehashed, hash);
    };
    const flooded = await startService({
      users: stores.users,
      throttle: stores.throttle,
      passwords: await createPasswords({ cost: 8, pepper: PEPPER, limiter, compare }),
      limits: { ...DEFAULT_LOGIN_LIMITS, maxAttemptsPerIp: 1_000_000, maxAttemptsPerAccount: 1_000_000 },
      clock: service.clock,
    });
    let flooding = true;
    try {
      await flooded.accounts.signUp(flooder.address, "flood-password-1", null);
      victimHash = (await flooded.accounts.signUp(victim.address, "victim-password-1", null)).passwordHash;
      const timedLogin = async () => {
        const started = performance.now();
        const response = await flooded.execute(
          ANONYMOUS,
          LOGIN,
          { email: victim.address, password: "victim-password-1" },
          victim.client,
        );
        return { response, ms: performance.now() - started };
      };
      const idle = await timedLogin();
      expect(idle.response.body.errors).toBeUndefined();

      const outcomes = { succeeded: 0, refused: 0, other: 0 };
      // Each loop on an address of its own in the flooder's /64, as a client rotating addresses would. Each has one
      // request in flight, so with one FIFO queue the victim would wait behind 8 bcrypt operations. A short pause
      // after each answer keeps the cheap refusals from taking this test process's own CPU from the victim.
      const loops = Array.from({ length: 8 }, async (_, index) => {
        const client = { ...flooder.client, ip: `2001:db8:f1:d::${index + 1}` };
        if (index === 0) events.length = 0;
        while (flooding) {
          const response = await flooded.execute(
            ANONYMOUS,
            LOGIN,
            { email: flooder.address, password: "flood-password-1" },
            client,
          );
          const code = response.body.errors?.[0]?.extensions?.code;
          if (code === undefined) outcomes.succeeded += 1;
          else if (code === "RATE_LIMITED") outcomes.refused += 1;
          else outcomes.other += 1;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const during: { response: GraphQLResponse; ms: number }[] = [];
      for (let i = 0; i < 5; i += 1) during.push(await timedLogin());
      flooding = false;
      await Promise.all(loops);

      process.stdout.write(
        `victim login (bcrypt cost 8, concurrency 1): idle ${idle.ms.toFixed(0)} ms, under flood ${during
          .map((sample) => sample.ms.toFixed(0))
          .join(", ")} ms; flood: ${JSON.stringify(outcomes)}\n`,
      );
      // By construction: when the victim joined the queue, at most one flood operation was queued or running. This
      // order, not the printed wall-clock times, is the assertion: on a loaded machine one bcrypt can take a second.
      let floodAhead = 0;
      let waiting = false;
      for (const event of events) {
        if (event === "victim queued") waiting = true;
        else if (event === "victim compared") {
          expect(floodAhead).toBeLessThanOrEqual(1);
          [waiting, floodAhead] = [false, 0];
        } else if (waiting) floodAhead += 1;
      }
      expect(events.filter((event) => event === "victim compared")).toHaveLength(during.length);
      for (const sample of during) {
        expect(sample.response.body.errors).toBeUndefined();
      }
      expect(outcomes.other).toBe(0);
      expect(outcomes.succeeded).toBeGreaterThan(0);
      expect(outcomes.refused).toBeGreaterThan(outcomes.succeeded);
    } finally {
      flooding = false;
      await flooded.close();
    }
  });

  it("counts an IPv6 client by its /64, and an IPv4-mapped address as its IPv4 address", async () => {
    const strict = await startService({
      users: stores.users,
      throttle: stores.throttle,
      passwords,
      limits: { ...DEFAULT_LOGIN_LIMITS, maxFailuresPerIp: 3, windowSeconds: stores.windowSeconds },
      clock: service.clock,
    });
    try {
      const network = `2001:db8:${(sequence += 1).toString(16)}:1`;
      const attempt = (ip: string) =>
        strict
          .execute(ANONYMOUS, LOGIN, { email: email("guess"), password: "guess-password-1" }, { ip, userAgent: "bot" })
          .then((response) => response.body.errors?.[0]?.extensions?.code);
      for (const host of ["1", "2", "ffff:ffff:ffff"]) {
        await expect(attempt(`${network}::${host}`)).resolves.toBe("UNAUTHENTICATED");
      }
      await expect(attempt(`${network}:abcd::7`)).resolves.toBe("RATE_LIMITED");
      await expect(attempt(`2001:db8:${sequence.toString(16)}:2::1`)).resolves.toBe("UNAUTHENTICATED");
      const v4 = `192.0.2.${sequence % 250}`;
      for (let i = 0; i < 3; i += 1) await expect(attempt(`::ffff:${v4}`)).resolves.toBe("UNAUTHENTICATED");
      await expect(attempt(v4)).resolves.toBe("RATE_LIMITED");
      if (stores.redis) {
        const { raw, keyPrefix } = stores.redis;
        await expect(raw.hget(`${keyPrefix}throttle:{ip:${network}::/64}`, "attempts")).resolves.toBe("4");
      }
    } finally {
      await strict.close();
    }
  });

  it("lets the owner in at once from a client they signed in from, while others face the account's back-off", async () => {
    const address = email("admin");
    const owner: ClientInfo = { ip: `198.51.100.${(sequence += 1) % 250}`, userAgent: "owner" };
    const admin = await service.accounts.signUp(address, "admin-password-1", null);
    const login = (password: string, client: ClientInfo) =>
      service.execute(ANONYMOUS, LOGIN, { email: address, password }, client);
    expect((await login("admin-password-1", owner)).body.errors).toBeUndefined();
    for (let i = 0; i < 5; i += 1) {
      const attacker: ClientInfo = { ip: `203.0.113.${(sequence + i) % 250}`, userAgent: "attacker" };
      expect((await login("wrong-password-1", attacker)).body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
    const stranger = await login("admin-password-1", { ip: "192.0.2.254", userAgent: "new laptop" });
    expect(stranger.body.errors?.[0]?.extensions).toEqual({ code: "RATE_LIMITED", retryAfterSeconds: 1 });
    const fromOwnClient = await login("admin-password-1", owner);
    expect(fromOwnClient.body.data).toMatchObject({ login: { user: { id: admin.id } } });
    if (stores.redis) {
      const { raw, keyPrefix } = stores.redis;
      await expect(raw.exists(`${keyPrefix}throttle:{account:${address}}:known:${owner.ip}`)).resolves.toBe(1);
      await expect(raw.hget(`${keyPrefix}throttle:{account:${address}}`, "attempts")).resolves.toBe("5");
    }
  });

  it("ends the caller's current session when it logs in or signs up again, whoever it signs in as", async () => {
    const address = email("uma");
    const uma = await service.accounts.signUp(address, "uma-password-1", null);
    const otherAddress = email("vic");
    const vic = await service.accounts.signUp(otherAddress, "vic-password-1", null);
    const asUma = identityOf(uma, "s-uma-current");
    const again = await service.execute(asUma, LOGIN, { email: address, password: "uma-password-1" });
    expect(again.body.errors).toBeUndefined();
    const asVic = await service.execute(asUma, LOGIN_TOKEN, { email: otherAddress, password: "vic-password-1" });
    expect(asVic.body.errors).toBeUndefined();
    const fresh = await service.execute(asUma, SIGN_UP, { email: email("walt"), password: "walt-password-1" });
    expect(fresh.body.errors).toBeUndefined();
    const anonymous = await service.execute(ANONYMOUS, LOGIN, { email: otherAddress, password: "vic-password-1" });
    expect(anonymous.body.errors).toBeUndefined();
    expect(service.sessions.requests.map(({ userId, replacesSessionId }) => ({ userId, replacesSessionId }))).toEqual([
      { userId: uma.id, replacesSessionId: "s-uma-current" },
      { userId: vic.id, replacesSessionId: "s-uma-current" },
      { userId: expect.any(String), replacesSessionId: "s-uma-current" },
      { userId: vic.id, replacesSessionId: null },
    ]);
  });

  it("throttles sign-ups per signed client IP, failed ones included, before any work; an unsigned IP is not throttled", async () => {
    const limited = await startService({
      users: stores.users,
      throttle: stores.throttle,
      passwords,
      limits: { ...DEFAULT_LOGIN_LIMITS, windowSeconds: stores.windowSeconds },
      signUpLimits: { maxPerIp: 2, windowSeconds: stores.windowSeconds },
      clock: service.clock,
    });
    try {
      const client: ClientInfo = { ip: `198.51.100.${(sequence += 1) % 250}`, userAgent: "signup-bot" };
      const taken = email("xena");
      const signUp = (address: string, from: ClientInfo = client) =>
        limited.execute(ANONYMOUS, SIGN_UP, { email: address, password: "xena-password-1" }, from);
      expect((await signUp(taken)).body.errors).toBeUndefined();
      expect((await signUp(taken)).body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      const refused = await signUp(taken);
      expect(refused.body.errors?.[0]).toMatchObject({
        message: expect.stringContaining("Too many sign-up attempts"),
        extensions: { code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number) },
      });
      expect(refused.body.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(stores.windowSeconds - 5);
      const unknownBefore = email("yves");
      expect((await signUp(unknownBefore)).body.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
      await expect(limited.users.findByEmail(unknownBefore)).resolves.toBeNull();
      expect(limited.sessions.requests).toHaveLength(1);
      expect((await signUp(email("zoe"), { ...client, ip: "198.51.100.251" })).body.errors).toBeUndefined();
      for (let i = 0; i < 3; i += 1) {
        expect((await signUp(email("anon"), { ip: null, userAgent: null })).body.errors).toBeUndefined();
      }
      if (stores.redis) {
        const { raw, keyPrefix } = stores.redis;
        await expect(raw.hget(`${keyPrefix}throttle:{signup:${client.ip}}`, "attempts")).resolves.toBe("4");
      }
    } finally {
      await limited.close();
    }
  });

  it("throttles a client IP after 100 failures across accounts while other IPs go on", async () => {
    // 101 logins one after another outlast the short Redis window of the other tests on a loaded machine; this
    // test never waits a window out, so its window spans the whole run.
    const patient = await startService({
      users: stores.users,
      throttle: stores.throttle,
      passwords,
      limits: { ...DEFAULT_LOGIN_LIMITS, windowSeconds: 900 },
      clock: service.clock,
    });
    const attacker: ClientInfo = { ip: `192.0.2.${(sequence += 1) % 250}`, userAgent: "bot" };
    try {
      // One after another: a client gets one password check at a time.
      const responses: GraphQLResponse[] = [];
      for (let index = 0; index < 101; index += 1) {
        responses.push(
          await patient.execute(
            ANONYMOUS,
            LOGIN,
            { email: email(`victim${index}-`), password: "guess-password-1" },
            attacker,
          ),
        );
      }
      const codes = responses.map((response) => response.body.errors?.[0]?.extensions?.code);
      expect(codes.filter((code) => code === "UNAUTHENTICATED")).toHaveLength(100);
      expect(codes.filter((code) => code === "RATE_LIMITED")).toHaveLength(1);
      const address = email("grace");
      await patient.accounts.signUp(address, "grace-password-1", null);
      const fromElsewhere = await patient.execute(ANONYMOUS, LOGIN, { email: address, password: "grace-password-1" });
      expect(fromElsewhere.body.errors).toBeUndefined();
      if (stores.redis) {
        const { raw, keyPrefix } = stores.redis;
        await expect(raw.hget(`${keyPrefix}throttle:{ip:${attacker.ip}}`, "attempts")).resolves.toBe("101");
      }
    } finally {
      await patient.close();
    }
  });

  it("changes the password: new cookie session, every other session revoked, old password refused", async () => {
    const address = email("heidi");
    const heidi = await service.accounts.signUp(address, "heidi-password-1", null);
    const response = await service.execute(identityOf(heidi, "s-old"), CHANGE_PASSWORD, {
      current: "heidi-password-1",
      next: "a brand new passphrase",
    });
    expect(response.body).toEqual({ data: { changePassword: true } });
    const newSessionId = service.sessions.sessionIds[0];
    expect(service.sessions.requests[0]).toMatchObject({
      userId: heidi.id,
      transport: "COOKIE",
      ip: CLIENT.ip,
      replacesSessionId: "s-old",
    });
    expect(service.sessions.revocations).toEqual([{ userId: heidi.id, exceptSessionId: newSessionId }]);
    expect(sessionTokenOf(response)?.token).toBe(service.sessions.tokens[0]);
    const old = await service.execute(ANONYMOUS, LOGIN, { email: address, password: "heidi-password-1" });
    expect(old.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const fresh = await service.execute(ANONYMOUS, LOGIN, { email: address, password: "a brand new passphrase" });
    expect(fresh.body.errors).toBeUndefined();
  });

  it("refuses a password change with a wrong current password, a weak new one, or no user", async () => {
    const address = email("ivan");
    const ivan = await service.accounts.signUp(address, "ivan-password-1", null);
    const wrong = await service.execute(identityOf(ivan), CHANGE_PASSWORD, {
      current: "nope-nope-1",
      next: "fine-password-2",
    });
    expect(wrong.body.errors?.[0]).toMatchObject({
      message: "Current password is incorrect",
      extensions: { code: "UNAUTHENTICATED" },
    });
    const weak = await service.execute(identityOf(ivan), CHANGE_PASSWORD, {
      current: "ivan-password-1",
      next: "short",
    });
    expect(weak.body.errors?.[0]).toMatchObject({
      message: "Passwords need at least 8 characters",
      extensions: { code: "BAD_USER_INPUT" },
    });
    const anonymous = await service.execute(ANONYMOUS, CHANGE_PASSWORD, {
      current: "ivan-password-1",
      next: "fine-password-2",
    });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(wrong.headers.get(SET_SESSION_HEADER)).toBeNull();
    expect(service.sessions.requests).toEqual([]);
    expect(service.sessions.revocations).toEqual([]);
  });

  it("lets an administrator set permissions, pushes them to the user's live sessions, and checks the input", async () => {
    const address = email("judy");
    const judy = await service.accounts.signUp(address, "judy-password-1", null);
    const response = await service.execute(ADMIN, SET_PERMISSIONS, {
      userId: judy.id,
      permissions: ["sessions:admin", "documents:read"],
    });
    expect(response.body).toEqual({
      data: {
        setUserPermissions: {
          id: judy.id,
          email: address,
          permissions: ["documents:read", "sessions:admin"],
          disabled: false,
        },
      },
    });
    expect(service.sessions.permissionUpdates).toEqual([
      { userId: judy.id, permissions: ["documents:read", "sessions:admin"] },
    ]);
    await expect(service.users.findById(judy.id)).resolves.toMatchObject({
      permissions: ["documents:read", "sessions:admin"],
    });

    const unknownPermission = await service.execute(ADMIN, SET_PERMISSIONS, { userId: judy.id, permissions: ["root"] });
    expect(unknownPermission.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const unknownUser = await service.execute(ADMIN, SET_PERMISSIONS, { userId: "u-missing", permissions: [] });
    expect(unknownUser.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const notAdmin = await service.execute(identityOf(judy), SET_PERMISSIONS, {
      userId: judy.id,
      permissions: ["users:admin"],
    });
    expect(notAdmin.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(service.sessions.permissionUpdates).toHaveLength(1);
  });

  it("disables an account (sessions revoked, login refused) and re-enables it without reviving sessions", async () => {
    const address = email("kim");
    const kim = await service.accounts.signUp(address, "kim-password-1", null);
    const disabled = await service.execute(ADMIN, SET_DISABLED, { userId: kim.id, disabled: true });
    expect(disabled.body).toEqual({ data: { setUserDisabled: { id: kim.id, disabled: true } } });
    expect(service.sessions.revocations).toEqual([{ userId: kim.id, exceptSessionId: null }]);
    const refused = await service.execute(ANONYMOUS, LOGIN, { email: address, password: "kim-password-1" });
    expect(refused.body.errors?.[0]).toMatchObject({ message: "Invalid email or password" });

    const enabled = await service.execute(ADMIN, SET_DISABLED, { userId: kim.id, disabled: false });
    expect(enabled.body).toEqual({ data: { setUserDisabled: { id: kim.id, disabled: false } } });
    expect(service.sessions.revocations).toHaveLength(1);
    const back = await service.execute(ANONYMOUS, LOGIN, { email: address, password: "kim-password-1" });
    expect(back.body.errors).toBeUndefined();

    const self = await service.execute(ADMIN, SET_DISABLED, {
      userId: ADMIN.authenticated ? ADMIN.userId : "",
      disabled: true,
    });
    expect(self.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const notAdmin = await service.execute(identityOf(kim), SET_DISABLED, { userId: kim.id, disabled: true });
    expect(notAdmin.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("answers me with null for an anonymous caller and with the caller's own fields when signed in", async () => {
    await expect(service.execute(ANONYMOUS, "{ me { id } }")).resolves.toMatchObject({ body: { data: { me: null } } });
    const address = email("leo");
    const leo = await service.accounts.signUp(address, "leo-password-1", null);
    const response = await service.execute(identityOf(leo), "{ me { id email permissions disabled } }");
    expect(response.body).toEqual({
      data: { me: { id: leo.id, email: address, permissions: ["documents:read", "documents:write"], disabled: false } },
    });
    const ghost: Identity = { authenticated: true, userId: "u-deleted", permissions: [], sessionId: "s-old" };
    await expect(service.execute(ghost, "{ me { id } }")).resolves.toMatchObject({ body: { data: { me: null } } });
  });

  it("refuses another user's email with FORBIDDEN through _entities but still resolves the reference", async () => {
    const grace = await service.accounts.signUp(email("mia"), "mia-password-1", null);
    const heidi = await service.accounts.signUp(email("nina"), "nina-password-1", null);
    const response = await service.execute(identityOf(heidi), USER_ENTITIES, {
      representations: [{ __typename: "User", id: grace.id }],
    });
    expect(response.body.errors?.[0]).toMatchObject({
      path: ["_entities", 0, "email"],
      extensions: { code: "FORBIDDEN" },
    });
    expect(response.text).not.toContain(grace.email);
    const idOnly = await service.execute(
      ANONYMOUS,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }`,
      {
        r: [{ __typename: "User", id: grace.id }],
      },
    );
    expect(idOnly.body).toEqual({ data: { _entities: [{ id: grace.id }] } });
  });

  it("shows any user's email to a holder of users:admin, loading all references in one batch", async () => {
    const ivan = await service.accounts.signUp(email("oscar"), "oscar-password-1", null);
    const judy = await service.accounts.signUp(email("peggy"), "peggy-password-1", null);
    const representations = [ivan, judy, ivan].map((user) => ({ __typename: "User", id: user.id }));
    const response = await service.execute(ADMIN, USER_ENTITIES, { representations });
    expect(response.body).toEqual({
      data: {
        _entities: [
          { id: ivan.id, email: ivan.email },
          { id: judy.id, email: judy.email },
          { id: ivan.id, email: ivan.email },
        ],
      },
    });
    expect(batches).toEqual([[ivan.id, judy.id]]);
  });

  it("refuses bare identity headers without a signed context with 401 and runs nothing", async () => {
    const address = email("mallory");
    const response = await post(
      service.running.url,
      { "content-type": "application/json", [USER_ID_HEADER]: "u-mallory", [USER_PERMISSIONS_HEADER]: "users:admin" },
      SIGN_UP,
      { email: address, password: "mallory-password-1" },
    );
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    await expect(service.users.findByEmail(address)).resolves.toBeNull();
  });
});

describe("auth subgraph: failures, timing and audit", () => {
  const limits = DEFAULT_LOGIN_LIMITS;

  it("answers 503 SESSION_STORE_UNAVAILABLE when the session service cannot be reached", async () => {
    const clock = new TestClock();
    const unreachable = createSessionServiceClient({
      baseUrl: "http://127.0.0.1:1",
      from: "auth",
      signingKey: await importSigningKey(await generateKeyMaterial(true), "auth"),
      timeoutMs: 500,
    });
    const service = await startService({
      users: createMemoryUserStore(),
      throttle: createMemoryLoginThrottle(clock.now),
      passwords: await createPasswords({ cost: 4, pepper: PEPPER }),
      limits,
      clock,
      sessions: unreachable,
    });
    try {
      await service.accounts.signUp("erin@example.com", "erin-password-1", null);
      const response = await service.execute(ANONYMOUS, LOGIN, {
        email: "erin@example.com",
        password: "erin-password-1",
      });
      expect(response.status).toBe(503);
      expect(response.body.errors?.[0]?.extensions).toEqual({ code: "SESSION_STORE_UNAVAILABLE" });
      expect(response.headers.get(SET_SESSION_HEADER)).toBeNull();
    } finally {
      await service.close();
    }
  });

  it("answers RATE_LIMITED with a one-second retry, and opens no session, when bcrypt's queue wait times out", async () => {
    const lines: string[] = [];
    const clock = new TestClock();
    const limiter = createBcryptLimiter({ concurrency: 1, queueTimeoutMs: 100 });
    const service = await startService({
      users: createMemoryUserStore(),
      throttle: createMemoryLoginThrottle(clock.now),
      passwords: await createPasswords({ cost: 4, pepper: PEPPER, limiter }),
      limits,
      clock,
      logger: createLogger("auth", (line) => lines.push(line)),
    });
    let release = () => {};
    try {
      await service.accounts.signUp("olga@example.com", "olga-password-1", null);
      const held = limiter.run(() => new Promise<void>((resolve) => (release = resolve)));
      const responses = await Promise.all(
        ["olga@example.com", "nobody@example.com"].map((address, index) =>
          service.execute(
            ANONYMOUS,
            LOGIN,
            { email: address, password: "olga-password-1" },
            { ...CLIENT, ip: `198.51.100.${index + 1}` },
          ),
        ),
      );
      release();
      await held;
      for (const response of responses) {
        expect(response.body.errors?.[0]?.message).toBe("The service is busy; try again shortly");
        expect(response.body.errors?.[0]?.extensions).toEqual({ code: "RATE_LIMITED", retryAfterSeconds: 1 });
      }
      expect(service.sessions.requests).toEqual([]);
      expect(lines.filter((line) => line.includes("bcrypt_queue_timeout"))).toHaveLength(2);
      expect(lines.filter((line) => line.includes("audit.login_failed"))).toEqual([]);
      const afterwards = await service.execute(ANONYMOUS, LOGIN, {
        email: "olga@example.com",
        password: "olga-password-1",
      });
      expect(afterwards.body.errors).toBeUndefined();
    } finally {
      release();
      await service.close();
    }
  });

  // 66 bcrypt operations at cost 10, one at a time: ~5 s on an idle machine, several times that on a loaded one.
  it("does as much password work for an unknown email as for a wrong password (CPU medians within 20%)", async () => {
    const clock = new TestClock();
    const service = await startService({
      users: createMemoryUserStore(),
      throttle: createMemoryLoginThrottle(clock.now),
      // A cost high enough that a skipped comparison would stand out far beyond HTTP noise.
      passwords: await createPasswords({ cost: 10, pepper: PEPPER }),
      limits,
      clock,
    });
    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    };
    /**
     * Wall time and CPU time (this process, bcrypt's threads included) of one login. The assertion is on CPU time:
     * the work a login does is what would give an unknown email away, and unlike wall time it does not move with
     * what other processes on a shared machine are doing.
     */
    const timed = async (address: string) => {
      const started = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      const response = await service.execute(ANONYMOUS, LOGIN, { email: address, password: "wrong-password-1" });
      const used = process.cpuUsage(cpu);
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      expect(response.body.errors?.[0]?.message).toBe("Invalid email or password");
      return { wallMs, cpuMs: (used.user + used.system) / 1000 };
    };
    try {
      const existing: string[] = [];
      for (let i = 0; i < 22; i += 1) {
        existing.push(`timing${i}@example.com`);
        await service.accounts.signUp(`timing${i}@example.com`, "right-password-1", null);
      }
      // One warm-up of each path, then interleaved, so drift in machine load hits both alike.
      await timed("warmup-unknown@example.com");
      await timed(existing[21] ?? "");
      const unknown: { wallMs: number; cpuMs: number }[] = [];
      const wrong: { wallMs: number; cpuMs: number }[] = [];
      for (let i = 0; i < 21; i += 1) {
        unknown.push(await timed(`unknown${i}@example.com`));
        wrong.push(await timed(existing[i] ?? ""));
      }
      const medians = (samples: { wallMs: number; cpuMs: number }[]) => ({
        wallMs: median(samples.map((sample) => sample.wallMs)),
        cpuMs: median(samples.map((sample) => sample.cpuMs)),
      });
      const [ofUnknown, ofWrong] = [medians(unknown), medians(wrong)];
      process.stdout.write(
        `login medians (bcrypt cost 10): unknown email ${ofUnknown.cpuMs.toFixed(2)} ms CPU / ${ofUnknown.wallMs.toFixed(2)} ms wall, wrong password ${ofWrong.cpuMs.toFixed(2)} ms CPU / ${ofWrong.wallMs.toFixed(2)} ms wall\n`,
      );
      expect(Math.abs(ofUnknown.cpuMs - ofWrong.cpuMs) / Math.max(ofUnknown.cpuMs, ofWrong.cpuMs)).toBeLessThan(0.2);
    } finally {
      await service.close();
    }
  }, 180_000);

  it("writes audit lines for a full flow that never contain a password, token or hash", async () => {
    const lines: string[] = [];
    const clock = new TestClock();
    const service = await startService({
      users: createMemoryUserStore(),
      throttle: createMemoryLoginThrottle(clock.now),
      passwords: await createPasswords({ cost: 4, pepper: PEPPER }),
      limits: { ...limits, backoffAfterFailures: 2 },
      signUpLimits: { maxPerIp: 1, windowSeconds: 60 },
      clock,
      logger: createLogger("auth", (line) => lines.push(line)),
    });
    const secrets = ["first-secret-pass", "second-secret-pass", "wrong-secret-pass"];
    try {
      const signUp = await service.execute(ANONYMOUS, SIGN_UP, { email: "quinn@example.com", password: secrets[0] });
      const quinnId = (signUp.body.data?.signUp as { user: { id: string } }).user.id;
      await service.execute(ANONYMOUS, LOGIN, { email: "quinn@example.com", password: secrets[2] });
      await service.execute(ANONYMOUS, LOGIN, { email: "nobody@example.com", password: secrets[2] });
      await service.execute(ANONYMOUS, LOGIN_TOKEN, { email: "quinn@example.com", password: secrets[0] });
      const quinn = (await service.users.findById(quinnId)) as UserRecord;
      await service.execute(identityOf(quinn, service.sessions.sessionIds[1]), CHANGE_PASSWORD, {
        current: secrets[0],
        next: secrets[1],
      });
      await service.execute(ADMIN, SET_PERMISSIONS, { userId: quinnId, permissions: ["documents:read"] });
      await service.execute(ADMIN, SET_DISABLED, { userId: quinnId, disabled: true });
      await service.execute(ANONYMOUS, LOGIN, { email: "quinn@example.com", password: secrets[1] });
      await service.execute(ANONYMOUS, LOGIN, { email: "quinn@example.com", password: secrets[1] });
      await service.execute(ANONYMOUS, LOGIN, { email: "quinn@example.com", password: secrets[1] });
      await service.execute(ADMIN, SET_DISABLED, { userId: quinnId, disabled: false });
      await service.execute(ANONYMOUS, SIGN_UP, { email: "rex@example.com", password: secrets[0] });

      // The audit lines only: each request also has its `request` line.
      const records = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((record) => record.event !== "request");
      const events = records.map((record) => record.event);
      expect(events).toEqual([
        "audit.signed_up",
        "audit.login_failed",
        "audit.login_failed",
        "audit.login_succeeded",
        "audit.password_changed",
        "audit.permissions_changed",
        "audit.account_disabled",
        "audit.login_failed",
        "audit.login_failed",
        "audit.login_throttled",
        "audit.account_enabled",
        "audit.sign_up_throttled",
      ]);
      expect(records.find((record) => record.event === "audit.sign_up_throttled")).toMatchObject({
        retryAfterSeconds: 60,
        ip: CLIENT.ip,
      });
      expect(records.filter((record) => record.event === "audit.login_failed").map((record) => record.reason)).toEqual([
        "wrong_password",
        "unknown_email",
        "disabled",
        "disabled",
      ]);
      expect(records.find((record) => record.event === "audit.permissions_changed")).toMatchObject({
        actorId: "u-admin",
        targetUserId: quinnId,
        oldPermissions: "documents:read,documents:write",
        newPermissions: "documents:read",
        ip: CLIENT.ip,
      });

      const stored = (await service.users.findById(quinnId)) as UserRecord;
      const log = lines.join("");
      const forbidden = [
        ...secrets,
        quinn.passwordHash,
        stored.passwordHash,
        ...service.sessions.tokens,
        ...service.sessions.tokens.map((token) => parseSessionToken(token)?.secret ?? token),
        ...service.sessions.accessTokens,
        ...service.sessions.refreshTokens,
        "rex@example.com",
      ];
      for (const value of forbidden) expect(log).not.toContain(value);
    } finally {
      await service.close();
    }
  });
});
