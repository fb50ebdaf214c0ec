/** Stable reasons an account operation refuses; the resolver edge maps each to a GraphQL error code. */
export type AccountErrorCode = "invalid-input" | "email-taken" | "invalid-credentials";

export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AccountError";
  }
}

/** One message for unknown email, wrong password and disabled account, so a response never tells them apart. */
export const INVALID_CREDENTIALS_MESSAGE = "Invalid email or password";
export const EMAIL_TAKEN_MESSAGE = "An account with this email already exists";
