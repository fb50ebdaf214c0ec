import { byCreation, isExpired, type SessionRecord, type SessionStore } from "./session-store";

const copy = (record: SessionRecord): SessionRecord => ({ ...record, permissions: [...record.permissions] });

/** The embedded development store: expiry follows the injected clock, nothing survives a restart. */
export function createMemorySessionStore(clock: () => Date): SessionStore {
  const sessions = new Map<string, SessionRecord>();
  const userIndex = new Map<string, Set<string>>();

  const unindex = (record: SessionRecord) => {
    const ids = userIndex.get(record.userId);
    ids?.delete(record.id);
    if (ids?.size === 0) userIndex.delete(record.userId);
  };

  const live = (id: string): SessionRecord | null => {
    const record = sessions.get(id);
    if (record === undefined) return null;
    if (isExpired(record, clock().getTime())) {
      sessions.delete(id);
      unindex(record);
      return null;
    }
    return record;
  };

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
      sessions.delete(id);
      unindex(record);
      return copy(record);
    },

    async listByUser(userId) {
      const ids = [...(userIndex.get(userId) ?? [])];
      return ids
        .map(live)
        .filter((record): record is SessionRecord => record !== null)
        .map(copy)
        .sort(byCreation);
    },
  };
}
