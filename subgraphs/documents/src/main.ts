// First: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must wrap http and ioredis before anything loads them.
import "@fedsession/runtime/src/tracing-register";
import {
  closeRedisClient,
  createLogger,
  createRedisClient,
  publicKeys,
  type Env,
  type Logger,
  type StartedService,
} from "@fedsession/runtime";
import { runSubgraph, startSubgraph, type SubgraphDefinition, type SubgraphStartup } from "@fedsession/subgraph-host";
import { readConfig, type DocumentsConfig } from "./config";
import { createDocumentsServer, SUBGRAPH_NAME } from "./server";
import { createMemoryDocumentStore } from "./store/memory";
import { createRedisDocumentStore } from "./store/redis";

/** The Redis store when configured, else the in-memory one; the note says which without the URL (it may hold a password). */
function openStore(
  { redis }: DocumentsConfig,
  { opened, readyWhen }: Pick<SubgraphStartup<DocumentsConfig>, "opened" | "readyWhen">,
) {
  if (redis === null) {
    return { store: createMemoryDocumentStore(), note: "documents store: in-memory (development only)" };
  }
  const where = redis.kind === "cluster" ? `Redis Cluster (${redis.nodes.length} seed nodes)` : "Redis";
  const client = opened(createRedisClient(redis), closeRedisClient);
  readyWhen("redis", () => client.ping());
  return {
    store: createRedisDocumentStore(client),
    note: `documents store: ${where}, key prefix "${redis.keyPrefix}"`,
  };
}

export const documentsSubgraph: SubgraphDefinition<DocumentsConfig> = {
  name: SUBGRAPH_NAME,
  readConfig,
  build: async ({ config, keys, logger, opened, readyWhen }) => {
    const { store, note } = openStore(config, { opened, readyWhen });
    const server = await createDocumentsServer({
      store,
      maxDocumentsPerUser: config.maxDocumentsPerUser,
      gatewayJwks: publicKeys(keys, "gateway"),
      logger,
      production: config.production,
    });
    return { ...server, notes: [note] };
  },
};

export function start(env: Env = process.env, logger: Logger = createLogger(SUBGRAPH_NAME)): Promise<StartedService> {
  return startSubgraph(documentsSubgraph, env, logger);
}

if (require.main === module) runSubgraph(documentsSubgraph);
