import { createHmac, randomBytes } from "node:crypto";
import { compare as bcryptCompare, getRounds, hash as bcryptHash } from "bcrypt";

export interface Passwords {
  /** Hashes a password that already passed the policy (see password-policy.ts). */
  hash(password: string): Promise<string>;
  /** With a null hash (unknown user) a comparison against a dummy hash still runs, so timing does not reveal accounts. */
  verify(hash: string | null, password: string): Promise<boolean>;
  /** True when the hash was made with a lower cost than the configured one, so a successful login should re-hash. */
  needsRehash(hash: string): boolean;
}

export type CompareFunction = (prehashed: string, hash: string) => Promise<boolean>;

export interface PasswordOptions {
  /** bcrypt cost factor (4-15). */
  cost: number;
  /** The server secret mixed into every hash (`passwordPepper(material)`); a stolen user store alone cannot be cracked. */
  pepper: Uint8Array;
  /** The comparison primitive; tests wrap the real one to see that it runs. */
  compare?: CompareFunction;
}

/**
 * bcrypt reads at most 72 bytes, so longer passwords would be silently truncated. HMAC-SHA-256 with the pepper
 * first turns any password into 44 base64 characters (no NUL byte, which bcrypt would also stop at), so every
 * character counts and the pepper is bound into the hash.
 */
function prehash(pepper: Uint8Array, password: string): string {
  return createHmac("sha256", pepper).update(password, "utf8").digest("base64");
}

/** Async bcrypt only, so hashing never blocks the event loop. Computes the dummy hash once, with the same cost. */
export async function createPasswords({ cost, pepper, compare = bcryptCompare }: PasswordOptions): Promise<Passwords> {
  const dummyHash = await bcryptHash(prehash(pepper, randomBytes(16).toString("base64url")), cost);
  return {
    hash: (password) => bcryptHash(prehash(pepper, password), cost),
    verify: async (hash, password) => {
      const matches = await compare(prehash(pepper, password), hash ?? dummyHash);
      return hash !== null && matches;
    },
    needsRehash: (hash) => getRounds(hash) < cost,
  };
}
