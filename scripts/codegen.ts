/**
 * Generates every subgraph's resolver types (GraphQL Code Generator, configured by the subgraph's codegen.ts) into
 * its src/generated/graphql.ts. `--check` writes nothing and fails when a committed file differs from a fresh run.
 */
import { readFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { generate } from "@graphql-codegen/cli";
import type { CodegenConfig } from "@graphql-codegen/cli";
import { readSubgraphEntries, ROOT } from "./supergraph-config";

function isCodegenConfig(value: unknown): value is CodegenConfig {
  return typeof value === "object" && value !== null && "generates" in value;
}

async function subgraphConfig(packageRoot: string): Promise<CodegenConfig> {
  const file = path.join(packageRoot, "codegen.ts");
  const loaded: unknown = (await import(file)).default;
  if (!isCodegenConfig(loaded)) throw new Error(`${file}: the default export must be a codegen configuration`);
  return loaded;
}

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const stale: string[] = [];
  let written = 0;
  for (const { schemaFile } of await readSubgraphEntries()) {
    const packageRoot = path.dirname(schemaFile);
    const outputs = await generate({ ...(await subgraphConfig(packageRoot)), silent: true }, false);
    for (const { filename, content } of outputs) {
      const shown = path.relative(ROOT, filename);
      const committed = await readFile(filename, "utf8").catch(() => null);
      if (committed === content) continue;
      if (check) {
        stale.push(shown);
        continue;
      }
      await mkdir(path.dirname(filename), { recursive: true });
      await writeFile(filename, content);
      console.log(`wrote ${shown}`);
      written++;
    }
  }
  if (stale.length > 0) {
    console.error(`stale generated types: ${stale.join(", ")}; run \`pnpm codegen\` and commit the result`);
    process.exit(1);
  }
  if (check || written === 0) console.log("generated resolver types are up to date");
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
