import { SESSION_EVENTS_CHANNEL, type SessionEvent } from "@fedsession/session-client";
import {
  createLogger,
  createRedisClient,
  EnvReader,
  listen,
  loadKeyMaterial,
  type Env,
  type Logger,
  closeRedisClient,
  createReplicatedWriter,
  runAsProcess,
  withReplicatedWrites,
  type StartedService,
} from "@fedsession/runtime";
import { readConfig } from "./config";
import { startHeartbeat } from "./heartbeat";
import { createSessionServer } from "./server";
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

export async function start(env: Env = process.env, logger: Logger = createLogger("session")): Promise<StartedService> {
  const config = readConfig(env);
  const material = await loadKeyMaterial(new EnvReader(env));
  const clock = () => new Date();
  const { maxSessionsPerUser } = config;
  const redis = config.redis && createRedisClient(config.redis);
  const writer = config.redis && createReplicatedWriter(config.redis);
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
  const stopHeartbeat = redis ? startHeartbeat(publish, logger) : () => {};
  const notes = redis ? [] : ["session store: in-memory (development only; sessions end when the process stops)"];
  try {
    const { handler, stop } = await createSessionServer({
      store,
      material,
      clock,
      logger,
      production: config.production,
      idleTtlSeconds: config.idleTtlSeconds,
      absoluteTtlSeconds: config.absoluteTtlSeconds,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    });
    const running = await listen(handler, config.port, config.host, (error) =>
      logger.error("request_failed", { message: error instanceof Error ? error.message : String(error) }),
    );
    return {
      url: `${running.url}/graphql`,
      notes,
      close: async () => {
        stopHeartbeat();
        await running.close();
        await stop();
        if (redis) await closeRedisClient(redis);
        if (writer) await closeRedisClient(writer.client);
      },
    };
  } catch (error) {
    stopHeartbeat();
    redis?.disconnect();
    writer?.client.disconnect();
    throw error;
  }
}

if (require.main === module) {
  const logger = createLogger("session");
  runAsProcess(() => start(process.env, logger), logger);
}
