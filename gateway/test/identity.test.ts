import {
  generateKeyMaterial,
  importSigningKey,
  publicKeys,
  runWithRequestContext,
  silentLogger,
} from "@fedsession/runtime";
import {
  MAX_RESOLVE_BATCH,
  SessionServiceUnavailable,
  createAccessTokenVerifier,
  signAccessToken,
  type AccessTokenClaims,
  type ResolveResult,
  type ResolvedSession,
  type SessionCredential,
} from "@fedsession/session-client";
import { createIdentityResolver, CredentialRefused } from "../src/identity";

const VALID = `${"a".repeat(22)}.${"b".repeat(43)}`;
const session: ResolvedSession = {
  id: "a".repeat(22),
  userId: "u-1",
  permissions: ["documents:read"],
  expiresAt: new Date().toISOString(),
  reusableUntil: 0,
};

const OTHER = `${"c".repeat(22)}.${"d".repeat(43)}`;
const nameOf = (credential: SessionCredential) => ("token" in credential ? credential.token : credential.sessionId);
/** Lets the event loop run until every pending batch has been dispatched. */
const nextTurn = () => new Promise((done) => setImmediate(done));

/** A resolver on a stub session service that answers each credential with `answer`, recording every call. */
function resolverOn(
  resolveSessions: (credentials: readonly SessionCredential[]) => Promise<ResolveResult[]>,
  verifyAccessToken: (token: string) => Promise<AccessTokenClaims | null> = async () => null,
) {
  const lookups: string[] = [];
  const batches: string[][] = [];
  const resolve = createIdentityResolver({
    cookieName: "fedsession",
    logger: silentLogger,
    verifyAccessToken,
    sessions: {
      resolveSessions: (credentials) => {
        lookups.push(...credentials.map(nameOf));
        batches.push(credentials.map(nameOf));
        return resolveSessions(credentials);
      },
    },
  });
  return { resolve, lookups, batches };
}

function resolverWith(
  answer: () => Promise<ResolvedSession | null>,
  verifyAccessToken?: (token: string) => Promise<AccessTokenClaims | null>,
) {
  return resolverOn(
    (credentials) => Promise.all(credentials.map(async () => ({ session: await answer() }))),
    verifyAccessToken,
  );
}

describe("resolving the request's identity", () => {
  it("makes no lookup without a credential", async () => {
    const { resolve, lookups } = resolverWith(async () => session);
    await expect(resolve({})).resolves.toEqual({ identity: { authenticated: false }, clearCookie: false });
    await expect(resolve({ cookie: "theme=dark" })).resolves.toEqual({
      identity: { authenticated: false },
      clearCookie: false,
    });
    expect(lookups).toEqual([]);
  });

  it.each([
    ["too short", "fedsession=abc.def"],
    ["no separator", `fedsession=${"a".repeat(66)}`],
    ["bad characters", `fedsession=${"a".repeat(21)}!.${"b".repeat(43)}`],
    ["two session cookies", `fedsession=${VALID}; fedsession=${VALID}`],
    ["empty", "fedsession="],
  ])(
    "treats a malformed cookie (%s) as anonymous, asks for it to be cleared, and never looks it up",
    async (_case, cookie) => {
      const { resolve, lookups } = resolverWith(async () => session);
      await expect(resolve({ cookie })).resolves.toEqual({ identity: { authenticated: false }, clearCookie: true });
      expect(lookups).toEqual([]);
    },
  );

  it("looks a well-formed cookie up exactly once and carries the session's user and permissions", async () => {
    const { resolve, lookups } = resolverWith(async () => session);
    await expect(resolve({ cookie: `theme=dark; fedsession=${VALID}` })).resolves.toEqual({
      identity: { authenticated: true, userId: "u-1", permissions: ["documents:read"], sessionId: session.id },
      clearCookie: false,
    });
    expect(lookups).toEqual([VALID]);
  });

  it("clears a cookie whose session the store does not know", async () => {
    const { resolve } = resolverWith(async () => null);
    await expect(resolve({ cookie: `fedsession=${VALID}` })).resolves.toEqual({
      identity: { authenticated: false },
      clearCookie: true,
    });
  });

  it("turns a failed lookup into SESSION_STORE_UNAVAILABLE with HTTP 503, never into an anonymous request", async () => {
    const { resolve } = resolverWith(async () => {
      throw new SessionServiceUnavailable("down");
    });
    const error = await resolve({ cookie: `fedsession=${VALID}` }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(CredentialRefused);
    expect((error as CredentialRefused).header).toEqual(["retry-after", "1"]);
    expect((error as CredentialRefused).graphQLError.extensions).toMatchObject({
      code: "SESSION_STORE_UNAVAILABLE",
      http: { status: 503 },
    });
  });
});

describe("resolving a bearer access token", () => {
  let verify: (token: string) => Promise<AccessTokenClaims | null>;
  let accessToken: string;

  beforeAll(async () => {
    const material = await generateKeyMaterial(true);
    verify = createAccessTokenVerifier({ jwks: publicKeys(material, "session") });
    const key = await importSigningKey(material, "session");
    ({ token: accessToken } = await signAccessToken({ userId: "u-1", sessionId: session.id }, key, 600));
  });

  const statusOf = async (promise: Promise<unknown>) =>
    promise.then(
      () => 200,
      (error: CredentialRefused) => (error.graphQLError.extensions.http as { status: number }).status,
    );

  it("verifies the token, then still resolves its session once, by session id", async () => {
    const { resolve, lookups } = resolverWith(async () => session, verify);
    await expect(resolve({ authorization: `Bearer ${accessToken}` })).resolves.toMatchObject({
      identity: { authenticated: true, userId: "u-1", sessionId: session.id },
    });
    expect(lookups).toEqual([session.id]);
  });

  it("prefers the bearer token over a cookie", async () => {
    const { resolve, lookups } = resolverWith(async () => session, verify);
    await resolve({ authorization: `Bearer ${accessToken}`, cookie: `fedsession=${VALID}` });
    expect(lookups).toEqual([session.id]);
  });

  it.each([
    ["another scheme", () => `Basic dXNlcjpwYXNz`],
    ["no token", () => "Bearer "],
    ["a refresh or cookie token", () => `Bearer ${VALID}`],
    ["a tampered token", () => `Bearer ${accessToken.slice(0, -2)}xx`],
    ["two spaces", () => `Bearer  ${accessToken}`],
  ])("answers 401 without any lookup for %s", async (_case, header) => {
    const { resolve, lookups } = resolverWith(async () => session, verify);
    await expect(statusOf(resolve({ authorization: header() }))).resolves.toBe(401);
    expect(lookups).toEqual([]);
  });

  it("answers 401 when the token's session has ended, so revocation applies at once", async () => {
    const { resolve } = resolverWith(async () => null, verify);
    await expect(statusOf(resolve({ authorization: `Bearer ${accessToken}` }))).resolves.toBe(401);
  });
});

describe("batching lookups", () => {
  const cookie = (token: string) => ({ cookie: `fedsession=${token}` });

  it("sends the lookups that start in the same tick in one call, a credential named twice only once", async () => {
    const { resolve, batches } = resolverWith(async () => session);
    const results = await Promise.all([resolve(cookie(VALID)), resolve(cookie(OTHER)), resolve(cookie(VALID))]);
    expect(batches).toEqual([[VALID, OTHER]]);
    for (const result of results) expect(result.identity.authenticated).toBe(true);
  });

  it("gathers lookups started by separate callbacks of one event-loop turn, as concurrent connections' requests are", async () => {
    const { resolve, batches } = resolverWith(async () => session);
    const started: Promise<unknown>[] = [];
    // Two timers due together run in one timers phase, each as a callback of its own with microtasks in between.
    await new Promise<void>((done) => {
      setTimeout(() => started.push(resolve(cookie(VALID))), 0);
      setTimeout(() => {
        started.push(resolve(cookie(OTHER)));
        done();
      }, 0);
    });
    await Promise.all(started);
    expect(batches).toEqual([[VALID, OTHER]]);
  });

  it("never puts more than MAX_RESOLVE_BATCH credentials in one call", async () => {
    const { resolve, batches } = resolverWith(async () => null);
    const tokens = Array.from(
      { length: MAX_RESOLVE_BATCH + 5 },
      (_, n) => `${String(n).padStart(22, "a")}.${"b".repeat(43)}`,
    );
    await Promise.all(tokens.map((token) => resolve(cookie(token))));
    expect(batches.map((batch) => batch.length)).toEqual([MAX_RESOLVE_BATCH, 5]);
  });

  it("answers each credential on its own: one that fails never fails its neighbours", async () => {
    const third = `${"e".repeat(22)}.${"f".repeat(43)}`;
    const { resolve } = resolverOn(async (credentials) =>
      credentials.map((credential): ResolveResult => {
        const name = nameOf(credential);
        if (name === VALID) return { session };
        if (name === OTHER) return { error: "SESSION_STORE_UNAVAILABLE" };
        return { session: null };
      }),
    );
    const [first, second, last] = await Promise.allSettled([
      resolve(cookie(VALID)),
      resolve(cookie(OTHER)),
      resolve(cookie(third)),
    ]);
    expect(first).toMatchObject({ status: "fulfilled", value: { identity: { authenticated: true } } });
    expect(second).toMatchObject({ status: "rejected" });
    expect(second.status === "rejected" && (second.reason as CredentialRefused).graphQLError.extensions.code).toBe(
      "SESSION_STORE_UNAVAILABLE",
    );
    expect(last).toMatchObject({
      status: "fulfilled",
      value: { identity: { authenticated: false }, clearCookie: true },
    });
  });

  it("sends a request's id with a call that serves it alone, and none with a batch of several requests", async () => {
    const sent: (string | undefined)[] = [];
    const resolve = createIdentityResolver({
      cookieName: "fedsession",
      logger: silentLogger,
      verifyAccessToken: async () => null,
      sessions: {
        resolveSessions: async (credentials, requestId) => {
          sent.push(requestId);
          return credentials.map(() => ({ session }));
        },
      },
    });
    const inRequest = (requestId: string, token: string) =>
      runWithRequestContext({ requestId }, () => resolve(cookie(token)));
    await inRequest("one", VALID);
    await Promise.all([inRequest("two", VALID), inRequest("three", OTHER)]);
    expect(sent).toEqual(["one", undefined]);
  });

  it("a request that starts after a logout completed is never answered by a batch sent before it", async () => {
    // The store as the session service reads it when a call arrives; the answer of the first call is held in flight.
    let live = true;
    let releaseFirst: () => void = () => {};
    const held = new Promise<void>((done) => (releaseFirst = done));
    const { resolve, batches } = resolverOn(async (credentials) => {
      const answers = credentials.map(() => ({ session: live ? session : null }));
      if (batches.length === 1) await held;
      return answers;
    });

    const before = resolve(cookie(VALID));
    await nextTurn();
    expect(batches).toHaveLength(1); // sent, read before the logout, answer still in flight
    live = false; // the logout completes
    const after = resolve(cookie(VALID));
    await nextTurn();
    expect(batches).toHaveLength(2); // a batch of its own, not the one in flight
    releaseFirst();

    await expect(before).resolves.toMatchObject({ identity: { authenticated: true } });
    await expect(after).resolves.toEqual({ identity: { authenticated: false }, clearCookie: true });
  });
});
