import { SignJWT, createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import type { ContextSigningKey } from "./context-token";

const SERVICE_TOKEN_TYPE = "fedsession-service+jwt";
const SERVICE_TOKEN_LIFETIME_SECONDS = 30;

/** Service names as they appear in `iss`/`aud` of service-to-service tokens. */
export type ServiceName = "gateway" | "auth" | "session";

/** A short-lived token a service presents to another service ("tokens for server-to-server"). */
export async function signServiceToken(
  from: ServiceName,
  to: ServiceName,
  signingKey: ContextSigningKey,
  now: Date = new Date(),
): Promise<string> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "EdDSA", typ: SERVICE_TOKEN_TYPE, kid: signingKey.kid })
    .setIssuer(`fedsession-${from}`)
    .setAudience(`fedsession-${to}`)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + SERVICE_TOKEN_LIFETIME_SECONDS)
    .sign(signingKey.key);
}

/** Verifies a token from one named service, with that service's public keys only. */
export function createServiceTokenVerifier(options: {
  from: ServiceName;
  to: ServiceName;
  jwks: JSONWebKeySet;
  currentDate?: () => Date;
}) {
  const keySet = createLocalJWKSet(options.jwks);
  return async (token: string | undefined): Promise<boolean> => {
    if (token === undefined) return false;
    try {
      await jwtVerify(token, keySet, {
        algorithms: ["EdDSA"],
        issuer: `fedsession-${options.from}`,
        audience: `fedsession-${options.to}`,
        typ: SERVICE_TOKEN_TYPE,
        requiredClaims: ["iat", "exp"],
        maxTokenAge: SERVICE_TOKEN_LIFETIME_SECONDS,
        currentDate: options.currentDate?.(),
      });
      return true;
    } catch {
      return false;
    }
  };
}
