import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import { createRedisClient, type RedisClient } from "@fedsession/runtime";

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

const HOW_TO_START =
  'start one with: redis-server --daemonize yes --port 6379 --save "" --appendonly no (or set TEST_REDIS_URL)';

/** A real Redis connection for one test file, under a key prefix of its own; fails loudly when Redis is down. */
export interface TestRedis {
  client: RedisClient;
  /** A plain client without the prefix, to look at what the store really wrote. */
  raw: Redis;
  keyPrefix: string;
  url: string;
  /** Every key under this file's prefix, with the prefix. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

export async function connectTestRedis(): Promise<TestRedis> {
  const raw = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await raw.connect();
    await raw.ping();
  } catch (error) {
    raw.disconnect();
    throw new Error(
      `These tests need a real Redis at ${TEST_REDIS_URL} and could not reach it (${(error as Error).message}); ${HOW_TO_START}`,
    );
  }
  const keyPrefix = `test:${randomUUID().slice(0, 8)}:`;
  const client = createRedisClient({ kind: "single", url: TEST_REDIS_URL, keyPrefix });
  const keys = async () => {
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await raw.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    return found;
  };
  return {
    client,
    raw,
    keyPrefix,
    url: TEST_REDIS_URL,
    keys,
    close: async () => {
      const leftovers = await keys();
      if (leftovers.length > 0) await raw.del(...leftovers);
      client.disconnect();
      raw.disconnect();
    },
  };
}
