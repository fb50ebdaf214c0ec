import { readFileSync } from "node:fs";
import path from "node:path";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { gql } from "graphql-tag";
import { resolvers } from "./resolvers";

/** schema.graphql at the package root is the single source: composition reads the same file. */
export const SCHEMA_PATH = path.resolve(__dirname, "../schema.graphql");

export function buildDocumentsSchema() {
  return buildSubgraphSchema([{ typeDefs: gql(readFileSync(SCHEMA_PATH, "utf8")), resolvers }]);
}
