/**
 * The session service's internal HTTP API (beside its /graphql). Every call carries a service token in the
 * x-fedsession-service header; each route accepts exactly one calling service.
 */
export const CREATE_SESSION_PATH = "/internal/sessions"; // caller: auth
export const RESOLVE_SESSION_PATH = "/internal/resolve"; // caller: gateway
export const UPDATE_USER_PERMISSIONS_PATH = "/internal/users/permissions"; // caller: auth
export const REVOKE_USER_SESSIONS_PATH = "/internal/users/revoke"; // caller: auth
export const REVOCATION_EPOCH_PATH = "/internal/users/epoch"; // caller: auth

/** COOKIE: the browser holds "<id>.<secret>". TOKEN: a native app holds an access token and a refresh token. */
export type SessionTransport = "COOKIE" | "TOKEN";

export interface CreateSessionRequest {
  userId: string;
  permissions: string[];
  userAgent: string | null;
  ip: string | null;
  transport: SessionTransport;
  /**
   * The session the caller signed in from, if any: ended right after the new one exists, whoever the new user is,
   * so a new login never leaves the previous session alive (ASVS 7.2.4).
   */
  replacesSessionId: string | null;
  /**
   * The user's revocation epoch, read (RevocationEpochRequest) before the credential was checked. The create is
   * refused (409 REVOKED_DURING_CREATE) when a revoke-all of the user ran since, so a login racing a password change,
   * a disable or a revoke-all never leaves a session behind.
   */
  revocationEpoch: string;
}

export interface RevocationEpochRequest {
  userId: string;
}

export interface RevocationEpochResponse {
  epoch: string;
}

export interface TokenPair {
  /** A short-lived JWT (typ at+jwt) naming the session in `sid`. */
  accessToken: string;
  accessTokenExpiresAt: string;
  /** Opaque, stored only as a hash, rotated on every refresh. */
  refreshToken: string;
}

export interface CreateSessionResponse {
  session: { id: string; expiresAt: string; maxAgeSeconds: number };
  /** COOKIE transport only: "<public id>.<secret>", handed to the gateway in an internal header, never in a body a client sees. */
  token?: string;
  /** TOKEN transport only. */
  tokens?: TokenPair;
}

/** A cookie token, or the session id of an access token that the gateway has already verified. */
export type ResolveSessionRequest = { token: string } | { sessionId: string };

export interface ResolvedSession {
  id: string;
  userId: string;
  permissions: string[];
  expiresAt: string;
  /**
   * Until when a gateway with a push-invalidated cache may reuse this answer (epoch ms): the session's end or its
   * next sliding write, whichever comes first, so activity still reaches the store.
   */
  reusableUntil: number;
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

export interface ResolveSessionResponse {
  session: ResolvedSession | null;
}

/** Rewrites the permissions of every live session of the user, so the change applies on their next request. */
export interface UpdateUserPermissionsRequest {
  userId: string;
  permissions: string[];
}

export interface UpdateUserPermissionsResponse {
  updated: number;
}

/** Ends every session of the user, except one (the caller's own, on a password change) when named. */
export interface RevokeUserSessionsRequest {
  userId: string;
  exceptSessionId: string | null;
}

export interface RevokeUserSessionsResponse {
  revoked: number;
}

/** Error body of every internal route: a stable code the caller can switch on. */
export interface InternalErrorResponse {
  error:
    | "UNAUTHORIZED_SERVICE"
    | "METHOD_NOT_ALLOWED"
    | "BAD_REQUEST"
    | "SESSION_STORE_UNAVAILABLE"
    | "REVOKED_DURING_CREATE";
  message: string;
}
