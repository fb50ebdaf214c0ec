import { createHash, timingSafeEqual } from "node:crypto";

/** Hex SHA-256: what the store keeps instead of a secret, so a dump of it yields no usable token. */
export const hashSecret = (secret: string): string => createHash("sha256").update(secret).digest("hex");

export function secretMatches(secret: string, storedHashHex: string): boolean {
  const stored = Buffer.from(storedHashHex, "hex");
  const presented = createHash("sha256").update(secret).digest();
  // Constant-time, so response timing never reveals how much of a guessed secret was right.
  return stored.length === presented.length && timingSafeEqual(stored, presented);
}
