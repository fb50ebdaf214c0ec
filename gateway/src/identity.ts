import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import DataLoader from "dataloader";
import { GraphQLError } from "graphql";
import {
  MAX_RESOLVE_BATCH,
  parseSessionToken,
  SessionServiceUnavailable,
  type AccessTokenClaims,
  type ResolvedSession,
  type SessionCredential,
  type SessionServiceClient,
} from "@fedsession/session-client";
import { ANONYMOUS, type Identity } from "@fedsession/subgraph-kit";
import { currentRequestContext, sessionBatchSize, type Logger } from "@fedsession/runtime";
import { readSessionCookie } from "./cookies";
import { observeLookup, recordCacheHit } from "./lookup-metrics";
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

const credentialKey = (credential: SessionCredential) =>
  "token" in credential ? `t:${credential.token}` : `s:${credential.sessionId}`;

/** One request's lookup: the credential, and the request's id for the session service's log lines. */
interface Lookup {
  credential: SessionCredential;
  requestId: string | undefined;
}

/**
 * Session lookups batched across requests: every lookup that starts in the same event-loop turn goes to the session
 * service in one call (DataLoader), which reads them all in one Redis round trip. Nothing is cached (`cache: false`), and a
 * batch once sent is never joined, so a request that starts after a logout has completed sends a lookup that starts
 * after it too, and sees it. The same credential twice in one batch is sent once: both requests arrived before it
 * left. Each credential gets its own answer, so one that fails never fails its neighbours.
 */
export function createSessionLookups(sessions: Pick<SessionServiceClient, "resolveSessions">, logger: Logger) {
  const unavailable = (reason: string) => {
    logger.error("session_lookup_failed", { reason });
    return sessionStoreUnavailable();
  };
  const loader = new DataLoader<Lookup, ResolvedSession | null>(
    async (lookups) => {
      const positions = new Map<string, number>();
      const unique: SessionCredential[] = [];
      for (const { credential } of lookups) {
        const key = credentialKey(credential);
        if (!positions.has(key)) {
          positions.set(key, unique.length);
          unique.push(credential);
        }
      }
      // A call serving one request carries its id; a batch of several carries none rather than one of them.
      const requestIds = new Set(lookups.map((lookup) => lookup.requestId));
      const requestId = requestIds.size === 1 ? lookups[0]?.requestId : undefined;
      sessionBatchSize.observe(unique.length);
      let results;
      try {
        results = await sessions.resolveSessions(unique, requestId);
      } catch (error) {
        if (error instanceof SessionServiceUnavailable) throw unavailable(error.message);
        throw error;
      }
      return lookups.map(({ credential }) => {
        const result = results[positions.get(credentialKey(credential)) ?? -1];
        if (result !== undefined && "session" in result) return result.session;
        return unavailable(result === undefined ? "no answer for a credential" : `${result.error} for one credential`);
      });
    },
    {
      cache: false,
      maxBatchSize: MAX_RESOLVE_BATCH,
      // DataLoader's default dispatches after the current callback's microtasks, and each connection's request is
      // read in a callback of its own, so concurrent requests would never meet; setImmediate dispatches once all the
      // I/O callbacks of this event-loop turn have run, gathering every lookup they started. Sending sooner (at 8
      // lookups, after 0.5 or 1 ms, or at once when no call is in flight) was measured slower: more, smaller calls
      // each wait longer for their answers (docs/performance.md).
      batchScheduleFn: (dispatch) => setImmediate(dispatch),
    },
  );
  return (credential: SessionCredential) => loader.load({ credential, requestId: currentRequestContext()?.requestId });
}

export interface IdentityResolverOptions {
  cookieName: string;
  sessions: Pick<SessionServiceClient, "resolveSessions">;
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
  const lookups = createSessionLookups(options.sessions, options.logger);
  const lookUp = (credential: SessionCredential): Promise<ResolvedSession | null> => {
    const cache = options.cache;
    if (cache === undefined) return observeLookup(lookups(credential));
    // Keyed by a hash, so the cache holds no usable credential.
    const key = createHash("sha256").update(credentialKey(credential)).digest("base64url");
    const cached = cache.get(key);
    if (cached !== undefined) {
      recordCacheHit();
      return Promise.resolve(cached);
    }
    const generation = cache.generation();
    return observeLookup(lookups(credential)).then((session) => {
      if (session !== null) cache.set(key, session, generation);
      return session;
    });
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
