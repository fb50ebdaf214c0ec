import { isCommonPassword } from "./common-passwords";

export const PASSWORD_MIN_CHARACTERS = 8;
export const PASSWORD_MAX_CHARACTERS = 128;

/**
 * What is wrong with a password, phrased for the person choosing it; null when it is acceptable. OWASP/NIST rules:
 * length only, no composition rules, but nothing from the common-password list and not the email's local part.
 * Characters are code points, so an emoji counts once; bytes do not matter because passwords are pre-hashed.
 */
export function passwordProblem(password: string, email?: string): string | null {
  const characters = [...password].length;
  if (characters < PASSWORD_MIN_CHARACTERS) return `Passwords need at least ${PASSWORD_MIN_CHARACTERS} characters`;
  if (characters > PASSWORD_MAX_CHARACTERS) return `Passwords can be at most ${PASSWORD_MAX_CHARACTERS} characters`;
  if (isCommonPassword(password)) {
    return "This password is one of the most common ones and easy to guess; choose another, for example a few unrelated words";
  }
  const localPart = email?.slice(0, email.lastIndexOf("@")).toLowerCase();
  if (localPart !== undefined && localPart !== "" && password.toLowerCase() === localPart) {
    return "Your password cannot be the name part of your email address; choose something harder to guess";
  }
  return null;
}
