import { timingSafeEqual } from "node:crypto";
import {
  byCreation,
  isExpired,
  MAX_USED_REFRESH_HASHES,
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
export function createMemorySessionStore(clock: () => Date): SessionStore {
  const sessions = new Map<string, SessionRecord>();
  const userIndex = new Map<string, Set<string>>();

  const unindex = (record: SessionRecord) => {
    const ids = userIndex.get(record.userId);
    ids?.delete(record.id);
    if (ids?.size === 0) userIndex.delete(record.userId);
  };

  const remove = (record: SessionRecord) => {
    sessions.delete(record.id);
    unindex(record);
  };

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
    async create(record) {
      sessions.set(record.id, copy(record));
      userIndex.set(record.userId, (userIndex.get(record.userId) ?? new Set()).add(record.id));
    },

    async get(id) {
      const record = live(id);
      return record && copy(record);
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

    async listByUser(userId) {
      return liveOfUser(userId).map(copy).sort(byCreation);
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
      const doomed = liveOfUser(userId).filter((record) => record.id !== exceptId);
      doomed.forEach(remove);
      return doomed.length;
    },

    async rotateRefresh(id, presentedHash, nextHash, now) {
      const current = sessions.get(id);
      if (current === undefined || current.transport !== "TOKEN" || isExpired(current, now)) {
        return { outcome: "invalid" };
      }
      if (current.refreshHash !== null && sameHash(current.refreshHash, presentedHash)) {
        const rotated: SessionRecord = {
          ...slid(current, now),
          refreshHash: nextHash,
          usedRefreshHashes: [...current.usedRefreshHashes, presentedHash].slice(-MAX_USED_REFRESH_HASHES),
        };
        sessions.set(id, rotated);
        return { outcome: "rotated", record: copy(rotated) };
      }
      if (current.usedRefreshHashes.some((used) => sameHash(used, presentedHash))) {
        remove(current);
        return { outcome: "reused", record: copy(current) };
      }
      return { outcome: "invalid" };
    },
  };
}
