import Redis, { Cluster, type RedisOptions } from "ioredis";
import { ConfigError, type EnvReader } from "./env";

export type RedisClient = Redis | Cluster;

export type RedisConfig =
  | { kind: "single"; url: string; keyPrefix: string }
  | { kind: "cluster"; nodes: { host: string; port: number }[]; keyPrefix: string };

/** Reads REDIS_URL / REDIS_CLUSTER_NODES / REDIS_KEY_PREFIX; null means "use the in-memory stores". */
export function readRedisConfig(env: EnvReader): RedisConfig | null {
  const keyPrefix = env.string("REDIS_KEY_PREFIX", "fedsession:");
  const clusterNodes = env.list("REDIS_CLUSTER_NODES");
  if (clusterNodes.length > 0) {
    const nodes = clusterNodes.map((node) => {
      const match = /^([^:]+):(\d+)$/.exec(node);
      if (!match) throw new ConfigError("REDIS_CLUSTER_NODES", `expected host:port entries, got "${node}"`);
      return { host: match[1] as string, port: Number(match[2]) };
    });
    return { kind: "cluster", nodes, keyPrefix };
  }
  const url = env.optional("REDIS_URL");
  if (url === undefined) return null;
  if (!/^rediss?:\/\//.test(url)) throw new ConfigError("REDIS_URL", `expected redis:// or rediss://, got "${url}"`);
  return { kind: "single", url, keyPrefix };
}

/**
 * Fail fast rather than queue: a session lookup that waits on a dead Redis is worse than a quick 503, so
 * commands time out, retry at most once, and are refused while the connection is down. A command sent but never
 * answered is not sent again after a reconnect: it may have run (a lost reply), and the stores' writes are not all
 * safe to run twice; the caller gets an error and decides (refresh rotation recognises its own retry).
 */
const FAIL_FAST: RedisOptions = {
  commandTimeout: 1000,
  autoResendUnfulfilledCommands: false,
  connectTimeout: 2000,
  maxRetriesPerRequest: 1,
  enableAutoPipelining: true,
  retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
};

export function createRedisClient(config: RedisConfig): RedisClient {
  if (config.kind === "cluster") {
    return new Cluster(config.nodes, {
      keyPrefix: config.keyPrefix,
      enableAutoPipelining: true,
      redisOptions: FAIL_FAST,
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    });
  }
  return new Redis(config.url, { ...FAIL_FAST, keyPrefix: config.keyPrefix });
}

/** QUIT lets pending replies arrive; disconnect afterwards stops reconnect timers even when Redis is already gone. */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  // QUIT on a connection that is down would wait for a reconnect; there is nothing to flush then.
  if (client.status === "ready") await client.quit().catch(() => undefined);
  client.disconnect();
}
