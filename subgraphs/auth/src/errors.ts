/** Stable reasons an account operation refuses; the resolver edge maps each to a GraphQL error code. */
export type AccountErrorCode = "invalid-input" | "email-taken" | "invalid-credentials" | "wrong-current-password";

export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AccountError";
  }
}

/** Why a login failed: for the audit log only, never for the response. */
export type LoginFailureReason = "unknown_email" | "wrong_password" | "disabled" | "revoked";

/** One message for unknown email, wrong password and disabled account, so a response never tells them apart. */
export const INVALID_CREDENTIALS_MESSAGE = "Invalid email or password";
export const EMAIL_TAKEN_MESSAGE = "An account with this email already exists";
export const WRONG_CURRENT_PASSWORD_MESSAGE = "Current password is incorrect";

export class InvalidCredentials extends AccountError {
  constructor(
    readonly reason: LoginFailureReason,
    /** The account the email named, when there is one; for the audit log. */
    readonly userId: string | null,
  ) {
    super("invalid-credentials", INVALID_CREDENTIALS_MESSAGE);
    this.name = "InvalidCredentials";
  }
}

/** What a refusal was counted against: the account, the client (IP or IPv6 /64), or the account from that client. */
export type ThrottleScope = "account" | "ip" | "account-client";

/** Too many attempts for this account or client, or too soon after the last failure; no password was checked. */
export class LoginThrottled extends Error {
  constructor(
    readonly scope: ThrottleScope,
    readonly retryAfterSeconds: number,
  ) {
    super(`Too many sign-in attempts; try again in ${retryAfterSeconds} seconds`);
    this.name = "LoginThrottled";
  }
}

/** Too many sign-up attempts from this client IP; nothing was validated, hashed or stored. */
export class SignUpThrottled extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many sign-up attempts from this address; try again in ${retryAfterSeconds} seconds`);
    this.name = "SignUpThrottled";
  }
}

/**
 * A bcrypt operation waited longer than BCRYPT_QUEUE_TIMEOUT_MS for its turn (see bcrypt-limiter.ts): the password
 * was neither checked nor hashed, so nothing about it was decided.
 */
export class PasswordWorkBusy extends Error {
  /** Short: the queue drains at the rate of whole bcrypt operations, a fraction of a second each. */
  readonly retryAfterSeconds = 1;

  constructor(readonly waitedMs: number) {
    super(`bcrypt operation waited ${waitedMs} ms for its turn`);
    this.name = "PasswordWorkBusy";
  }
}

/**
 * This account or this client already has a bcrypt operation queued or running (see bcrypt-limiter.ts), so this one
 * was refused at once instead of lengthening everyone's wait: one client or one account holds at most its fair share
 * of the queue. Nothing about the password was decided.
 */
export class PasswordWorkPending extends Error {
  /** One operation ahead of it, a fraction of a second at any sane cost. */
  readonly retryAfterSeconds = 1;

  constructor() {
    super("a bcrypt operation for this account or client is already queued or running");
    this.name = "PasswordWorkPending";
  }
}
