import type { RedisClient } from "@fedsession/runtime";
import { byCreation, isExpired, sessionExpiresAt, type SessionRecord, type SessionStore } from "./session-store";

/** Hash tags keep each key in one slot under Redis Cluster; the client adds the deployment's prefix. */
export const sessionKey = (id: string) => `session:{${id}}`;
export const userIndexKey = (userId: string) => `user-sessions:{${userId}}`;

/**
 * Adds or rescores one index member and makes the index live exactly as long as its latest member, in one atomic
 * step on one key. ARGV: score (expiry ms), member (session id), now (ms, from the injected clock).
 */
const INDEX_SESSION = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local ttl = math.max(1, tonumber(latest[2]) - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ttl)
return ttl
`;

const isStringOrNull = (value: unknown) => value === null || typeof value === "string";

function isSessionRecord(value: unknown): value is SessionRecord {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.id === "string" &&
    typeof record.userId === "string" &&
    typeof record.secretHash === "string" &&
    Array.isArray(record.permissions) &&
    record.permissions.every((permission) => typeof permission === "string") &&
    ["createdAt", "lastSeenAt", "idleExpiresAt", "absoluteExpiresAt"].every((field) =>
      Number.isFinite(record[field]),
    ) &&
    isStringOrNull(record.userAgent) &&
    isStringOrNull(record.ip)
  );
}

function decode(text: string): SessionRecord {
  const value: unknown = JSON.parse(text);
  if (!isSessionRecord(value)) throw new Error("a stored session record has an unexpected shape");
  return value;
}

/**
 * Sessions in Redis: `session:{<id>}` holds the JSON record with a TTL set in the same SET, and the sorted set
 * `user-sessions:{<userId>}` (score = expiry ms) lists a user's sessions for listing and revoke-all.
 */
export function createRedisSessionStore(client: RedisClient, now: () => Date = () => new Date()): SessionStore {
  const ttlOf = (record: SessionRecord) => Math.max(1, sessionExpiresAt(record) - now().getTime());
  const index = (record: SessionRecord) =>
    client.eval(INDEX_SESSION, 1, userIndexKey(record.userId), sessionExpiresAt(record), record.id, now().getTime());

  const readLive = async (id: string): Promise<SessionRecord | null> => {
    const text = await client.get(sessionKey(id));
    if (text === null) return null;
    const record = decode(text);
    return isExpired(record, now().getTime()) ? null : record;
  };

  return {
    async create(record) {
      // Index first: a failure in between leaves a dangling index entry (pruned later), never an unlisted session.
      await index(record);
      await client.set(sessionKey(record.id), JSON.stringify(record), "PX", ttlOf(record));
    },

    get: readLive,

    async touch(record) {
      // Only the two sliding fields ever change after create, so writing the caller's record rewrites just those.
      const written = await client.set(sessionKey(record.id), JSON.stringify(record), "PX", ttlOf(record), "XX");
      if (written === null) return false;
      await index(record);
      return true;
    },

    async delete(id) {
      const text = await client.getdel(sessionKey(id));
      if (text === null) return null;
      const record = decode(text);
      await client.zrem(userIndexKey(record.userId), id);
      return isExpired(record, now().getTime()) ? null : record;
    },

    async listByUser(userId) {
      const key = userIndexKey(userId);
      const at = now().getTime();
      const [, ids] = await Promise.all([
        client.zremrangebyscore(key, "-inf", at),
        client.zrangebyscore(key, `(${at}`, "+inf"),
      ]);
      const records = await Promise.all(ids.map(readLive));
      const gone = ids.filter((_id, position) => records[position] === null);
      if (gone.length > 0) await client.zrem(key, ...gone);
      return records.filter((record): record is SessionRecord => record !== null).sort(byCreation);
    },
  };
}
