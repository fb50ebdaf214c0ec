export * from "./authorization";
export * from "./context-token";
export * from "./headers";
export * from "./identity";
export * from "./request";
export * from "./service-token";
export * from "./subgraph-server";
