import { SignJWT, createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { CLOCK_TOLERANCE_SECONDS } from "./clock-tolerance";
import type { ContextSigningKey } from "./context-token";
import { VerifiedTokenCache } from "./verified-cache";

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

/** Reuse a service token for a third of its life, so a busy caller signs about once every 10 seconds. */
const SERVICE_TOKEN_REUSE_MS = (SERVICE_TOKEN_LIFETIME_SECONDS * 1000) / 3;

/** A signer that hands out the same service token until it has used a third of its lifetime. */
export function createServiceTokenSigner(
  from: ServiceName,
  to: ServiceName,
  signingKey: ContextSigningKey,
  now: () => Date = () => new Date(),
): () => Promise<string> {
  let current: { token: Promise<string>; signedAtMs: number } | null = null;
  return () => {
    const nowMs = now().getTime();
    if (current === null || nowMs - current.signedAtMs >= SERVICE_TOKEN_REUSE_MS) {
      current = { token: signServiceToken(from, to, signingKey, new Date(nowMs)), signedAtMs: nowMs };
    }
    return current.token;
  };
}

/** Verifies a token from one named service, with that service's public keys only. */
export function createServiceTokenVerifier(options: {
  from: ServiceName;
  to: ServiceName;
  jwks: JSONWebKeySet;
  currentDate?: () => Date;
}) {
  const keySet = createLocalJWKSet(options.jwks);
  const verified = new VerifiedTokenCache<true>();
  return async (token: string | undefined): Promise<boolean> => {
    if (token === undefined) return false;
    const nowMs = (options.currentDate?.() ?? new Date()).getTime();
    if (verified.get(token, nowMs)) return true;
    try {
      const { payload } = await jwtVerify(token, keySet, {
        algorithms: ["EdDSA"],
        issuer: `fedsession-${options.from}`,
        audience: `fedsession-${options.to}`,
        typ: SERVICE_TOKEN_TYPE,
        requiredClaims: ["iat", "exp"],
        maxTokenAge: SERVICE_TOKEN_LIFETIME_SECONDS,
        currentDate: options.currentDate?.(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      verified.set(token, true, (payload.exp as number) * 1000, nowMs);
      return true;
    } catch {
      return false;
    }
  };
}
