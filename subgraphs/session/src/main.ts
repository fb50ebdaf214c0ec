// First: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must wrap http and ioredis before anything loads them.
import "@fedsession/runtime/src/tracing-register";
import { SESSION_EVENTS_CHANNEL, type SessionEvent } from "@fedsession/session-client";
import { createLogger, withReplicatedWrites, type Env, type Logger, type StartedService } from "@fedsession/runtime";
import { openRedisConnections, runSubgraph, startSubgraph, type SubgraphDefinition } from "@fedsession/subgraph-host";
import { readConfig, type SessionConfig } from "./config";
import { startHeartbeat } from "./heartbeat";
import { createSessionServer, SUBGRAPH_NAME } from "./server";
import { createMemorySessionStore } from "./store/memory";
import { withSessionEvents } from "./store/invalidating";
import { createRedisSessionStore } from "./store/redis";
import type { SessionStore } from "./store/session-store";

const SESSION_WRITES = [
  "create",
  "delete",
  "deleteByUser",
  "updatePermissionsByUser",
  "rotateRefresh",
  "setData",
] as const satisfies readonly (keyof SessionStore)[];

export const sessionSubgraph: SubgraphDefinition<SessionConfig> = {
  name: SUBGRAPH_NAME,
  readConfig,
  build: async ({ config, keys, logger, opened, readyWhen }) => {
    const clock = () => new Date();
    const { maxSessionsPerUser } = config;
    const { redis, writer } = config.redis
      ? openRedisConnections(config.redis, { opened, readyWhen })
      : { redis: null, writer: null };
    // Every write a caller is told about waits for the replicas (REDIS_WAIT_REPLICAS); the slide does not need to.
    const replicated = (store: SessionStore) =>
      writer
        ? withReplicatedWrites(
            store,
            createRedisSessionStore(writer.client, { now: clock, maxSessionsPerUser }),
            SESSION_WRITES,
            writer,
          )
        : store;
    // With Redis, gateways may cache resolves; they learn of every ended or changed session from these events.
    const channel = `${config.redis?.keyPrefix ?? ""}${SESSION_EVENTS_CHANNEL}`;
    const publish = async (event: SessionEvent) => {
      await redis?.publish(channel, JSON.stringify(event));
    };
    const store: SessionStore = redis
      ? withSessionEvents(replicated(createRedisSessionStore(redis, { now: clock, maxSessionsPerUser })), publish)
      : createMemorySessionStore(clock, { maxSessionsPerUser });
    if (redis) opened(startHeartbeat(publish, logger), (stopHeartbeat) => stopHeartbeat());
    const server = await createSessionServer({
      store,
      material: keys,
      clock,
      logger,
      production: config.production,
      idleTtlSeconds: config.idleTtlSeconds,
      absoluteTtlSeconds: config.absoluteTtlSeconds,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    });
    const notes = redis ? [] : ["session store: in-memory (development only; sessions end when the process stops)"];
    return { ...server, notes };
  },
};

export function start(env: Env = process.env, logger: Logger = createLogger(SUBGRAPH_NAME)): Promise<StartedService> {
  return startSubgraph(sessionSubgraph, env, logger);
}

if (require.main === module) runSubgraph(sessionSubgraph);
