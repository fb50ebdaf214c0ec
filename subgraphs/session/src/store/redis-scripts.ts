import { FORMAT_VERSION, STORED_TOKEN_TRANSPORT } from "./redis-record";
import { INITIAL_EPOCH } from "./session-store";

/**
 * Lua scripts, each on keys of ONE hash tag (cluster-safe), each atomic. They read the flat record of redis-record.ts with cjson
 * (c createdAt; l lastSeenAt, i idleExpiresAt and a absoluteExpiresAt as offsets from c; w idleTtlMs; t transport;
 * r refreshHash; q/o the latest rotation); a record in another format counts as absent. Hash comparisons here are not constant-time, which
 * is safe: the values compared are SHA-256 digests of secrets, and timing cannot help an attacker invert them.
 */

/**
 * Lists a freshly written session in its user's index, unless a revoke-all of the user ran since the creator read
 * the epoch: then it answers false and the caller deletes the session it wrote. Members are scored by their
 * absolute deadline (which never moves, so sliding never rewrites the index); members past theirs are dropped, and
 * the index lives as long as its latest member. Past the per-user cap it answers the oldest members (never the new
 * one) for the caller to end.
 * KEYS[1] index, KEYS[2] epoch (same hash tag). ARGV: expected epoch, score (ms), member (session id), now (ms), cap.
 */
export const CONFIRM_SESSION = `
if (redis.call('GET', KEYS[2]) or '${INITIAL_EPOCH}') ~= ARGV[1] then return false end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[4])
local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(latest[2]) - tonumber(ARGV[4])))
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[5])
local evicted = {}
if excess <= 0 then return evicted end
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, excess)) do
  if id ~= ARGV[3] and #evicted < excess then evicted[#evicted + 1] = id end
end
return evicted
`;

/**
 * The first step of a revoke-all: moves the user's epoch on (so no create that read the old one can finish) and
 * copies the index into a snapshot the caller then empties page by page. Sessions created after this step are not
 * in the snapshot, so a revoke-all never ends a session that began after it.
 * KEYS[1] index, KEYS[2] epoch, KEYS[3] snapshot (all one hash tag). ARGV: now (ms), epoch TTL (ms), snapshot TTL
 * (ms), 1 to move the epoch on or 0 not to (a permission update walks the index the same way).
 */
export const SNAPSHOT_INDEX = `
if ARGV[4] == '1' then
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('ZUNIONSTORE', KEYS[3], 1, KEYS[1])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return redis.call('ZCARD', KEYS[3])
`;

/**
 * Replaces some fields of a live record; returns the new record, or false when it is absent or expired.
 * KEYS[1] session. ARGV: now (ms), a JSON object of the stored fields to replace, the new TTL in ms or '' to keep the TTL.
 */
export const PATCH_SESSION = `
local text = redis.call('GET', KEYS[1])
if not text then return false end
local record = cjson.decode(text)
if record.v ~= ${FORMAT_VERSION} or record.c + math.min(record.i, record.a) <= tonumber(ARGV[1]) then
  return false
end
for field, value in pairs(cjson.decode(ARGV[2])) do record[field] = value end
local encoded = cjson.encode(record)
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], encoded, 'XX', 'KEEPTTL')
else
  redis.call('SET', KEYS[1], encoded, 'XX', 'PX', ARGV[3])
end
return encoded
`;

/**
 * Refresh rotation (the memory store's rotateRefresh, step for step). Returns {'rotated', new record},
 * {'reused' | 'exhausted', deleted record} or {'invalid'}. Used hashes live in their own set, kept until the
 * session's absolute deadline, so reuse detection never forgets within a session's life; a legacy `h` field is
 * moved there. `q`/`o` remember the latest rotation, so its exact retry within the grace rotates again.
 * KEYS[1] session, KEYS[2] used hashes (same hash tag). ARGV: presented hash, next hash (both in storedHash form),
 * now (ms), most rotations allowed, retry grace (ms).
 */
export const ROTATE_REFRESH = `
local text = redis.call('GET', KEYS[1])
if not text then return {'invalid'} end
local record = cjson.decode(text)
local now = tonumber(ARGV[3])
if record.v ~= ${FORMAT_VERSION} or record.t ~= '${STORED_TOKEN_TRANSPORT}'
  or record.c + math.min(record.i, record.a) <= now then
  return {'invalid'}
end
if record.h then
  for hash in string.gmatch(record.h, '%S+') do redis.call('SADD', KEYS[2], hash) end
  record.h = nil
end
local retry = record.q == ARGV[1] and record.o ~= nil and record.c + record.o + tonumber(ARGV[5]) >= now
if record.r == ARGV[1] or retry then
  if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[4]) then
    redis.call('DEL', KEYS[1], KEYS[2])
    return {'exhausted', text}
  end
  redis.call('SADD', KEYS[2], record.r)
  redis.call('PEXPIRE', KEYS[2], math.max(1, record.c + record.a - now))
  if not retry then
    record.q = ARGV[1]
    record.o = now - record.c
  end
  record.r = ARGV[2]
  record.l = now - record.c
  record.i = math.min(now - record.c + record.w, record.a)
  local encoded = cjson.encode(record)
  redis.call('SET', KEYS[1], encoded, 'PX', math.max(1, record.c + record.i - now))
  return {'rotated', encoded}
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'reused', text}
end
return {'invalid'}
`;
