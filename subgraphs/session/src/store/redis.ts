import type { RedisClient } from "@fedsession/runtime";
import {
  decodeRecord,
  encodeData,
  encodePermissions,
  encodeRecord,
  encodeSlide,
  storedHash,
  type StoredField,
} from "./redis-record";
import { INDEX_SESSION, PATCH_SESSION, ROTATE_REFRESH } from "./redis-scripts";
import {
  byCreation,
  isExpired,
  MAX_USED_REFRESH_HASHES,
  sessionExpiresAt,
  type RotateRefreshOutcome,
  type SessionRecord,
  type SessionStore,
} from "./session-store";

/**
 * Hash tags keep each key in one slot under Redis Cluster; the client adds the deployment's prefix. The names are
 * short because every session holds one key of each kind.
 */
export const sessionKey = (id: string) => `s:{${id}}`;
export const userIndexKey = (userId: string) => `u:{${userId}}`;

/** PATCH_SESSION's third argument for "leave the TTL as it is" (SET ... XX KEEPTTL). */
const KEEP_TTL = "";

function decodeRotation(id: string, reply: unknown): RotateRefreshOutcome {
  if (Array.isArray(reply) && typeof reply[1] === "string") {
    const record = decodeRecord(id, reply[1]);
    if (record !== null && (reply[0] === "rotated" || reply[0] === "reused")) return { outcome: reply[0], record };
  }
  if (Array.isArray(reply) && reply[0] === "invalid") return { outcome: "invalid" };
  throw new Error("the refresh rotation script answered in an unexpected shape");
}

/**
 * Sessions in Redis: `s:{<id>}` holds the record (redis-record.ts) with a TTL set in the same command, and the
 * sorted set `u:{<userId>}` (score = absolute deadline) lists a user's sessions for listing and
 * revoke-all. An index member can outlive its session (idle expiry, or a failure between two commands); every
 * reader drops such members.
 */
export function createRedisSessionStore(client: RedisClient, now: () => Date = () => new Date()): SessionStore {
  const ttlOf = (record: SessionRecord) => Math.max(1, sessionExpiresAt(record) - now().getTime());

  const readLive = async (id: string): Promise<SessionRecord | null> => {
    const text = await client.get(sessionKey(id));
    const record = text === null ? null : decodeRecord(id, text);
    return record === null || isExpired(record, now().getTime()) ? null : record;
  };

  /** Replaces fields of one live session in one atomic step; null when it is gone. */
  const patch = async (
    id: string,
    fields: Partial<Record<StoredField, string | number>>,
    ttlMs: number | typeof KEEP_TTL,
  ) => {
    const reply = await client.eval(PATCH_SESSION, 1, sessionKey(id), now().getTime(), JSON.stringify(fields), ttlMs);
    return typeof reply === "string" ? decodeRecord(id, reply) : null;
  };

  /** The ids the index lists as not past their absolute deadline, after dropping those that are. */
  const indexedIds = async (userId: string): Promise<string[]> => {
    const key = userIndexKey(userId);
    const at = now().getTime();
    const [, ids] = await Promise.all([
      client.zremrangebyscore(key, "-inf", at),
      client.zrangebyscore(key, `(${at}`, "+inf"),
    ]);
    return ids;
  };

  /** Drops index members whose sessions are gone, in one ZREM on the index key. */
  const forget = async (userId: string, ids: string[]) => {
    if (ids.length > 0) await client.zrem(userIndexKey(userId), ...ids);
  };

  const deleteSession = async (id: string): Promise<SessionRecord | null> => {
    const text = await client.getdel(sessionKey(id));
    const record = text === null ? null : decodeRecord(id, text);
    if (record === null) return null;
    await client.zrem(userIndexKey(record.userId), id);
    return isExpired(record, now().getTime()) ? null : record;
  };

  return {
    async create(record) {
      // Index first: a failure in between leaves a dangling index entry (pruned later), never an unlisted session.
      await client.eval(
        INDEX_SESSION,
        1,
        userIndexKey(record.userId),
        record.absoluteExpiresAt,
        record.id,
        now().getTime(),
      );
      await client.set(sessionKey(record.id), encodeRecord(record), "PX", ttlOf(record));
    },

    get: readLive,

    async touch(record) {
      return (await patch(record.id, encodeSlide(record), ttlOf(record))) !== null;
    },

    delete: deleteSession,

    async listByUser(userId) {
      const ids = await indexedIds(userId);
      const records = await Promise.all(ids.map(readLive));
      await forget(
        userId,
        ids.filter((_id, position) => records[position] === null),
      );
      return records.filter((record): record is SessionRecord => record !== null).sort(byCreation);
    },

    setData: (id, data) => patch(id, { d: encodeData(data) }, KEEP_TTL),

    async updatePermissionsByUser(userId, permissions) {
      const fields = { p: encodePermissions(permissions) };
      const ids = await indexedIds(userId);
      const updated = await Promise.all(ids.map((id) => patch(id, fields, KEEP_TTL)));
      await forget(
        userId,
        ids.filter((_id, position) => updated[position] === null),
      );
      return updated.filter((record) => record !== null).length;
    },

    async deleteByUser(userId, exceptId) {
      const ids = (await indexedIds(userId)).filter((id) => id !== exceptId);
      const texts = await Promise.all(ids.map((id) => client.getdel(sessionKey(id))));
      await forget(userId, ids);
      const at = now().getTime();
      return texts
        .map((text, position) => (text === null ? null : decodeRecord(ids[position] ?? "", text)))
        .filter((record) => record !== null && !isExpired(record, at)).length;
    },

    async rotateRefresh(id, presentedHash, nextHash, at) {
      const reply: unknown = await client.eval(
        ROTATE_REFRESH,
        1,
        sessionKey(id),
        storedHash(presentedHash),
        storedHash(nextHash),
        at,
        MAX_USED_REFRESH_HASHES,
      );
      const outcome = decodeRotation(id, reply);
      // The index lives on another slot, so it is tidied in a separate command; readers would drop the member anyway.
      if (outcome.outcome === "reused") await client.zrem(userIndexKey(outcome.record.userId), id);
      return outcome;
    },
  };
}
