import { CLOCK_TOLERANCE_SECONDS } from "./clock-tolerance";
import { SignJWT, jwtVerify, createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, type KeyLike } from "jose";
import { VerifiedTokenCache } from "./verified-cache";
import { ANONYMOUS, UNKNOWN_CLIENT, type ClientInfo, type Identity, type VerifiedContext } from "./identity";

export const CONTEXT_ISSUER = "fedsession-gateway";
export const CONTEXT_TYPE = "fedsession-context+jwt";
export const CONTEXT_ALGORITHM = "EdDSA";
/** Long enough for a slow query plan, short enough that a captured header is soon useless. */
export const CONTEXT_LIFETIME_SECONDS = 60;

export interface ContextSigningKey {
  kid: string;
  key: KeyLike | Uint8Array;
}

interface ContextClaims extends JWTPayload {
  perms?: string[];
  sid?: string;
  /** Client IP and user agent, signed so that no subgraph takes them from a header a client could set. */
  cip?: string;
  cua?: string;
}

/** User agents are recorded for device lists, not parsed; a bound keeps contexts small. */
const MAX_USER_AGENT_LENGTH = 256;

/** Signs the identity for one subgraph (`aud`), valid for CONTEXT_LIFETIME_SECONDS from `now`. */
export async function signContext(
  identity: Identity,
  audience: string,
  signingKey: ContextSigningKey,
  now: Date = new Date(),
  client: ClientInfo = UNKNOWN_CLIENT,
): Promise<string> {
  const claims: ContextClaims = identity.authenticated
    ? { perms: [...identity.permissions], sid: identity.sessionId }
    : { perms: [] };
  if (client.ip !== null) claims.cip = client.ip;
  if (client.userAgent !== null) claims.cua = client.userAgent.slice(0, MAX_USER_AGENT_LENGTH);
  const issuedAt = Math.floor(now.getTime() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: CONTEXT_ALGORITHM, typ: CONTEXT_TYPE, kid: signingKey.kid })
    .setIssuer(CONTEXT_ISSUER)
    .setAudience(audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + CONTEXT_LIFETIME_SECONDS);
  if (identity.authenticated) jwt.setSubject(identity.userId);
  return jwt.sign(signingKey.key);
}

export type ContextTokenFailure = "expired" | "invalid";

export class ContextTokenError extends Error {
  constructor(
    readonly reason: ContextTokenFailure,
    message: string,
  ) {
    super(message);
    this.name = "ContextTokenError";
  }
}

export interface ContextTokenVerifierOptions {
  /** The gateway's public keys: enough to verify, never to sign. */
  jwks: JSONWebKeySet;
  /** This subgraph's name in the supergraph; tokens for other subgraphs are refused. */
  audience: string;
  currentDate?: () => Date;
}

/** Verifies a context JWS with algorithm, issuer, audience, type and lifetime pinned. */
export function createContextTokenVerifier(options: ContextTokenVerifierOptions) {
  const keySet = createLocalJWKSet(options.jwks);
  const verified = new VerifiedTokenCache<VerifiedContext>();
  return async (token: string): Promise<VerifiedContext> => {
    const nowMs = (options.currentDate?.() ?? new Date()).getTime();
    const known = verified.get(token, nowMs);
    if (known !== undefined) return known;
    const result = await verifyUncached(token);
    verified.set(token, result.context, result.expiresAtMs, nowMs);
    return result.context;
  };

  async function verifyUncached(token: string): Promise<{ context: VerifiedContext; expiresAtMs: number }> {
    let payload: ContextClaims;
    try {
      ({ payload } = await jwtVerify<ContextClaims>(token, keySet, {
        algorithms: [CONTEXT_ALGORITHM],
        issuer: CONTEXT_ISSUER,
        audience: options.audience,
        typ: CONTEXT_TYPE,
        requiredClaims: ["iat", "exp", "perms"],
        maxTokenAge: CONTEXT_LIFETIME_SECONDS,
        currentDate: options.currentDate?.(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new ContextTokenError("expired", "gateway context expired");
      throw new ContextTokenError("invalid", "gateway context is not valid");
    }
    if ((payload.exp as number) - (payload.iat as number) > CONTEXT_LIFETIME_SECONDS) {
      throw new ContextTokenError("invalid", "gateway context lives longer than allowed");
    }
    const permissions = payload.perms;
    if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === "string")) {
      throw new ContextTokenError("invalid", "gateway context permissions are malformed");
    }
    const client: ClientInfo = {
      ip: typeof payload.cip === "string" ? payload.cip : null,
      userAgent: typeof payload.cua === "string" ? payload.cua : null,
    };
    const expiresAtMs = (payload.exp as number) * 1000;
    if (payload.sub === undefined) return { context: { identity: ANONYMOUS, client }, expiresAtMs };
    if (typeof payload.sid !== "string") {
      throw new ContextTokenError("invalid", "gateway context has a user but no session");
    }
    const identity: Identity = { authenticated: true, userId: payload.sub, permissions, sessionId: payload.sid };
    return { context: { identity, client }, expiresAtMs };
  }
}
