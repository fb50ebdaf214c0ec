import type { RedisClient } from "@fedsession/runtime";
import type { LoginThrottle } from "./login-throttle";
import { failuresAsUnavailable } from "./unavailable";
import { checkUpdate, isUserStoreError, UserStoreError, type UserRecord, type UserStore } from "./user-store";

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

  return failuresAsUnavailable<UserStore>(
    {
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
    },
    isUserStoreError,
  );
}

/**
 * Counters written by the previous version were plain INCR strings; they live at most one window, and are converted
 * in place (count and TTL kept) so that a deploy does not turn them into WRONGTYPE errors on login.
 */
const FROM_PLAIN_COUNTER = `
if redis.call('TYPE', KEYS[1]).ok == 'string' then
  local count = redis.call('GET', KEYS[1])
  local ttl = redis.call('PTTL', KEYS[1])
  redis.call('DEL', KEYS[1])
  if ttl > 0 then
    redis.call('HSET', KEYS[1], 'attempts', count)
    redis.call('PEXPIRE', KEYS[1], ttl)
  end
end`;

/**
 * One hash per key: `attempts` and `last` (Redis server time of the last counted attempt, in ms, so replicas with
 * skewed clocks agree). Decides and counts in one atomic step: with a back-off (ARGV[2] after, ARGV[3] base ms, ARGV[4]
 * longest delay in ms), an
 * attempt that comes too soon is answered with its wait and not counted; otherwise HINCRBY, and PEXPIRE only when the
 * key has no TTL yet (a fresh window), so later hits never extend it. Returns {attempts, ms left, wait ms}.
 */
const HIT = `${FROM_PLAIN_COUNTER}
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
local ttl = redis.call('PTTL', KEYS[1])
if #ARGV >= 4 and ttl > 0 and attempts >= tonumber(ARGV[2]) then
  local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
  local delay = math.min(tonumber(ARGV[3]) * 2 ^ (attempts - tonumber(ARGV[2])), tonumber(ARGV[4]))
  local wait = last + delay - now
  if wait > 0 then
    return {attempts, ttl, math.ceil(math.min(wait, ttl))}
  end
end
attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'last', now)
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {attempts, ttl, 0}`;

/** HINCRBY keeps the TTL; a key that expired or was reset is left alone, so no counter without a TTL can appear. */
const FORGIVE = `${FROM_PLAIN_COUNTER}
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
if attempts > 1 then
  redis.call('HINCRBY', KEYS[1], 'attempts', -1)
elseif attempts == 1 then
  redis.call('DEL', KEYS[1])
end
return 0`;

/** Counters in Redis, so every replica sees the same attempts; each command touches one key. */
export function createRedisLoginThrottle(redis: RedisClient): LoginThrottle {
  return failuresAsUnavailable<LoginThrottle>(
    {
      hit: async (key, windowMs, backoff) => {
        const backoffArguments = backoff
          ? [String(backoff.afterAttempts), String(backoff.baseMs), String(backoff.maxMs)]
          : [];
        const [attempts, resetInMs, waitMs] = (await redis.eval(
          HIT,
          1,
          key,
          String(windowMs),
          ...backoffArguments,
        )) as [number, number, number];
        return { attempts, resetInMs, waitMs };
      },
      forgive: async (key) => {
        await redis.eval(FORGIVE, 1, key);
      },
      reset: async (key) => {
        await redis.del(key);
      },
      peek: async (key) => {
        const attempts = await redis.hget(key, "attempts");
        return attempts === null ? 0 : Number(attempts);
      },
    },
    () => false,
  );
}
