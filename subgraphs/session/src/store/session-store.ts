import type { SessionTransport } from "@fedsession/session-client";
import type { JsonObject } from "../json";

/** One session as stored; times are epoch milliseconds. */
export interface SessionRecord {
  id: string;
  userId: string;
  transport: SessionTransport;
  /** COOKIE: hex SHA-256 of the cookie token's secret. Null for TOKEN sessions, so no cookie can ever name one. */
  secretHash: string | null;
  /** TOKEN: hex SHA-256 of the current refresh secret. Null for COOKIE sessions. */
  refreshHash: string | null;
  permissions: string[];
  /** Small JSON values the client keeps on its session (setSessionData). */
  data: JsonObject;
  createdAt: number;
  lastSeenAt: number;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  /** The idle timeout this session slides by, fixed at creation, so a store can slide it by itself (refresh). */
  idleTtlMs: number;
  userAgent: string | null;
  ip: string | null;
}

/**
 * A reused refresh token ends the session, and so does a rotation past the session's budget (`exhausted`); the
 * deleted record tells who was affected.
 */
export type RotateRefreshOutcome =
  | { outcome: "rotated"; record: SessionRecord }
  | { outcome: "reused"; record: SessionRecord }
  | { outcome: "exhausted"; record: SessionRecord }
  | { outcome: "invalid" };

/**
 * How long the refresh token a rotation just replaced may be presented again without counting as reuse, so a
 * client whose answer was lost (timeout, reset, 503) can retry. Only the latest rotation is forgiven, and the
 * forgiven retry marks the pair it replaces as used: if that pair did reach someone, its next use is reuse.
 */
export const REFRESH_RETRY_GRACE_MS = 10_000;

/** SESSIONS_PER_USER's default: past it, a new session ends the user's oldest. */
export const DEFAULT_MAX_SESSIONS_PER_USER = 50;

/** Every session's revocation epoch before its first revoke-all. */
export const INITIAL_EPOCH = "0";

/** A create refused because a revoke-all of the user ran after `expectedEpoch` was read. */
export type CreateOutcome = { created: true; evicted: string[] } | { created: false };

export interface RotationLimits {
  /**
   * Rotations a session may make in its lifetime: every used hash is remembered until the session ends (reuse
   * detection never forgets), and this bounds how many there can be. The rotation past it ends the session.
   */
  maxRotations: number;
}

/** One record of a batch read, or why that one record could not be read. */
export type BatchRead = { record: SessionRecord | null } | { error: Error };

/** The port every session store adapter implements; one contract suite checks them all. */
export interface SessionStore {
  /**
   * Stores the session and lists it in the user's index, unless a revoke-all of the user ran since
   * `expectedEpoch` was read (revocationEpoch): then nothing stays and `created` is false. Past the per-user cap
   * the oldest sessions end; `evicted` names them. Omitting the epoch skips the check (sessions made by tests).
   */
  create(record: SessionRecord, expectedEpoch?: string): Promise<CreateOutcome>;
  /** The user's revocation epoch: it changes, atomically, with every deleteByUser. */
  revocationEpoch(userId: string): Promise<string>;
  /** Null when absent or expired. */
  get(id: string): Promise<SessionRecord | null>;
  /**
   * One read per id, in order, in one round trip: the record (null when absent or expired) or, for a record that
   * cannot be decoded, an error of its own. Throws only when the round trip as a whole failed.
   */
  getMany(ids: readonly string[]): Promise<BatchRead[]>;
  /** Rewrites lastSeenAt/idleExpiresAt (and the TTL) only, and only if the session still exists. */
  touch(record: SessionRecord): Promise<boolean>;
  delete(id: string): Promise<SessionRecord | null>;
  /** At most `limit` live sessions, the newest first; prunes expired index entries. */
  listByUser(userId: string, limit: number): Promise<SessionRecord[]>;
  /** Replaces the session's data keeping its TTL; null when the session is gone. */
  setData(id: string, data: JsonObject): Promise<SessionRecord | null>;
  /** Replaces the permissions of every live session of the user keeping each TTL; returns how many changed. */
  updatePermissionsByUser(userId: string, permissions: string[]): Promise<number>;
  /**
   * Moves the user's revocation epoch on, then deletes every live session of the user but `exceptId`; returns how
   * many ended. A create that read the epoch before this began cannot leave a session behind.
   */
  deleteByUser(userId: string, exceptId: string | null): Promise<number>;
  /**
   * In one atomic step: the current refresh hash → replaced by nextHash, the old one remembered, idle expiry slid;
   * the hash the latest rotation replaced, within REFRESH_RETRY_GRACE_MS of it → rotated again (a retry);
   * any other remembered hash → the whole session deleted; anything else (or an expired or COOKIE session) → invalid.
   */
  rotateRefresh(
    id: string,
    presentedHash: string,
    nextHash: string,
    now: number,
    limits: RotationLimits,
  ): Promise<RotateRefreshOutcome>;
}

/** The moment a session ends unless it is used again: the earlier of its idle and absolute deadlines. */
export function sessionExpiresAt(record: SessionRecord): number {
  return Math.min(record.idleExpiresAt, record.absoluteExpiresAt);
}

export function isExpired(record: SessionRecord, now: number): boolean {
  return sessionExpiresAt(record) <= now;
}

/** The record as if used at `now`: the idle deadline moves, never past the absolute one. */
export function slid(record: SessionRecord, now: number): SessionRecord {
  return { ...record, lastSeenAt: now, idleExpiresAt: Math.min(now + record.idleTtlMs, record.absoluteExpiresAt) };
}

export function byCreation(a: SessionRecord, b: SessionRecord): number {
  return a.createdAt - b.createdAt || a.id.localeCompare(b.id);
}
