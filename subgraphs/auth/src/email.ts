import { AccountError } from "./errors";

const MAX_EMAIL_LENGTH = 254;
const EMAIL_SHAPE = /^[^@\s]+@[^@\s]+$/;

/** Trims and lower-cases, so one address maps to one account whatever way it is typed; refuses obvious non-addresses. */
export function normaliseEmail(input: string): string {
  const email = input.trim().toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH) {
    throw new AccountError("invalid-input", `Email addresses can be at most ${MAX_EMAIL_LENGTH} characters`);
  }
  if (!EMAIL_SHAPE.test(email)) {
    throw new AccountError("invalid-input", "Enter an email address such as name@example.com (one @, no spaces)");
  }
  return email;
}
