import { z } from "zod";

/**
 * The session service's internal HTTP API (beside its /graphql). Every call carries a service token in the
 * x-fedsession-service header; each route accepts exactly one calling service. Every body, both ways, has a schema
 * here that the service checks on the way in and the client checks on the way back, so neither side trusts a shape
 * it did not check.
 */
export const CREATE_SESSION_PATH = "/internal/sessions"; // caller: auth
export const RESOLVE_SESSIONS_PATH = "/internal/resolve"; // caller: gateway
export const UPDATE_USER_PERMISSIONS_PATH = "/internal/users/permissions"; // caller: auth
export const REVOKE_USER_SESSIONS_PATH = "/internal/users/revoke"; // caller: auth
export const REVOCATION_EPOCH_PATH = "/internal/users/epoch"; // caller: auth

/** The most credentials one resolve call may carry: a batch is what arrived in one tick, well under this. */
export const MAX_RESOLVE_BATCH = 128;

/** A session id as tokens carry it (16 random bytes, base64url). */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** Ids end up in Redis keys and in JSON that Lua reads, so they must be non-empty, well-formed text. */
const userId = z
  .string({ error: "userId must be a non-empty, well-formed string" })
  .min(1, { error: "userId must be a non-empty, well-formed string" })
  .refine((value) => !/\p{Surrogate}/u.test(value), { error: "userId must be a non-empty, well-formed string" });
const permissions = z.array(z.string(), { error: "permissions must be an array of strings" });
const stringOrNull = (name: string) => z.string({ error: `${name} must be a string or null` }).nullable();

/** COOKIE: the browser holds "<id>.<secret>". TOKEN: a native app holds an access token and a refresh token. */
export const sessionTransportSchema = z.enum(["COOKIE", "TOKEN"], { error: 'transport must be "COOKIE" or "TOKEN"' });
export type SessionTransport = z.infer<typeof sessionTransportSchema>;

export const createSessionRequestSchema = z.object({
  userId,
  permissions,
  userAgent: stringOrNull("userAgent"),
  ip: stringOrNull("ip"),
  transport: sessionTransportSchema,
  /**
   * The session the caller signed in from, if any: ended right after the new one exists, whoever the new user is,
   * so a new login never leaves the previous session alive (ASVS 7.2.4). Required (null when signing in afresh), so
   * a caller that forgot it fails loudly instead of leaving sessions alive.
   */
  replacesSessionId: z
    .string({ error: "replacesSessionId must be a session id or null" })
    .regex(SESSION_ID_PATTERN, { error: "replacesSessionId must be a session id or null" })
    .nullable(),
  /**
   * The user's revocation epoch, read (RevocationEpochRequest) before the credential was checked. The create is
   * refused (409 REVOKED_DURING_CREATE) when a revoke-all of the user ran since, so a login racing a password change,
   * a disable or a revoke-all never leaves a session behind. Required, so a caller that never read it fails.
   */
  revocationEpoch: z
    .string({ error: "revocationEpoch must be the epoch string read from the epoch route" })
    .regex(/^\d{1,20}$/, { error: "revocationEpoch must be the epoch string read from the epoch route" }),
});
export type CreateSessionRequest = z.infer<typeof createSessionRequestSchema>;

export const revocationEpochRequestSchema = z.object({ userId });
export type RevocationEpochRequest = z.infer<typeof revocationEpochRequestSchema>;

export const revocationEpochResponseSchema = z.object({ epoch: z.string() });
export type RevocationEpochResponse = z.infer<typeof revocationEpochResponseSchema>;

export const tokenPairSchema = z.object({
  /** A short-lived JWT (typ at+jwt) naming the session in `sid`. */
  accessToken: z.string(),
  accessTokenExpiresAt: z.string(),
  /** Opaque, stored only as a hash, rotated on every refresh. */
  refreshToken: z.string(),
});
export type TokenPair = z.infer<typeof tokenPairSchema>;

export const createSessionResponseSchema = z.object({
  session: z.object({ id: z.string(), expiresAt: z.string(), maxAgeSeconds: z.number() }),
  /** COOKIE transport only: "<public id>.<secret>", handed to the gateway in an internal header, never in a body a client sees. */
  token: z.string().optional(),
  /** TOKEN transport only. */
  tokens: tokenPairSchema.optional(),
});
export type CreateSessionResponse = z.infer<typeof createSessionResponseSchema>;

/** A cookie token, or the session id of an access token that the gateway has already verified. */
export const sessionCredentialSchema = z.union([
  z.strictObject({ token: z.string() }),
  z.strictObject({ sessionId: z.string() }),
]);
export type SessionCredential = z.infer<typeof sessionCredentialSchema>;

/**
 * Credentials to resolve in one call: each is checked and answered on its own, so a malformed one is refused in
 * its own answer and never fails its neighbours.
 */
export const resolveSessionsRequestSchema = z.object({
  credentials: z
    .array(z.unknown(), { error: "credentials must be an array" })
    .min(1, { error: "credentials must not be empty" })
    .max(MAX_RESOLVE_BATCH, { error: `credentials may hold at most ${MAX_RESOLVE_BATCH} entries` }),
});

export const resolvedSessionSchema = z.object({
  id: z.string(),
  userId: z.string(),
  permissions: z.array(z.string()),
  expiresAt: z.string(),
  /**
   * Until when a gateway with a push-invalidated cache may reuse this answer (epoch ms): the session's end or its
   * next sliding write, whichever comes first, so activity still reaches the store.
   */
  reusableUntil: z.number(),
});
export type ResolvedSession = z.infer<typeof resolvedSessionSchema>;

/**
 * One credential's answer: its live session or null (malformed, unknown, wrong secret, ended), or an error of its
 * own: BAD_REQUEST (not a credential's shape) or SESSION_STORE_UNAVAILABLE (this one could not be read).
 */
export const resolveResultSchema = z.union([
  z.object({ session: resolvedSessionSchema.nullable() }),
  z.object({ error: z.enum(["BAD_REQUEST", "SESSION_STORE_UNAVAILABLE"]) }),
]);
export type ResolveResult = z.infer<typeof resolveResultSchema>;

/** `results[i]` answers `credentials[i]`. */
export const resolveSessionsResponseSchema = z.object({ results: z.array(resolveResultSchema) });
export type ResolveSessionsResponse = z.infer<typeof resolveSessionsResponseSchema>;

/** Rewrites the permissions of every live session of the user, so the change applies on their next request. */
export const updateUserPermissionsRequestSchema = z.object({ userId, permissions });
export type UpdateUserPermissionsRequest = z.infer<typeof updateUserPermissionsRequestSchema>;

export const updateUserPermissionsResponseSchema = z.object({ updated: z.number() });
export type UpdateUserPermissionsResponse = z.infer<typeof updateUserPermissionsResponseSchema>;

/** Ends every session of the user, except one (the caller's own, on a password change) when named. */
export const revokeUserSessionsRequestSchema = z.object({
  userId,
  exceptSessionId: stringOrNull("exceptSessionId"),
});
export type RevokeUserSessionsRequest = z.infer<typeof revokeUserSessionsRequestSchema>;

export const revokeUserSessionsResponseSchema = z.object({ revoked: z.number() });
export type RevokeUserSessionsResponse = z.infer<typeof revokeUserSessionsResponseSchema>;

/** Error body of every internal route: a stable code the caller can switch on. */
export const internalErrorResponseSchema = z.object({
  error: z.enum([
    "UNAUTHORIZED_SERVICE",
    "METHOD_NOT_ALLOWED",
    "BAD_REQUEST",
    "SESSION_STORE_UNAVAILABLE",
    "REVOKED_DURING_CREATE",
  ]),
  message: z.string(),
});
export type InternalErrorResponse = z.infer<typeof internalErrorResponseSchema>;

/** The first problem a schema found, as "<field>: <message>" (or the message alone when it names its field). */
export function describeProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid body";
  const field = issue.path.join(".");
  return field === "" || issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`;
}

/** Published by the session service on Redis whenever sessions end or change, for gateways' caches. */
export const SESSION_EVENTS_CHANNEL = "session-events";

/**
 * One session changed or ended (`session`), or every session of one user did (`user`); `ping` is the session
 * service's heartbeat (epoch ms), published every SESSION_EVENTS_HEARTBEAT_MS so a gateway notices a dead
 * subscription (or a different REDIS_KEY_PREFIX) instead of caching on silence.
 */
export type SessionEvent = { session: string } | { user: string } | { ping: number };

export const SESSION_EVENTS_HEARTBEAT_MS = 5_000;
