import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { GraphQLError } from "graphql";
import {
  parseSessionToken,
  SessionServiceUnavailable,
  type AccessTokenClaims,
  type ResolveSessionRequest,
  type ResolvedSession,
  type SessionServiceClient,
} from "@fedsession/session-client";
import { ANONYMOUS, type Identity } from "@fedsession/subgraph-kit";
import type { Logger } from "@fedsession/runtime";
import { readSessionCookie } from "./cookies";
import type { SessionCache } from "./session-cache";

export interface RequestIdentity {
  identity: Identity;
  /** The client holds a cookie that names no live session (malformed, duplicated, unknown or ended): clear it. */
  clearCookie: boolean;
}

const ANONYMOUS_KEEP: RequestIdentity = { identity: ANONYMOUS, clearCookie: false };
const ANONYMOUS_CLEAR: RequestIdentity = { identity: ANONYMOUS, clearCookie: true };
/** One space (RFC 6750), the scheme in any case (RFC 7235), a JWT's three base64url parts; else refused unverified. */
const BEARER_PATTERN = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;
const MAX_AUTHORIZATION_LENGTH = 4096;

/** A credential problem: the GraphQL error for the body and the HTTP header that goes with it. */
export class CredentialRefused extends Error {
  constructor(
    readonly graphQLError: GraphQLError,
    readonly header: readonly [name: string, value: string],
  ) {
    super(graphQLError.message);
    this.name = "CredentialRefused";
  }
}

export function sessionStoreUnavailable(): CredentialRefused {
  const error = new GraphQLError("The session store is unavailable; try again shortly", {
    extensions: { code: "SESSION_STORE_UNAVAILABLE", http: { status: 503 } },
  });
  return new CredentialRefused(error, ["retry-after", "1"]);
}

/** A bearer credential that cannot be used: 401, so a native app knows to refresh or log in again. */
export function invalidBearer(kind: "invalid_request" | "invalid_token", message: string): CredentialRefused {
  const error = new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
  return new CredentialRefused(error, ["www-authenticate", `Bearer error="${kind}"`]);
}

function toIdentity(session: ResolvedSession): Identity {
  return { authenticated: true, userId: session.userId, permissions: session.permissions, sessionId: session.id };
}

export interface IdentityResolverOptions {
  cookieName: string;
  sessions: Pick<SessionServiceClient, "resolveSession">;
  /** Verifies an access token (signature, issuer, audience, type, expiry); null when it is not a valid one. */
  verifyAccessToken: (token: string) => Promise<AccessTokenClaims | null>;
  logger: Logger;
  /** Optional push-invalidated cache of resolves (SESSION_CACHE=on). */
  cache?: SessionCache;
}

/**
 * Turns the request's credential into an identity with at most one session lookup. A bearer token wins over a
 * cookie. Anything malformed is refused or anonymous before any lookup; a failed lookup is a 503, never a guess.
 */
export function createIdentityResolver(options: IdentityResolverOptions) {
  const resolve = async (request: ResolveSessionRequest): Promise<ResolvedSession | null> => {
    try {
      return await options.sessions.resolveSession(request);
    } catch (error) {
      if (error instanceof SessionServiceUnavailable) {
        options.logger.error("session_lookup_failed", { reason: error.message });
        throw sessionStoreUnavailable();
      }
      throw error;
    }
  };
  // Requests carrying the same credential at the same moment share one lookup; a later request starts a new one,
  // so a logout or revocation is seen by every request that begins after it completes.
  const inFlight = new Map<string, Promise<ResolvedSession | null>>();
  const lookUp = (request: ResolveSessionRequest): Promise<ResolvedSession | null> => {
    // Keyed by a hash, so the cache holds no usable credential.
    const credential = "token" in request ? `t:${request.token}` : `s:${request.sessionId}`;
    const key = createHash("sha256").update(credential).digest("base64url");
    const cached = options.cache?.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = inFlight.get(key);
    if (pending === undefined) {
      const generation = options.cache?.generation() ?? 0;
      pending = resolve(request)
        .then((session) => {
          if (session !== null) options.cache?.set(key, session, generation);
          return session;
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };

  const fromBearer = async (authorization: string): Promise<RequestIdentity> => {
    const match = authorization.length <= MAX_AUTHORIZATION_LENGTH ? BEARER_PATTERN.exec(authorization) : null;
    if (!match) throw invalidBearer("invalid_request", "Authorization must be 'Bearer <access token>'");
    const claims = await options.verifyAccessToken(match[1] as string);
    if (claims === null) throw invalidBearer("invalid_token", "The access token is not valid");
    const session = await lookUp({ sessionId: claims.sessionId });
    // The token outlived its session (logout, revocation, expiry): revocation applies at once.
    if (session === null || session.userId !== claims.userId)
      throw invalidBearer("invalid_token", "The session has ended");
    return { identity: toIdentity(session), clearCookie: false };
  };

  return async (headers: IncomingHttpHeaders): Promise<RequestIdentity> => {
    if (headers.authorization !== undefined) return fromBearer(headers.authorization);
    const cookie = readSessionCookie(headers.cookie, options.cookieName);
    if (cookie.kind === "none") return ANONYMOUS_KEEP;
    if (cookie.kind === "ambiguous" || parseSessionToken(cookie.value) === null) return ANONYMOUS_CLEAR;
    const session = await lookUp({ token: cookie.value });
    return session === null ? ANONYMOUS_CLEAR : { identity: toIdentity(session), clearCookie: false };
  };
}
