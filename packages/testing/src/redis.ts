import { randomUUID } from "node:crypto";
import Redis, { Cluster } from "ioredis";
import { createRedisClient, type RedisClient, type RedisConfig } from "@fedsession/runtime";

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
/** Set by `pnpm test:cluster`: run every Redis suite against a real Redis Cluster instead. */
export const TEST_REDIS_CLUSTER_NODES = process.env.TEST_REDIS_CLUSTER_NODES ?? "";

const HOW_TO_START =
  'start one with: redis-server --daemonize yes --port 6379 --save "" --appendonly no (or set TEST_REDIS_URL)';

/** A real Redis connection for one test file, under a key prefix of its own; fails loudly when Redis is down. */
export interface TestRedis {
  client: RedisClient;
  /** A plain client without the prefix, to look at what the store really wrote. */
  raw: RedisClient;
  /** The raw client when it is a single server (commands such as MONITOR exist only there); null on a cluster. */
  single: Redis | null;
  keyPrefix: string;
  /** What a service needs to reach the same Redis: REDIS_URL or REDIS_CLUSTER_NODES, plus REDIS_KEY_PREFIX. */
  env: Record<string, string>;
  /** Every key under this file's prefix, with the prefix. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

function clusterSeeds(): { host: string; port: number }[] {
  return TEST_REDIS_CLUSTER_NODES.split(",")
    .filter((node) => node !== "")
    .map((node) => {
      const [host = "127.0.0.1", port = "0"] = node.split(":");
      return { host, port: Number(port) };
    });
}

async function scanAll(node: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return found;
}

export async function connectTestRedis(): Promise<TestRedis> {
  const seeds = clusterSeeds();
  const where =
    seeds.length > 0 ? `the Redis Cluster at ${TEST_REDIS_CLUSTER_NODES}` : `a real Redis at ${TEST_REDIS_URL}`;
  const raw: RedisClient =
    seeds.length > 0
      ? new Cluster(seeds, { lazyConnect: true, clusterRetryStrategy: () => null })
      : new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await raw.connect();
    await raw.ping();
  } catch (error) {
    raw.disconnect();
    throw new Error(`These tests need ${where} and could not reach it (${(error as Error).message}); ${HOW_TO_START}`);
  }
  const keyPrefix = `test:${randomUUID().slice(0, 8)}:`;
  const config: RedisConfig =
    seeds.length > 0
      ? { kind: "cluster", nodes: seeds, keyPrefix }
      : { kind: "single", url: TEST_REDIS_URL, keyPrefix };
  const client = createRedisClient(config);
  const keys = async () => {
    const nodes = raw instanceof Cluster ? raw.nodes("master") : [raw];
    return (await Promise.all(nodes.map((node) => scanAll(node, `${keyPrefix}*`)))).flat();
  };
  return {
    client,
    raw,
    single: raw instanceof Cluster ? null : raw,
    keyPrefix,
    env:
      seeds.length > 0
        ? { REDIS_CLUSTER_NODES: TEST_REDIS_CLUSTER_NODES, REDIS_KEY_PREFIX: keyPrefix }
        : { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: keyPrefix },
    keys,
    close: async () => {
      // One DEL per key: on a cluster a multi-key DEL across slots is refused.
      await Promise.all((await keys()).map((key) => raw.del(key)));
      client.disconnect();
      raw.disconnect();
    },
  };
}
