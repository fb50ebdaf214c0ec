import { readFileSync } from "node:fs";
import Redis, { Cluster, type RedisOptions } from "ioredis";
import { ConfigError, type EnvReader } from "./env";
import { redisErrors } from "./metrics";

export type RedisClient = Redis | Cluster;

export interface RedisNode {
  host: string;
  port: number;
}

/**
 * WAIT after a write a client is told about: the write is acknowledged only once `replicas` replicas hold it, so a
 * failover cannot promote a replica that never saw it (REDIS_WAIT_REPLICAS, REDIS_WAIT_TIMEOUT_MS).
 */
export interface ReplicaWait {
  replicas: number;
  timeoutMs: number;
}

/** An ACL user (REDIS_USERNAME) and its password (REDIS_PASSWORD or REDIS_PASSWORD_FILE); unset: the default user. */
export interface RedisCredentials {
  username?: string;
  password?: string;
}

export type RedisConfig =
  | ({ kind: "single"; url: string; keyPrefix: string; replicaWait?: ReplicaWait } & RedisCredentials)
  | ({ kind: "cluster"; nodes: RedisNode[]; keyPrefix: string } & RedisCredentials)
  | {
      kind: "sentinel";
      username?: string;
      /** Sentinel seeds; ioredis asks them for the current primary, and again after every failover. */
      sentinels: RedisNode[];
      /** The primary's name in the Sentinels' configuration (`sentinel monitor <name> …`). */
      name: string;
      password?: string;
      sentinelPassword?: string;
      keyPrefix: string;
      replicaWait?: ReplicaWait;
    };

function readNodes(env: EnvReader, variable: string): RedisNode[] {
  return env.list(variable).map((node) => {
    const match = /^([^:]+):(\d+)$/.exec(node);
    if (!match) throw new ConfigError(variable, `expected host:port entries, got "${node}"`);
    return { host: match[1] as string, port: Number(match[2]) };
  });
}

/**
 * The WAIT must be shorter than the command timeout, or the client would give up on a WAIT that Redis still
 * honours. Redis Cluster is refused: WAIT counts the replicas of the one node it runs on, not of the key's node.
 */
function readReplicaWait(env: EnvReader, clustered: boolean): ReplicaWait | undefined {
  const replicas = env.integer("REDIS_WAIT_REPLICAS", 0, { min: 0, max: 16 });
  if (replicas === 0) return undefined;
  if (clustered) throw new ConfigError("REDIS_WAIT_REPLICAS", "is not supported with REDIS_CLUSTER_NODES");
  return { replicas, timeoutMs: env.integer("REDIS_WAIT_TIMEOUT_MS", 500, { min: 10, max: 900 }) };
}

/**
 * Reads REDIS_SENTINELS / REDIS_CLUSTER_NODES / REDIS_URL (first one set wins, in that order), REDIS_KEY_PREFIX and
 * the WAIT settings; null means "use the in-memory stores".
 */
export function readRedisConfig(env: EnvReader): RedisConfig | null {
  const keyPrefix = env.string("REDIS_KEY_PREFIX", "fedsession:");
  const sentinels = readNodes(env, "REDIS_SENTINELS");
  if (sentinels.length > 0) {
    const name = env.optional("REDIS_SENTINEL_NAME");
    if (name === undefined) throw new ConfigError("REDIS_SENTINEL_NAME", "required with REDIS_SENTINELS");
    const sentinelPassword = env.optional("REDIS_SENTINEL_PASSWORD");
    return {
      kind: "sentinel",
      sentinels,
      name,
      ...readCredentials(env),
      ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
      keyPrefix,
      ...withReplicaWait(readReplicaWait(env, false)),
    };
  }
  const nodes = readNodes(env, "REDIS_CLUSTER_NODES");
  if (nodes.length > 0) {
    readReplicaWait(env, true);
    return { kind: "cluster", nodes, keyPrefix, ...readCredentials(env) };
  }
  const url = env.optional("REDIS_URL");
  if (url === undefined) return null;
  if (!/^rediss?:\/\//.test(url)) throw new ConfigError("REDIS_URL", `expected redis:// or rediss://, got "${url}"`);
  return { kind: "single", url, keyPrefix, ...readCredentials(env), ...withReplicaWait(readReplicaWait(env, false)) };
}

/** The password comes from a file where a deployment mounts it as a secret (docker-compose.yml), never from git. */
function readCredentials(env: EnvReader): RedisCredentials {
  const username = env.optional("REDIS_USERNAME");
  const file = env.optional("REDIS_PASSWORD_FILE");
  let password = env.optional("REDIS_PASSWORD");
  if (file !== undefined) {
    if (password !== undefined)
      throw new ConfigError("REDIS_PASSWORD_FILE", "set either it or REDIS_PASSWORD, not both");
    try {
      password = readFileSync(file, "utf8").trim();
    } catch (error) {
      throw new ConfigError("REDIS_PASSWORD_FILE", `cannot read ${file}: ${(error as Error).message}`);
    }
    if (password === "") throw new ConfigError("REDIS_PASSWORD_FILE", `${file} is empty`);
  }
  return {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
}

const withReplicaWait = (replicaWait: ReplicaWait | undefined) => (replicaWait === undefined ? {} : { replicaWait });

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

/**
 * A demoted primary answers writes with READONLY until the connection moves: reconnecting asks the Sentinels for
 * the new primary (1: reconnect without resending, so the failed command fails once and the next one succeeds).
 */
const reconnectWhenDemoted = (error: Error) => (error.message.startsWith("READONLY") ? 1 : false);

const credentialsOf = ({ username, password }: RedisCredentials): RedisCredentials => ({
  ...(username === undefined ? {} : { username }),
  ...(password === undefined ? {} : { password }),
});

/** Every client counts its errors in fedsession_redis_errors_total (and so no longer prints them unhandled). */
export function createRedisClient(config: RedisConfig): RedisClient {
  const client = connect(config);
  client.on("error", () => redisErrors.inc());
  return client;
}

function connect(config: RedisConfig): RedisClient {
  if (config.kind === "cluster") {
    return new Cluster(config.nodes, {
      keyPrefix: config.keyPrefix,
      enableAutoPipelining: true,
      redisOptions: { ...FAIL_FAST, ...credentialsOf(config) },
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    });
  }
  if (config.kind === "sentinel") {
    return new Redis({
      ...FAIL_FAST,
      sentinels: config.sentinels,
      name: config.name,
      role: "master",
      ...credentialsOf(config),
      ...(config.sentinelPassword === undefined ? {} : { sentinelPassword: config.sentinelPassword }),
      // No failoverDetector: in ioredis 5.11 its disconnect on +switch-master, landing while a reconnect is asking a
      // Sentinel for the primary, makes that connect reject, which ends the client for good ("Connection is closed."
      // from then on). Clients move anyway when the old primary drops them: at once when it dies, and when Sentinel
      // reconfigures a demoted primary (it kills its clients then); each reconnect asks the Sentinels.
      sentinelRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      reconnectOnError: reconnectWhenDemoted,
      keyPrefix: config.keyPrefix,
    });
  }
  // Credentials in the URL itself (redis://user:password@host) take precedence over these.
  return new Redis(config.url, { ...FAIL_FAST, ...credentialsOf(config), keyPrefix: config.keyPrefix });
}

/** QUIT lets pending replies arrive; disconnect afterwards stops reconnect timers even when Redis is already gone. */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  // QUIT on a connection that is down would wait for a reconnect; there is nothing to flush then.
  if (client.status === "ready") await client.quit().catch(() => undefined);
  client.disconnect();
}
