import { generateKeyMaterial, importSigningKey, publicKeys, silentLogger } from "@fedsession/runtime";
import {
  SessionServiceUnavailable,
  createAccessTokenVerifier,
  signAccessToken,
  type AccessTokenClaims,
  type ResolvedSession,
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

function resolverWith(
  answer: () => Promise<ResolvedSession | null>,
  verifyAccessToken: (token: string) => Promise<AccessTokenClaims | null> = async () => null,
) {
  const lookups: string[] = [];
  const resolve = createIdentityResolver({
    cookieName: "fedsession",
    logger: silentLogger,
    verifyAccessToken,
    sessions: {
      resolveSession: (request) => {
        lookups.push("token" in request ? request.token : request.sessionId);
        return answer();
      },
    },
  });
  return { resolve, lookups };
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

describe("coalescing lookups", () => {
  it("shares one lookup between requests with the same credential at the same moment, never across time", async () => {
    let release: () => void = () => {};
    const { resolve, lookups } = resolverWith(() => new Promise((done) => (release = () => done(session))));
    const together = [resolve({ cookie: `fedsession=${VALID}` }), resolve({ cookie: `fedsession=${VALID}` })];
    release();
    await Promise.all(together);
    expect(lookups).toHaveLength(1);
    const later = resolve({ cookie: `fedsession=${VALID}` });
    release();
    await later;
    expect(lookups).toHaveLength(2);
  });
});
