import type { RedisClient } from "@fedsession/runtime";
import type { LoginThrottle } from "./login-throttle";
import { checkUpdate, UserStoreError, type UserRecord, type UserStore } from "./user-store";

/** Hash tags keep each key in one slot; no command here spans two keys, so Redis Cluster needs nothing more. */
export const userKey = (id: string) => `user:{${id}}`;
export const emailKey = (email: string) => `user-email:{${email}}`;

function parseUser(json: string | null): UserRecord | null {
  return json === null ? null : (JSON.parse(json) as UserRecord);
}

/** Replaces the value only if it is still what the caller read: optimistic concurrency on one key. */
const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** Concurrent writers to one user are rare (an admin and its owner); past this many lost races something is wrong. */
const MAX_MODIFY_ATTEMPTS = 10;

/** Users in Redis with no TTL (accounts persist); the client's keyPrefix namespaces every key. */
export function createRedisUserStore(redis: RedisClient): UserStore {
  const findById = async (id: string) => parseUser(await redis.get(userKey(id)));

  return {
    create: async (user) => {
      // The email key is the uniqueness lock: whoever sets it first owns the address.
      if ((await redis.set(emailKey(user.email), user.id, "NX")) === null) return false;
      let written: "OK" | null;
      try {
        written = await redis.set(userKey(user.id), JSON.stringify(user), "NX");
      } catch (error) {
        await redis.del(emailKey(user.email));
        throw error;
      }
      if (written === null) {
        await redis.del(emailKey(user.email));
        throw new UserStoreError("id-taken", `user ${user.id} already exists`);
      }
      return true;
    },
    findById,
    findByIds: (ids) => Promise.all(ids.map(findById)),
    findByEmail: async (email) => {
      const id = await redis.get(emailKey(email));
      return id === null ? null : findById(id);
    },
    update: async (user) => {
      checkUpdate(await findById(user.id), user);
      // XX: a user deleted meanwhile is not resurrected without its email index.
      if ((await redis.set(userKey(user.id), JSON.stringify(user), "XX")) === null) {
        throw new UserStoreError("not-found", `user ${user.id} does not exist`);
      }
    },
    modify: async (id, change) => {
      for (let attempt = 0; attempt < MAX_MODIFY_ATTEMPTS; attempt += 1) {
        const json = await redis.get(userKey(id));
        if (json === null) return null;
        const current = JSON.parse(json) as UserRecord;
        const next = change(current);
        checkUpdate(current, next);
        if ((await redis.eval(COMPARE_AND_SET, 1, userKey(id), json, JSON.stringify(next))) === 1) return next;
      }
      throw new Error(`user ${id} kept changing while being modified`);
    },
  };
}

/**
 * INCR and the window's expiry in one atomic step: PEXPIRE only when the key has no TTL yet (a fresh window), so
 * later hits never extend it. Returns the count and the milliseconds left.
 */
const HIT = `
local attempts = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {attempts, ttl}`;

/** DECR keeps the TTL; a key that expired or was reset is left alone, so no counter without a TTL can appear. */
const FORGIVE = `
local attempts = tonumber(redis.call('GET', KEYS[1]) or '0')
if attempts > 1 then
  redis.call('DECR', KEYS[1])
elseif attempts == 1 then
  redis.call('DEL', KEYS[1])
end
return 0`;

/** Counters in Redis, so every replica sees the same attempts; each command touches one key. */
export function createRedisLoginThrottle(redis: RedisClient): LoginThrottle {
  return {
    hit: async (key, windowMs) => {
      const [attempts, resetInMs] = (await redis.eval(HIT, 1, key, String(windowMs))) as [number, number];
      return { attempts, resetInMs };
    },
    forgive: async (key) => {
      await redis.eval(FORGIVE, 1, key);
    },
    reset: async (key) => {
      await redis.del(key);
    },
  };
}
