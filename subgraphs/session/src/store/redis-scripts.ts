import { FORMAT_VERSION, STORED_TOKEN_TRANSPORT } from "./redis-record";

/**
 * Lua scripts, each on ONE key (cluster-safe), each atomic. They read the flat record of redis-record.ts with cjson
 * (c createdAt; l lastSeenAt, i idleExpiresAt and a absoluteExpiresAt as offsets from c; w idleTtlMs; t transport;
 * r refreshHash; h usedRefreshHashes, absent when none); a record in another format counts as absent. Hash comparisons here are not constant-time, which
 * is safe: the values compared are SHA-256 digests of secrets, and timing cannot help an attacker invert them.
 */

/**
 * Adds one index member scored by its absolute deadline (which never moves, so sliding never rewrites the index),
 * drops members past theirs, and keeps the index alive as long as its latest member.
 * KEYS[1] index. ARGV: score (ms), member (session id), now (ms).
 */
export const INDEX_SESSION = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local ttl = math.max(1, tonumber(latest[2]) - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ttl)
return ttl
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
 * {'reused', deleted record} or {'invalid'}.
 * KEYS[1] session. ARGV: presented hash, next hash (both in storedHash form), now (ms), how many used hashes to
 * remember.
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
local used = {}
for hash in string.gmatch(record.h or '', '%S+') do used[#used + 1] = hash end
if record.r == ARGV[1] then
  used[#used + 1] = ARGV[1]
  while #used > tonumber(ARGV[4]) do table.remove(used, 1) end
  record.h = table.concat(used, ' ')
  record.r = ARGV[2]
  record.l = now - record.c
  record.i = math.min(now - record.c + record.w, record.a)
  local encoded = cjson.encode(record)
  redis.call('SET', KEYS[1], encoded, 'PX', math.max(1, record.c + record.i - now))
  return {'rotated', encoded}
end
for _, hash in ipairs(used) do
  if hash == ARGV[1] then
    redis.call('DEL', KEYS[1])
    return {'reused', text}
  end
end
return {'invalid'}
`;
