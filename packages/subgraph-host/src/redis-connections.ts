import {
  closeRedisClient,
  createRedisClient,
  createReplicatedWriter,
  type RedisClient,
  type RedisConfig,
  type ReplicatedWriter,
} from "@fedsession/runtime";
import type { SubgraphStartup } from "./run-subgraph";

export interface RedisConnections {
  redis: RedisClient;
  /** The writer's own connection and its WAIT, with REDIS_WAIT_REPLICAS; null without. */
  writer: ReplicatedWriter | null;
}

/**
 * Opens a subgraph's Redis connection and, when writes must wait for replicas, the writer's own: both released by
 * the start-up on failure or close, and both checked by `/ready`, because acknowledged writes go through the
 * writer and a service whose writes cannot be confirmed is not ready.
 */
export function openRedisConnections(
  config: RedisConfig,
  { opened, readyWhen }: Pick<SubgraphStartup<unknown>, "opened" | "readyWhen">,
): RedisConnections {
  const redis = opened(createRedisClient(config), closeRedisClient);
  readyWhen("redis", () => redis.ping());
  const writer = createReplicatedWriter(config);
  if (writer !== null) {
    opened(writer.client, closeRedisClient);
    readyWhen("redis-writer", () => writer.client.ping());
  }
  return { redis, writer };
}
