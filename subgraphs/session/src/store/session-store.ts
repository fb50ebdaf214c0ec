/** One session as stored; times are epoch milliseconds. */
export interface SessionRecord {
  id: string;
  userId: string;
  /** Hex SHA-256 of the token's secret: a dump of the store yields no usable token. */
  secretHash: string;
  permissions: string[];
  createdAt: number;
  lastSeenAt: number;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  userAgent: string | null;
  ip: string | null;
}

/** The port every session store adapter implements; one contract suite checks them all. */
export interface SessionStore {
  create(record: SessionRecord): Promise<void>;
  /** Null when absent or expired. */
  get(id: string): Promise<SessionRecord | null>;
  /** Rewrites lastSeenAt/idleExpiresAt only if the session still exists (Redis: SET ... XX PX). */
  touch(record: SessionRecord): Promise<boolean>;
  delete(id: string): Promise<SessionRecord | null>;
  /** Live sessions only, oldest first; prunes expired index entries. */
  listByUser(userId: string): Promise<SessionRecord[]>;
}

/** The moment a session ends unless it is used again: the earlier of its idle and absolute deadlines. */
export function sessionExpiresAt(record: SessionRecord): number {
  return Math.min(record.idleExpiresAt, record.absoluteExpiresAt);
}

export function isExpired(record: SessionRecord, now: number): boolean {
  return sessionExpiresAt(record) <= now;
}

export function byCreation(a: SessionRecord, b: SessionRecord): number {
  return a.createdAt - b.createdAt || a.id.localeCompare(b.id);
}
