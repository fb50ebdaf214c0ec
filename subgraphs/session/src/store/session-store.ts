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
  /** TOKEN: hashes of refresh secrets already rotated away, oldest first; presenting one of them is reuse. */
  usedRefreshHashes: string[];
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

/** A reused refresh token ends the session; the deleted record tells who was affected. */
export type RotateRefreshOutcome =
  { outcome: "rotated"; record: SessionRecord } | { outcome: "reused"; record: SessionRecord } | { outcome: "invalid" };

/** Enough to catch a replay of any recent refresh token while keeping the record small. */
export const MAX_USED_REFRESH_HASHES = 50;

/** The port every session store adapter implements; one contract suite checks them all. */
export interface SessionStore {
  create(record: SessionRecord): Promise<void>;
  /** Null when absent or expired. */
  get(id: string): Promise<SessionRecord | null>;
  /** Rewrites lastSeenAt/idleExpiresAt (and the TTL) only, and only if the session still exists. */
  touch(record: SessionRecord): Promise<boolean>;
  delete(id: string): Promise<SessionRecord | null>;
  /** Live sessions only, oldest first; prunes expired index entries. */
  listByUser(userId: string): Promise<SessionRecord[]>;
  /** Replaces the session's data keeping its TTL; null when the session is gone. */
  setData(id: string, data: JsonObject): Promise<SessionRecord | null>;
  /** Replaces the permissions of every live session of the user keeping each TTL; returns how many changed. */
  updatePermissionsByUser(userId: string, permissions: string[]): Promise<number>;
  /** Deletes every live session of the user but `exceptId`; returns how many ended. */
  deleteByUser(userId: string, exceptId: string | null): Promise<number>;
  /**
   * In one atomic step: the current refresh hash → replaced by nextHash, the old one remembered, idle expiry slid;
   * a remembered hash → the whole session deleted; anything else (or an expired or COOKIE session) → invalid.
   */
  rotateRefresh(id: string, presentedHash: string, nextHash: string, now: number): Promise<RotateRefreshOutcome>;
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
