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

/** The files the subgraph's codegen.ts describes, generated in memory. */
export async function generateSubgraphTypes(packageRoot: string): Promise<{ filename: string; content: string }[]> {
  return generate({ ...(await subgraphConfig(packageRoot)), silent: true }, false);
}

/** Writes the generated files that differ from what is on disk; returns the paths written. */
export async function writeSubgraphTypes(packageRoot: string): Promise<string[]> {
  const written: string[] = [];
  for (const { filename, content } of await generateSubgraphTypes(packageRoot)) {
    if ((await readFile(filename, "utf8").catch(() => null)) === content) continue;
    await mkdir(path.dirname(filename), { recursive: true });
    await writeFile(filename, content);
    written.push(filename);
  }
  return written;
}

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const stale: string[] = [];
  let written = 0;
  for (const { schemaFile } of await readSubgraphEntries()) {
    const packageRoot = path.dirname(schemaFile);
    if (!check) {
      for (const filename of await writeSubgraphTypes(packageRoot)) {
        console.log(`wrote ${path.relative(ROOT, filename)}`);
        written++;
      }
      continue;
    }
    for (const { filename, content } of await generateSubgraphTypes(packageRoot)) {
      if ((await readFile(filename, "utf8").catch(() => null)) !== content) stale.push(path.relative(ROOT, filename));
    }
  }
  if (stale.length > 0) {
    console.error(`stale generated types: ${stale.join(", ")}; run \`pnpm codegen\` and commit the result`);
    process.exit(1);
  }
  if (check || written === 0) console.log("generated resolver types are up to date");
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
