import { logins, type Logger } from "@fedsession/runtime";
import type { SessionTransport } from "@fedsession/session-client";
import type { LoginFailureReason, ThrottleScope } from "./errors";

/**
 * The audit trail as JSON lines (`audit.<event>`): who, what, from where. Each event takes named fields of known
 * meaning, so no call site can pass a password, token, refresh token or hash; user ids stand in for emails.
 */
export interface Audit {
  signedUp(fields: { userId: string; sessionId: string; ip: string | null; transport: SessionTransport }): void;
  loginSucceeded(fields: { userId: string; sessionId: string; ip: string | null; transport: SessionTransport }): void;
  loginFailed(fields: { userId: string | null; reason: LoginFailureReason; ip: string | null }): void;
  /** No user id: a throttled attempt is refused before any lookup. */
  loginThrottled(fields: { scope: ThrottleScope; retryAfterSeconds: number; ip: string | null }): void;
  signUpThrottled(fields: { retryAfterSeconds: number; ip: string }): void;
  passwordChanged(fields: {
    userId: string;
    sessionId: string;
    previousSessionId: string;
    revokedSessions: number;
    ip: string | null;
  }): void;
  passwordChangeFailed(fields: { userId: string; sessionId: string; ip: string | null }): void;
  permissionsChanged(fields: {
    actorId: string;
    targetUserId: string;
    oldPermissions: readonly string[];
    newPermissions: readonly string[];
    updatedSessions: number;
    ip: string | null;
  }): void;
  accountDisabled(fields: { actorId: string; targetUserId: string; revokedSessions: number; ip: string | null }): void;
  accountEnabled(fields: { actorId: string; targetUserId: string; ip: string | null }): void;
}

export function createAudit(logger: Logger): Audit {
  return {
    signedUp: (fields) => logger.info("audit.signed_up", fields),
    // Every login outcome passes here once, so the counter agrees with the audit trail.
    loginSucceeded: (fields) => {
      logins.inc({ outcome: "success" });
      logger.info("audit.login_succeeded", fields);
    },
    loginFailed: (fields) => {
      logins.inc({ outcome: "failure" });
      logger.info("audit.login_failed", fields);
    },
    loginThrottled: (fields) => {
      logins.inc({ outcome: "throttled" });
      logger.warn("audit.login_throttled", fields);
    },
    signUpThrottled: (fields) => logger.warn("audit.sign_up_throttled", fields),
    passwordChanged: (fields) => logger.info("audit.password_changed", fields),
    passwordChangeFailed: (fields) => logger.info("audit.password_change_failed", fields),
    permissionsChanged: ({ oldPermissions, newPermissions, ...fields }) =>
      logger.info("audit.permissions_changed", {
        ...fields,
        oldPermissions: oldPermissions.join(","),
        newPermissions: newPermissions.join(","),
      }),
    accountDisabled: (fields) => logger.info("audit.account_disabled", fields),
    accountEnabled: (fields) => logger.info("audit.account_enabled", fields),
  };
}
