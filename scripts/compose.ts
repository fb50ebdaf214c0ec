/**
 * Composes supergraph.yaml (Rover's config format) into supergraph.graphql with @apollo/composition.
 * `--check` fails when the committed supergraph.graphql differs from a fresh composition.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import { readSubgraphEntries, ROOT } from "./supergraph-config";

export const SUPERGRAPH_SDL_PATH = path.join(ROOT, "supergraph.graphql");

/** supergraph.graphql as composing the subgraphs of supergraph.yaml gives it now. */
export async function compose(): Promise<string> {
  const services = await Promise.all(
    (await readSubgraphEntries()).map(async ({ name, routingUrl, schemaFile }) => ({
      name,
      url: routingUrl,
      typeDefs: parse(await readFile(schemaFile, "utf8"), { noLocation: false }),
    })),
  );
  const result = composeServices(services);
  if (result.errors) {
    const lines = result.errors.map((error) => `  - ${error.extensions?.code ?? "ERROR"}: ${error.message}`);
    throw new Error(`composition failed with ${result.errors.length} error(s):\n${lines.join("\n")}`);
  }
  return result.supergraphSdl.trimEnd() + "\n";
}

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const composed = await compose();
  if (check) {
    const committed = await readFile(SUPERGRAPH_SDL_PATH, "utf8").catch(() => "");
    if (committed !== composed) {
      console.error("supergraph.graphql is stale: run `pnpm compose` and commit the result");
      process.exit(1);
    }
    console.log("supergraph.graphql is up to date");
    return;
  }
  await writeFile(SUPERGRAPH_SDL_PATH, composed);
  console.log(`wrote ${path.relative(process.cwd(), SUPERGRAPH_SDL_PATH) || SUPERGRAPH_SDL_PATH}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
