export * from "./run-subgraph";
export * from "./schema-file";
export * from "./redis-connections";
