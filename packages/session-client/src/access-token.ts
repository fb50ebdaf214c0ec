import { createHash, randomUUID } from "node:crypto";
import { SignJWT, createLocalJWKSet, jwtVerify, type JSONWebKeySet, type KeyLike } from "jose";
import { CLOCK_TOLERANCE_SECONDS, VerifiedTokenCache } from "@fedsession/subgraph-kit";

/** RFC 9068 access tokens: minted by the session service, verified by the gateway. */
export const ACCESS_TOKEN_TYPE = "at+jwt";
export const ACCESS_TOKEN_ISSUER = "fedsession-session";
export const ACCESS_TOKEN_AUDIENCE = "fedsession-gateway";
export const ACCESS_TOKEN_ALGORITHM = "EdDSA";
export const MAX_ACCESS_TOKEN_LIFETIME_SECONDS = 15 * 60;

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
}

export async function signAccessToken(
  claims: AccessTokenClaims,
  signingKey: { kid: string; key: KeyLike | Uint8Array },
  lifetimeSeconds: number,
  now: Date = new Date(),
): Promise<{ token: string; expiresAt: Date }> {
  if (lifetimeSeconds > MAX_ACCESS_TOKEN_LIFETIME_SECONDS)
    throw new RangeError("access tokens live at most 15 minutes");
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = issuedAt + lifetimeSeconds;
  const token = await new SignJWT({ sid: claims.sessionId })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: signingKey.kid })
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setSubject(claims.userId)
    .setJti(randomUUID())
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(signingKey.key);
  return { token, expiresAt: new Date(expiresAt * 1000) };
}

/**
 * Verifies an access token with algorithm, issuer, audience, type and required claims pinned; null for anything
 * that is not a valid, current access token (a refresh token, a tampered or expired one, an unknown key). A token
 * verified once is remembered until its `exp` (an app sends the same one for minutes), keyed by its SHA-256 so the
 * cache holds no usable credential: an Ed25519 verification per request was the stateless path's largest cost.
 * Whether its session is still alive is a separate lookup on every request.
 */
export function createAccessTokenVerifier(options: { jwks: JSONWebKeySet; currentDate?: () => Date }) {
  const keySet = createLocalJWKSet(options.jwks);
  const verified = new VerifiedTokenCache<AccessTokenClaims>();
  return async (token: string): Promise<AccessTokenClaims | null> => {
    const key = createHash("sha256").update(token).digest("base64url");
    const nowMs = (options.currentDate?.() ?? new Date()).getTime();
    const remembered = verified.get(key, nowMs);
    if (remembered !== undefined) return remembered;
    try {
      const { payload } = await jwtVerify(token, keySet, {
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        issuer: ACCESS_TOKEN_ISSUER,
        audience: ACCESS_TOKEN_AUDIENCE,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ["sub", "sid", "jti", "iat", "exp"],
        maxTokenAge: MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
        currentDate: options.currentDate?.(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      if (typeof payload.sid !== "string" || typeof payload.sub !== "string" || payload.exp === undefined) return null;
      const claims = { userId: payload.sub, sessionId: payload.sid };
      verified.set(key, claims, payload.exp * 1000, nowMs);
      return claims;
    } catch {
      return null;
    }
  };
}
