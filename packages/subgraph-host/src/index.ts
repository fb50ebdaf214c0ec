export * from "./run-subgraph";
export * from "./schema-file";
