import { createHmac, randomBytes } from "node:crypto";
import { compare as bcryptCompare, getRounds, hash as bcryptHash } from "bcrypt";
import { createBcryptLimiter, DEFAULT_BCRYPT_LIMITS, type BcryptLimiter } from "./bcrypt-limiter";

export interface Passwords {
  /**
   * Hashes a password that already passed the policy (see password-policy.ts). Like verify, waits for a turn in the
   * bcrypt limiter and rejects with PasswordWorkBusy when the wait is too long, or with PasswordWorkPending at once
   * when one of `holders` (see BcryptLimiter.run) already has an operation queued or running.
   */
  hash(password: string, holders?: readonly string[]): Promise<string>;
  /** With a null hash (unknown user) a comparison against a dummy hash still runs, so timing does not reveal accounts. */
  verify(hash: string | null, password: string, holders?: readonly string[]): Promise<boolean>;
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
  /** Bounds the bcrypt work of the whole process; one per process (main.ts). Defaults to a private one with the default limits. */
  limiter?: BcryptLimiter;
}

/**
 * bcrypt reads at most 72 bytes, so longer passwords would be silently truncated. HMAC-SHA-256 with the pepper
 * first turns any password into 44 base64 characters (no NUL byte, which bcrypt would also stop at), so every
 * character counts and the pepper is bound into the hash.
 */
function prehash(pepper: Uint8Array, password: string): string {
  return createHmac("sha256", pepper).update(password, "utf8").digest("base64");
}

/**
 * Async bcrypt only, so hashing never blocks the event loop, and every operation through the limiter, so a login
 * storm cannot take every core. Computes the dummy hash once, with the same cost. The dummy comparison queues in the
 * same limiter as a real one, so an unknown email still takes as long as a wrong password.
 */
export async function createPasswords({
  cost,
  pepper,
  compare = bcryptCompare,
  limiter = createBcryptLimiter(DEFAULT_BCRYPT_LIMITS),
}: PasswordOptions): Promise<Passwords> {
  const hash = (password: string, holders?: readonly string[]) =>
    limiter.run(() => bcryptHash(prehash(pepper, password), cost), holders);
  const dummyHash = await hash(randomBytes(16).toString("base64url"));
  return {
    hash,
    verify: async (stored, password, holders) => {
      const matches = await limiter.run(() => compare(prehash(pepper, password), stored ?? dummyHash), holders);
      return stored !== null && matches;
    },
    needsRehash: (hash) => getRounds(hash) < cost,
  };
}
