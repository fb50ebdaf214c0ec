import { timingSafeEqual } from "node:crypto";
import {
  byCreation,
  DEFAULT_MAX_SESSIONS_PER_USER,
  INITIAL_EPOCH,
  isExpired,
  REFRESH_RETRY_GRACE_MS,
  slid,
  type SessionRecord,
  type SessionStore,
} from "./session-store";

/** JSON, not structuredClone: the record is plain JSON, and copies then belong to the caller's realm. */
const copy = <T extends SessionRecord | SessionRecord["data"]>(value: T): T => JSON.parse(JSON.stringify(value));

const sameHash = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

/**
 * The embedded development store: expiry follows the injected clock, nothing survives a restart. Every method
 * reads and writes without awaiting in between, so each is atomic on Node's single thread.
 */
export function createMemorySessionStore(
  clock: () => Date,
  options: { maxSessionsPerUser?: number } = {},
): SessionStore {
  const maxSessionsPerUser = options.maxSessionsPerUser ?? DEFAULT_MAX_SESSIONS_PER_USER;
  const sessions = new Map<string, SessionRecord>();
  const userIndex = new Map<string, Set<string>>();
  const epochs = new Map<string, number>();
  /** Per session: the refresh hashes rotated away, and the latest rotation (for recognising its retry). */
  const rotations = new Map<string, { used: string[]; previous: string; at: number }>();

  const unindex = (record: SessionRecord) => {
    const ids = userIndex.get(record.userId);
    ids?.delete(record.id);
    if (ids?.size === 0) userIndex.delete(record.userId);
  };

  const remove = (record: SessionRecord) => {
    sessions.delete(record.id);
    rotations.delete(record.id);
    unindex(record);
  };

  const epochOf = (userId: string) => String(epochs.get(userId) ?? Number(INITIAL_EPOCH));

  const live = (id: string): SessionRecord | null => {
    const record = sessions.get(id);
    if (record === undefined) return null;
    if (isExpired(record, clock().getTime())) {
      remove(record);
      return null;
    }
    return record;
  };

  const liveOfUser = (userId: string): SessionRecord[] =>
    [...(userIndex.get(userId) ?? [])].map(live).filter((record): record is SessionRecord => record !== null);

  return {
    async create(record, expectedEpoch) {
      if (expectedEpoch !== undefined && expectedEpoch !== epochOf(record.userId)) return { created: false };
      sessions.set(record.id, copy(record));
      userIndex.set(record.userId, (userIndex.get(record.userId) ?? new Set()).add(record.id));
      const others = liveOfUser(record.userId)
        .filter((other) => other.id !== record.id)
        .sort(byCreation);
      const evicted = others.slice(0, Math.max(0, others.length + 1 - maxSessionsPerUser));
      evicted.forEach(remove);
      return { created: true, evicted: evicted.map((other) => other.id) };
    },

    async revocationEpoch(userId) {
      return epochOf(userId);
    },

    async get(id) {
      const record = live(id);
      return record && copy(record);
    },

    async getMany(ids) {
      return ids.map((id) => {
        const record = live(id);
        return { record: record && copy(record) };
      });
    },

    async touch(record) {
      const current = live(record.id);
      if (current === null) return false;
      sessions.set(record.id, { ...current, lastSeenAt: record.lastSeenAt, idleExpiresAt: record.idleExpiresAt });
      return true;
    },

    async delete(id) {
      const record = live(id);
      if (record === null) return null;
      remove(record);
      return copy(record);
    },

    async listByUser(userId, limit) {
      return liveOfUser(userId).map(copy).sort(byCreation).reverse().slice(0, limit);
    },

    async setData(id, data) {
      const current = live(id);
      if (current === null) return null;
      const updated = { ...current, data: copy(data) };
      sessions.set(id, updated);
      return copy(updated);
    },

    async updatePermissionsByUser(userId, permissions) {
      const records = liveOfUser(userId);
      for (const record of records) sessions.set(record.id, { ...record, permissions: [...permissions] });
      return records.length;
    },

    async deleteByUser(userId, exceptId) {
      epochs.set(userId, Number(epochOf(userId)) + 1);
      const doomed = liveOfUser(userId).filter((record) => record.id !== exceptId);
      doomed.forEach(remove);
      return doomed.length;
    },

    async rotateRefresh(id, presentedHash, nextHash, now, limits) {
      const current = sessions.get(id);
      if (current === undefined || current.transport !== "TOKEN" || isExpired(current, now)) {
        return { outcome: "invalid" };
      }
      const rotation = rotations.get(id) ?? { used: [], previous: "", at: 0 };
      const retry =
        rotation.used.length > 0 &&
        sameHash(rotation.previous, presentedHash) &&
        rotation.at + REFRESH_RETRY_GRACE_MS >= now;
      if (current.refreshHash !== null && (retry || sameHash(current.refreshHash, presentedHash))) {
        if (rotation.used.length >= limits.maxRotations) {
          remove(current);
          return { outcome: "exhausted", record: copy(current) };
        }
        const rotated: SessionRecord = { ...slid(current, now), refreshHash: nextHash };
        sessions.set(id, rotated);
        rotations.set(id, {
          used: [...rotation.used, current.refreshHash],
          previous: retry ? rotation.previous : presentedHash,
          at: retry ? rotation.at : now,
        });
        return { outcome: "rotated", record: copy(rotated) };
      }
      if (rotation.used.some((used) => sameHash(used, presentedHash))) {
        remove(current);
        return { outcome: "reused", record: copy(current) };
      }
      return { outcome: "invalid" };
    },
  };
}
