import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { importSigningKey, publicKeys, type KeyMaterial, type Logger } from "@fedsession/runtime";
import { readSubgraphSchema } from "@fedsession/subgraph-host";
import { createSubgraphServer } from "@fedsession/subgraph-kit";
import { createAudit } from "./audit";
import type { SessionContext } from "./context";
import { createInternalRoutes } from "./internal-routes";
import { resolvers } from "./resolvers";
import { createSessionService } from "./sessions";
import type { SessionStore } from "./store/session-store";

export const SUBGRAPH_NAME = "session";
const typeDefs = readSubgraphSchema(path.resolve(__dirname, ".."));

export interface SessionServerOptions {
  store: SessionStore;
  material: KeyMaterial;
  clock: () => Date;
  logger: Logger;
  production: boolean;
  idleTtlSeconds: number;
  absoluteTtlSeconds: number;
  accessTokenTtlSeconds: number;
  random?: (size: number) => Buffer;
}

export interface SessionServer {
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  stop(): Promise<void>;
}

/** The session subgraph (GraphQL at /graphql, internal routes beside it), built from injected parts; does not listen. */
export async function createSessionServer(options: SessionServerOptions): Promise<SessionServer> {
  const sessions = createSessionService({
    store: options.store,
    clock: options.clock,
    random: options.random,
    idleTtlSeconds: options.idleTtlSeconds,
    absoluteTtlSeconds: options.absoluteTtlSeconds,
    accessTokenKey: await importSigningKey(options.material, "session"),
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
  });
  const audit = createAudit(options.logger);
  const { server, handler } = await createSubgraphServer<SessionContext>({
    name: SUBGRAPH_NAME,
    schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
    gatewayJwks: publicKeys(options.material, "gateway"),
    context: ({ identity, client, responseHeaders }) => ({ identity, client, sessions, audit, responseHeaders }),
    logger: options.logger,
    production: options.production,
    routes: createInternalRoutes({
      sessions,
      material: options.material,
      logger: options.logger,
      audit,
      absoluteTtlSeconds: options.absoluteTtlSeconds,
      currentDate: options.clock,
    }),
    currentDate: options.clock,
  });
  return { handler, stop: () => server.stop() };
}
