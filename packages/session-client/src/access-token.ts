import { randomUUID } from "node:crypto";
import { SignJWT, createLocalJWKSet, jwtVerify, type JSONWebKeySet, type KeyLike } from "jose";
import { CLOCK_TOLERANCE_SECONDS } from "@fedsession/subgraph-kit";

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
 * that is not a valid, current access token (a refresh token, a tampered or expired one, an unknown key).
 */
export function createAccessTokenVerifier(options: { jwks: JSONWebKeySet; currentDate?: () => Date }) {
  const keySet = createLocalJWKSet(options.jwks);
  return async (token: string): Promise<AccessTokenClaims | null> => {
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
      if (typeof payload.sid !== "string" || typeof payload.sub !== "string") return null;
      return { userId: payload.sub, sessionId: payload.sid };
    } catch {
      return null;
    }
  };
}
