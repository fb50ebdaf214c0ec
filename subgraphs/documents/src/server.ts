import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { buildSubgraphSchema } from "@apollo/subgraph";
import type { Logger } from "@fedsession/runtime";
import { readSubgraphSchema } from "@fedsession/subgraph-host";
import { createSubgraphServer, type SubgraphServerOptions } from "@fedsession/subgraph-kit";
import type { DocumentsContext } from "./context";
import { DEFAULT_MAX_DOCUMENTS_PER_USER } from "./limits";
import { createDocumentLoaders } from "./loaders";
import { resolvers } from "./resolvers";
import type { DocumentStore } from "./store/document-store";

/** The name in supergraph.yaml, and so the audience every gateway context for this subgraph must carry. */
export const SUBGRAPH_NAME = "documents";

const typeDefs = readSubgraphSchema(path.resolve(__dirname, ".."));

export interface DocumentsServerOptions {
  store: DocumentStore;
  /** The gateway's public keys: this service can verify contexts but never forge one. */
  gatewayJwks: SubgraphServerOptions<DocumentsContext>["gatewayJwks"];
  logger: Logger;
  production: boolean;
  clock?: () => Date;
  generateId?: () => string;
  /** MAX_DOCUMENTS_PER_USER (default 1000). */
  maxDocumentsPerUser?: number;
}

export interface DocumentsServer {
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  stop(): Promise<void>;
}

/** Builds the documents subgraph from its dependencies; the caller decides where it listens. */
export async function createDocumentsServer(options: DocumentsServerOptions): Promise<DocumentsServer> {
  const clock = options.clock ?? (() => new Date());
  const generateId = options.generateId ?? randomUUID;
  const { server, handler } = await createSubgraphServer<DocumentsContext>({
    name: SUBGRAPH_NAME,
    schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
    gatewayJwks: options.gatewayJwks,
    logger: options.logger,
    production: options.production,
    currentDate: clock,
    context: ({ identity }) => ({
      identity,
      store: options.store,
      loaders: createDocumentLoaders(options.store),
      clock,
      generateId,
      maxDocumentsPerUser: options.maxDocumentsPerUser ?? DEFAULT_MAX_DOCUMENTS_PER_USER,
    }),
  });
  return { handler, stop: () => server.stop() };
}
