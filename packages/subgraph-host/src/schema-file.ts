import { readFileSync } from "node:fs";
import path from "node:path";
import { parse, type DocumentNode } from "graphql";

/**
 * The `schema.graphql` at a subgraph's package root, parsed. It is the one source of the subgraph's SDL: composition
 * (supergraph.yaml), code generation (codegen.ts) and the running server all read this same file.
 */
export function readSubgraphSchema(packageRoot: string): DocumentNode {
  return parse(readFileSync(path.join(packageRoot, "schema.graphql"), "utf8"));
}
