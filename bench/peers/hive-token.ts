import { generateKeyPair, exportSPKI, SignJWT, type KeyLike } from "jose";

export const HIVE_JWT_ISSUER = "fedsession-bench";
export const HIVE_JWT_AUDIENCE = "hive-gateway";
/** jsonwebtoken, under Hive's JWT plugin, has no EdDSA; RS256 is the plugin's default and the common choice. */
const HIVE_JWT_ALGORITHM = "RS256";

export interface HiveTokenIssuer {
  /** SPKI PEM handed to the Hive process. */
  publicKeyPem: string;
  mint(userId: string, lifetimeSeconds: number): Promise<string>;
}

export async function createHiveTokenIssuer(): Promise<HiveTokenIssuer> {
  const { privateKey, publicKey } = await generateKeyPair(HIVE_JWT_ALGORITHM, { extractable: true });
  const sign = (key: KeyLike, userId: string, lifetimeSeconds: number) => {
    const issuedAt = Math.floor(Date.now() / 1000);
    return new SignJWT({ perms: ["documents:read", "documents:write"] })
      .setProtectedHeader({ alg: HIVE_JWT_ALGORITHM })
      .setIssuer(HIVE_JWT_ISSUER)
      .setAudience(HIVE_JWT_AUDIENCE)
      .setSubject(userId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + lifetimeSeconds)
      .sign(key);
  };
  return {
    publicKeyPem: await exportSPKI(publicKey),
    mint: (userId, lifetimeSeconds) => sign(privateKey, userId, lifetimeSeconds),
  };
}
