import { randomBytes } from "node:crypto";
import { Cluster } from "ioredis";
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
import { CONFIRM_SESSION, PATCH_SESSION, ROTATE_REFRESH, SNAPSHOT_INDEX } from "./redis-scripts";
import {
  byCreation,
  DEFAULT_MAX_SESSIONS_PER_USER,
  INITIAL_EPOCH,
  isExpired,
  REFRESH_RETRY_GRACE_MS,
  sessionExpiresAt,
  type BatchRead,
  type RotateRefreshOutcome,
  type SessionRecord,
  type SessionStore,
} from "./session-store";

/**
 * Hash tags keep each key in one slot under Redis Cluster; the client adds the deployment's prefix. The names are
 * short because every session holds one key of each kind. A session's keys share its id's tag; a user's share the
 * user id's tag, so each Lua script touches one slot.
 */
export const sessionKey = (id: string) => `s:{${id}}`;
export const usedHashesKey = (id: string) => `h:{${id}}`;
export const userIndexKey = (userId: string) => `u:{${userId}}`;
export const epochKey = (userId: string) => `e:{${userId}}`;
const snapshotKey = (userId: string) => `r:{${userId}}:${randomBytes(8).toString("base64url")}`;

/** PATCH_SESSION's third argument for "leave the TTL as it is" (SET ... XX KEEPTTL). */
const KEEP_TTL = "";

/**
 * An epoch must outlive every create that read it: a login takes seconds, so a day is ample; after that a user
 * with no revoke-all for a day starts again from INITIAL_EPOCH, which any create still holding an older value fails.
 */
const EPOCH_TTL_MS = 24 * 3_600_000;
/** A revoke-all that died half-way leaves its snapshot for this long. */
const SNAPSHOT_TTL_MS = 60_000;
/** Sessions handled per round trip when walking a user's index. */
export const INDEX_PAGE_SIZE = 100;

export interface RedisSessionStoreOptions {
  now?: () => Date;
  /** Past this many sessions per user, creating one ends the oldest. */
  maxSessionsPerUser?: number;
  /** Test hook: runs after a create wrote the session and before it is indexed (to force interleavings). */
  beforeIndexing?: (record: SessionRecord) => Promise<void>;
}

function decodeRotation(id: string, reply: unknown): RotateRefreshOutcome {
  if (Array.isArray(reply) && typeof reply[1] === "string") {
    const record = decodeRecord(id, reply[1]);
    const outcome = reply[0];
    if (record !== null && (outcome === "rotated" || outcome === "reused" || outcome === "exhausted")) {
      return { outcome, record };
    }
  }
  if (Array.isArray(reply) && reply[0] === "invalid") return { outcome: "invalid" };
  throw new Error("the refresh rotation script answered in an unexpected shape");
}

const stringList = (reply: unknown): string[] =>
  Array.isArray(reply) ? reply.filter((item): item is string => typeof item === "string") : [];

/**
 * Sessions in Redis: `s:{<id>}` holds the record (redis-record.ts) with a TTL set in the same command,
 * `h:{<id>}` the refresh hashes it rotated away, the sorted set `u:{<userId>}` (score = absolute deadline) lists a
 * user's sessions for listing and revoke-all, and `e:{<userId>}` is the user's revocation epoch.
 *
 * A session is written before it is indexed, and readers drop an index member only once they saw its session key
 * missing; so a member, once added, is dropped only after its session ended, and the index never loses a live
 * session. A crash between the two writes leaves an unindexed session whose token was never handed out.
 */
export function createRedisSessionStore(client: RedisClient, options: RedisSessionStoreOptions = {}): SessionStore {
  const now = options.now ?? (() => new Date());
  const maxSessionsPerUser = options.maxSessionsPerUser ?? DEFAULT_MAX_SESSIONS_PER_USER;
  const ttlOf = (record: SessionRecord) => Math.max(1, sessionExpiresAt(record) - now().getTime());

  const readLive = async (id: string): Promise<SessionRecord | null> => {
    const text = await client.get(sessionKey(id));
    const record = text === null ? null : decodeRecord(id, text);
    return record === null || isExpired(record, now().getTime()) ? null : record;
  };

  /** A stored text as a live record; a record that cannot be decoded is that read's error alone. */
  const liveRead = (id: string, text: string | null, at: number): BatchRead => {
    if (text === null) return { record: null };
    try {
      const record = decodeRecord(id, text);
      return { record: record === null || isExpired(record, at) ? null : record };
    } catch (error) {
      return { error: error instanceof Error ? error : new Error(String(error)) };
    }
  };

  /**
   * One MGET on a single Redis. Under Cluster the sessions' keys hash to different slots, which one MGET may not
   * span: the GETs are issued together and ioredis's auto-pipelining sends each node's share as one pipeline, so
   * the batch still costs one round trip (in parallel, one per node holding any of its keys).
   */
  const readMany = (ids: readonly string[]): Promise<(string | null)[]> =>
    client instanceof Cluster
      ? Promise.all(ids.map((id) => client.get(sessionKey(id))))
      : client.mget(ids.map(sessionKey));

  /** Replaces fields of one live session in one atomic step; null when it is gone. */
  const patch = async (
    id: string,
    fields: Partial<Record<StoredField, string | number>>,
    ttlMs: number | typeof KEEP_TTL,
  ) => {
    const reply = await client.eval(PATCH_SESSION, 1, sessionKey(id), now().getTime(), JSON.stringify(fields), ttlMs);
    return typeof reply === "string" ? decodeRecord(id, reply) : null;
  };

  /** Drops index members whose sessions are gone, in one ZREM on the index key. */
  const forget = async (userId: string, ids: string[]) => {
    if (ids.length > 0) await client.zrem(userIndexKey(userId), ...ids);
  };

  /** Deletes the session's keys; the record as it was, or null when it was already gone. */
  const erase = async (id: string): Promise<SessionRecord | null> => {
    const [text] = await Promise.all([client.getdel(sessionKey(id)), client.del(usedHashesKey(id))]);
    return text === null ? null : decodeRecord(id, text);
  };

  const deleteSession = async (id: string): Promise<SessionRecord | null> => {
    const record = await erase(id);
    if (record === null) return null;
    await client.zrem(userIndexKey(record.userId), id);
    return isExpired(record, now().getTime()) ? null : record;
  };

  /**
   * Calls `visit` with the user's indexed ids, a bounded page at a time, from a snapshot taken in one atomic step
   * (with the epoch moved on first when `revoke`); `visit` answers the ids to drop from the index.
   */
  const walkIndex = async (userId: string, revoke: boolean, visit: (ids: string[]) => Promise<string[]>) => {
    const snapshot = snapshotKey(userId);
    const size = await client.eval(
      SNAPSHOT_INDEX,
      3,
      userIndexKey(userId),
      epochKey(userId),
      snapshot,
      now().getTime(),
      EPOCH_TTL_MS,
      SNAPSHOT_TTL_MS,
      revoke ? 1 : 0,
    );
    if (size === 0) return;
    for (;;) {
      const ids = await client.zrange(snapshot, 0, INDEX_PAGE_SIZE - 1);
      if (ids.length === 0) return;
      const dropped = await visit(ids);
      await Promise.all([forget(userId, dropped), client.zrem(snapshot, ...ids)]);
    }
  };

  return {
    async create(record, expectedEpoch) {
      await client.set(sessionKey(record.id), encodeRecord(record), "PX", ttlOf(record));
      await options.beforeIndexing?.(record);
      const epoch = expectedEpoch ?? (await client.get(epochKey(record.userId))) ?? INITIAL_EPOCH;
      const reply: unknown = await client.eval(
        CONFIRM_SESSION,
        2,
        userIndexKey(record.userId),
        epochKey(record.userId),
        epoch,
        record.absoluteExpiresAt,
        record.id,
        now().getTime(),
        maxSessionsPerUser,
      );
      if (reply === null) {
        await erase(record.id);
        return { created: false };
      }
      const evicted = stringList(reply);
      // Ended before unindexed, so a failure in between leaves a dangling member, never an unlisted session.
      await Promise.all(evicted.map(erase));
      await forget(record.userId, evicted);
      return { created: true, evicted };
    },

    async revocationEpoch(userId) {
      return (await client.get(epochKey(userId))) ?? INITIAL_EPOCH;
    },

    get: readLive,

    async getMany(ids) {
      if (ids.length === 0) return [];
      const texts = await readMany(ids);
      const at = now().getTime();
      return ids.map((id, index) => liveRead(id, texts[index] ?? null, at));
    },

    async touch(record) {
      return (await patch(record.id, encodeSlide(record), ttlOf(record))) !== null;
    },

    delete: deleteSession,

    async listByUser(userId, limit) {
      const key = userIndexKey(userId);
      const ids = await client.zrevrangebyscore(key, "+inf", `(${now().getTime()}`, "LIMIT", 0, limit);
      const records = await Promise.all(ids.map(readLive));
      await forget(
        userId,
        ids.filter((_id, position) => records[position] === null),
      );
      return records
        .filter((record): record is SessionRecord => record !== null)
        .sort(byCreation)
        .reverse();
    },

    setData: (id, data) => patch(id, { d: encodeData(data) }, KEEP_TTL),

    async updatePermissionsByUser(userId, permissions) {
      const fields = { p: encodePermissions(permissions) };
      let count = 0;
      await walkIndex(userId, false, async (ids) => {
        const updated = await Promise.all(ids.map((id) => patch(id, fields, KEEP_TTL)));
        count += updated.filter((record) => record !== null).length;
        return ids.filter((_id, position) => updated[position] === null);
      });
      return count;
    },

    async deleteByUser(userId, exceptId) {
      let count = 0;
      await walkIndex(userId, true, async (ids) => {
        const doomed = ids.filter((id) => id !== exceptId);
        const records = await Promise.all(doomed.map(erase));
        const at = now().getTime();
        count += records.filter((record) => record !== null && !isExpired(record, at)).length;
        return doomed;
      });
      return count;
    },

    async rotateRefresh(id, presentedHash, nextHash, at, limits) {
      const reply: unknown = await client.eval(
        ROTATE_REFRESH,
        2,
        sessionKey(id),
        usedHashesKey(id),
        storedHash(presentedHash),
        storedHash(nextHash),
        at,
        limits.maxRotations,
        REFRESH_RETRY_GRACE_MS,
      );
      const outcome = decodeRotation(id, reply);
      // The index lives on another slot, so it is tidied in a separate command; readers would drop the member anyway.
      if (outcome.outcome === "reused" || outcome.outcome === "exhausted") {
        await client.zrem(userIndexKey(outcome.record.userId), id);
      }
      return outcome;
    },
  };
}
