import { createRedisClient, type RedisClient, type RedisConfig, type ReplicaWait } from "./redis";

/** Fewer replicas than REDIS_WAIT_REPLICAS confirmed a write in time: it is on the primary, but not acknowledged. */
export class ReplicationShortfall extends Error {
  constructor(wait: ReplicaWait, acknowledged: number) {
    super(`${acknowledged} of ${wait.replicas} replicas confirmed the write within ${wait.timeoutMs} ms`);
    this.name = "ReplicationShortfall";
  }
}

/** A connection of its own for writes, and the WAIT that follows them on it. */
export interface ReplicatedWriter {
  client: RedisClient;
  /** Resolves once every write sent so far on `client` reached the replicas; throws ReplicationShortfall if not. */
  waitForReplicas(): Promise<void>;
}

/**
 * Null unless REDIS_WAIT_REPLICAS is set. WAIT blocks the connection it runs on until the replicas answer, so it
 * gets a connection of its own: the session lookups on the shared one never queue behind it.
 */
export function createReplicatedWriter(config: RedisConfig): ReplicatedWriter | null {
  if (config.kind === "cluster" || config.replicaWait === undefined) return null;
  const wait = config.replicaWait;
  const client = createRedisClient(config);
  return {
    client,
    async waitForReplicas() {
      const acknowledged = await client.wait(wait.replicas, wait.timeoutMs);
      if (acknowledged < wait.replicas) throw new ReplicationShortfall(wait, acknowledged);
    },
  };
}

type AsyncMethodName<T> = {
  [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof T];

/**
 * `reads` with the named methods taken from `writes` (the same store on the writer's connection), each resolving
 * only after waitForReplicas: the caller is told a write succeeded once the replicas hold it.
 */
export function withReplicatedWrites<T extends object>(
  reads: T,
  writes: T,
  methods: readonly AsyncMethodName<T>[],
  writer: ReplicatedWriter,
): T {
  const combined = { ...reads };
  for (const name of methods) {
    const write = writes[name] as (...args: unknown[]) => Promise<unknown>;
    const replicated = async (...args: unknown[]) => {
      const result = await write.apply(writes, args);
      await writer.waitForReplicas();
      return result;
    };
    combined[name] = replicated as T[typeof name];
  }
  return combined;
}
