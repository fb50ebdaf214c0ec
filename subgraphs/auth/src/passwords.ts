import { randomBytes } from "node:crypto";
import { compare as bcryptCompare, hash as bcryptHash } from "bcrypt";
import { AccountError } from "./errors";

export const PASSWORD_MIN_CHARACTERS = 8;
export const PASSWORD_MAX_CHARACTERS = 128;
/** bcrypt ignores everything after 72 bytes; longer passwords are refused rather than silently shortened. */
export const BCRYPT_MAX_BYTES = 72;

/** What is wrong with a password, phrased for the person choosing it; null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  const characters = [...password].length;
  if (characters < PASSWORD_MIN_CHARACTERS) return `Passwords need at least ${PASSWORD_MIN_CHARACTERS} characters`;
  if (characters > PASSWORD_MAX_CHARACTERS) return `Passwords can be at most ${PASSWORD_MAX_CHARACTERS} characters`;
  if (Buffer.byteLength(password, "utf8") > BCRYPT_MAX_BYTES) {
    return `Passwords can be at most ${BCRYPT_MAX_BYTES} bytes; letters outside basic Latin and emoji take 2 to 4 bytes each, so use fewer of them`;
  }
  return null;
}

export interface Passwords {
  /** Refuses (AccountError "invalid-input") any password that breaks the rule, so nothing is ever truncated. */
  hash(password: string): Promise<string>;
  /** With a null hash (unknown user) a comparison against a dummy hash still runs, so timing does not reveal accounts. */
  verify(hash: string | null, password: string): Promise<boolean>;
}

export type CompareFunction = (password: string, hash: string) => Promise<boolean>;

export interface PasswordOptions {
  /** bcrypt cost factor (4-15). */
  cost: number;
  /** The comparison primitive; tests wrap the real one to see that it runs. */
  compare?: CompareFunction;
}

/** Async bcrypt only, so hashing never blocks the event loop. Computes the dummy hash once, with the same cost. */
export async function createPasswords({ cost, compare = bcryptCompare }: PasswordOptions): Promise<Passwords> {
  const dummyHash = await bcryptHash(randomBytes(16).toString("base64url"), cost);
  return {
    hash: async (password) => {
      const problem = passwordProblem(password);
      if (problem !== null) throw new AccountError("invalid-input", problem);
      return bcryptHash(password, cost);
    },
    verify: async (hash, password) => {
      // Over 72 bytes no stored password can match, but bcrypt would compare only the first 72.
      const comparable = hash !== null && Buffer.byteLength(password, "utf8") <= BCRYPT_MAX_BYTES;
      const matches = await compare(password, comparable ? hash : dummyHash);
      return comparable && matches;
    },
  };
}
