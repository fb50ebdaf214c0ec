import {
  EnvReader,
  createLogger,
  createRedisClient,
  listen,
  loadKeyMaterial,
  publicKeys,
  type Env,
  type Logger,
  type RedisConfig,
  closeRedisClient,
  runAsProcess,
  type StartedService,
} from "@fedsession/runtime";
import { readConfig } from "./config";
import { createDocumentsServer } from "./server";
import type { DocumentStore } from "./store/document-store";
import { createMemoryDocumentStore } from "./store/memory";
import { createRedisDocumentStore } from "./store/redis";

interface OpenedStore {
  store: DocumentStore;
  note: string;
  close(): Promise<void>;
}

function openStore(redis: RedisConfig | null): OpenedStore {
  if (redis === null) {
    return {
      store: createMemoryDocumentStore(),
      note: "documents store: in-memory (development only)",
      close: async () => {},
    };
  }
  const client = createRedisClient(redis);
  // The URL may carry a password, so the note names only the topology and the prefix.
  const where = redis.kind === "cluster" ? `Redis Cluster (${redis.nodes.length} seed nodes)` : "Redis";
  return {
    store: createRedisDocumentStore(client),
    note: `documents store: ${where}, key prefix "${redis.keyPrefix}"`,
    close: async () => {
      await closeRedisClient(client);
    },
  };
}

export async function start(
  env: Env = process.env,
  logger: Logger = createLogger("documents"),
): Promise<StartedService> {
  const config = readConfig(env);
  const keys = await loadKeyMaterial(new EnvReader(env));
  const opened = openStore(config.redis);
  try {
    const documents = await createDocumentsServer({
      store: opened.store,
      maxDocumentsPerUser: config.maxDocumentsPerUser,
      gatewayJwks: publicKeys(keys, "gateway"),
      logger,
      production: config.production,
    });
    const running = await listen(documents.handler, config.port, config.host, (error) =>
      logger.error("unhandled_request_error", { message: error instanceof Error ? error.message : String(error) }),
    ).catch(async (error: unknown) => {
      await documents.stop();
      throw error;
    });
    return {
      url: `${running.url}/graphql`,
      notes: [opened.note],
      close: async () => {
        await running.close();
        await documents.stop();
        await opened.close();
      },
    };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

if (require.main === module) {
  const logger = createLogger("documents");
  runAsProcess(() => start(process.env, logger), logger);
}
