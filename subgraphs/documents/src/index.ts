export { readConfig, type DocumentsConfig } from "./config";
export { start } from "./main";
export { SUBGRAPH_NAME, createDocumentsServer, type DocumentsServer, type DocumentsServerOptions } from "./server";
export type { DocumentRecord, DocumentStore } from "./store/document-store";
export { createMemoryDocumentStore } from "./store/memory";
export { createRedisDocumentStore } from "./store/redis";
