import type Redis from "ioredis";

/** Commands that only read data; anything else a service sends counts as a write (the conservative side). */
const READ_COMMANDS = new Set([
  "get",
  "mget",
  "getex_ro",
  "exists",
  "ttl",
  "pttl",
  "type",
  "strlen",
  "zrange",
  "zrangebyscore",
  "zrevrange",
  "zrevrangebyscore",
  "zscore",
  "zmscore",
  "zcard",
  "zcount",
  "zrank",
  "hget",
  "hmget",
  "hgetall",
  "hexists",
  "hlen",
  "smembers",
  "sismember",
  "scard",
  "lrange",
  "llen",
  "scan",
  "evalsha_ro",
  "eval_ro",
]);
/** The benchmark's and the clients' own housekeeping, not work done for a request. */
const HOUSEKEEPING = new Set([
  "info",
  "ping",
  "client",
  "config",
  "select",
  "hello",
  "command",
  "dbsize",
  "memory",
  "quit",
]);

export type CommandCounts = Map<string, number>;

export async function commandCounts(redis: Redis): Promise<CommandCounts> {
  const counts: CommandCounts = new Map();
  for (const line of (await redis.info("commandstats")).split("\n")) {
    const match = /^cmdstat_([a-z_|]+):calls=(\d+)/.exec(line.trim());
    if (match) counts.set(match[1] as string, Number(match[2]));
  }
  return counts;
}

export interface CommandDelta {
  calls: number;
  writes: number;
  byCommand: Record<string, number>;
}

export function commandDelta(before: CommandCounts, after: CommandCounts): CommandDelta {
  const delta: CommandDelta = { calls: 0, writes: 0, byCommand: {} };
  for (const [command, calls] of after) {
    const difference = calls - (before.get(command) ?? 0);
    if (difference <= 0 || HOUSEKEEPING.has(command)) continue;
    delta.byCommand[command] = difference;
    delta.calls += difference;
    if (!READ_COMMANDS.has(command)) delta.writes += difference;
  }
  return delta;
}

export async function usedMemory(redis: Redis): Promise<number> {
  const match = /used_memory:(\d+)/.exec(await redis.info("memory"));
  if (!match) throw new Error("INFO memory has no used_memory");
  return Number(match[1]);
}

/** Deletes every key under the prefix: SCAN, never KEYS, so a shared Redis is not blocked. */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    if (keys.length > 0) deleted += await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
  return deleted;
}
