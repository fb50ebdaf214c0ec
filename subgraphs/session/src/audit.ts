import type { Logger } from "@fedsession/runtime";

export type AuditEvent =
  | "session_created"
  | "session_replaced"
  | "session_evicted"
  | "logout"
  | "session_revoked"
  | "user_sessions_revoked"
  | "refresh_rotated"
  | "refresh_reuse_detected"
  | "refresh_limit_reached";

/**
 * The only fields an audit line can carry: identifiers, counts and where from. There is no field a token, hash or
 * secret could go into.
 */
export interface AuditFields {
  /** The user the event happened to. */
  userId: string;
  /** Who did it, when that is not the user themselves: another user's id, or "service:<name>". */
  actorId?: string;
  /** The public session id the event is about. */
  sessionId?: string;
  /** A session a revoke-all left alone (the caller's own). */
  keptSessionId?: string;
  /** The session a new sign-in ended, and whose it was (possibly another user's: a re-login as someone else). */
  replacedSessionId?: string;
  replacedUserId?: string;
  transport?: "COOKIE" | "TOKEN";
  count?: number;
  ip: string | null;
}

export type Audit = (event: AuditEvent, fields: AuditFields) => void;

/** JSON lines "audit.<event>" through the service logger. */
export function createAudit(logger: Logger): Audit {
  return (event, fields) => logger.info(`audit.${event}`, { ...fields });
}
