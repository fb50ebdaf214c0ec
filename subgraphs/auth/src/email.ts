import { AccountError } from "./errors";

const MAX_EMAIL_LENGTH = 254;
const EMAIL_SHAPE = /^[^@\s]+@[^@\s]+$/;
/** Invisible format characters (zero-width spaces and joiners, BOM, soft hyphen, bidi controls). */
const INVISIBLE = /\p{Cf}/u;

/**
 * One address maps to one account whatever way it is typed, and no lookalike of an existing address becomes a second
 * account: NFKC folds compatibility and composed/decomposed forms (NFC vs NFD, full-width letters), case is folded,
 * a trailing dot after the domain (the DNS root) is dropped, and invisible characters are refused rather than
 * silently removed, so what the user sees is what is stored. Refuses obvious non-addresses.
 */
export function normaliseEmail(input: string): string {
  if (INVISIBLE.test(input)) {
    throw new AccountError("invalid-input", "Email addresses cannot contain invisible characters");
  }
  const email = input.normalize("NFKC").trim().toLowerCase().replace(/\.+$/, "");
  if (email.length > MAX_EMAIL_LENGTH) {
    throw new AccountError("invalid-input", `Email addresses can be at most ${MAX_EMAIL_LENGTH} characters`);
  }
  if (!EMAIL_SHAPE.test(email)) {
    throw new AccountError("invalid-input", "Enter an email address such as name@example.com (one @, no spaces)");
  }
  return email;
}
