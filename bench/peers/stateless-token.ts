import { createHash, randomUUID } from "node:crypto";
import { SignJWT, createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import {
  ACCESS_TOKEN_ALGORITHM,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  ACCESS_TOKEN_TYPE,
  MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
} from "@fedsession/session-client";
import type { SigningKey } from "@fedsession/runtime";
import { VerifiedTokenCache } from "@fedsession/subgraph-kit";

/**
 * A stateless access token: the project's own access-token format (same key, algorithm, issuer, audience and
 * type) plus the permissions, so a gateway can build the identity from the token alone and never ask anyone.
 */
export interface StatelessClaims {
  userId: string;
  sessionId: string;
  permissions: string[];
}

export async function signStatelessToken(
  claims: StatelessClaims,
  key: SigningKey,
  lifetimeSeconds: number,
): Promise<string> {
  const issuedAt = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: claims.sessionId, perms: claims.permissions })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: key.kid })
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setSubject(claims.userId)
    .setJti(randomUUID())
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + lifetimeSeconds)
    .sign(key.key);
}

/**
 * Verifies exactly what the project's access-token verifier verifies (remembering a verified token until its exp,
 * as that one does), and also reads the permissions.
 */
export function createStatelessVerifier(jwks: JSONWebKeySet) {
  const keySet = createLocalJWKSet(jwks);
  const verified = new VerifiedTokenCache<StatelessClaims>();
  return async (token: string): Promise<StatelessClaims | null> => {
    const key = createHash("sha256").update(token).digest("base64url");
    const nowMs = Date.now();
    const remembered = verified.get(key, nowMs);
    if (remembered !== undefined) return remembered;
    try {
      const { payload } = await jwtVerify(token, keySet, {
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        issuer: ACCESS_TOKEN_ISSUER,
        audience: ACCESS_TOKEN_AUDIENCE,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ["sub", "sid", "jti", "iat", "exp", "perms"],
        maxTokenAge: MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
      });
      const permissions = payload.perms;
      if (typeof payload.sub !== "string" || typeof payload.sid !== "string") return null;
      if (!Array.isArray(permissions) || !permissions.every((permission) => typeof permission === "string"))
        return null;
      if (payload.exp === undefined) return null;
      const claims = { userId: payload.sub, sessionId: payload.sid, permissions };
      verified.set(key, claims, payload.exp * 1000, nowMs);
      return claims;
    } catch {
      return null;
    }
  };
}
