/**
 * `pnpm new:subgraph <name>`: a new subgraph in one command. Writes subgraphs/<name>/ (schema with
 * `<name>Hello: String! @authenticated`, resolvers typed by generated types, a memory store, config, start-up via
 * runSubgraph, a conformance test), registers it in supergraph.yaml on the next free port from 4004, recomposes
 * supergraph.graphql, adds `start:<name>`, the Dockerfile and docker-compose.yml entries, and links it with
 * `pnpm install`. `pnpm start` (which starts every subgraph of supergraph.yaml) then serves the field.
 */
import { spawnSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import * as prettier from "prettier";
import { compose, SUPERGRAPH_SDL_PATH } from "../compose";
import { writeSubgraphTypes } from "../codegen";
import { readSubgraphEntries, ROOT, SUPERGRAPH_CONFIG_PATH } from "../supergraph-config";
import {
  addDockerComposeService,
  addDockerfileManifest,
  addStartScript,
  nextFreePort,
  registerInSupergraph,
} from "./register";
import { problemWithName } from "./name";
import { subgraphFiles, subgraphNames } from "./templates";

class UsageError extends Error {}

/** Formats what the generator wrote the way `pnpm lint` (prettier --check) expects. */
async function formatFiles(files: string[]): Promise<void> {
  for (const file of files) {
    const options = await prettier.resolveConfig(file);
    const text = await readFile(file, "utf8");
    await writeFile(file, await prettier.format(text, { ...options, filepath: file }));
  }
}

/**
 * The same pnpm that runs this script (npm_execpath), so the workspace's pinned version links the package. The new
 * package is a new importer, so the lockfile must change: pnpm defaults to a frozen lockfile when CI is set.
 */
function pnpmInstall(): void {
  const pnpm = process.env.npm_execpath;
  const [command, args] =
    pnpm && /pnpm/.test(path.basename(pnpm)) ? [process.execPath, [pnpm]] : ["pnpm", [] as string[]];
  const result = spawnSync(command, [...args, "install", "--prefer-offline", "--no-frozen-lockfile"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error("pnpm install failed; run it yourself, then `pnpm start`");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((arg) => arg !== "--");
  const name = args[0];
  const problem =
    args.length > 1 ? "give exactly one name: pnpm new:subgraph <name>" : await problemWithName(name, ROOT);
  if (problem !== null || name === undefined) throw new UsageError(problem ?? "no name");

  const names = subgraphNames(name, nextFreePort((await readSubgraphEntries()).map((entry) => entry.routingUrl)));
  // Every edit of an existing file is prepared before anything is written, so a file whose layout the generator
  // does not recognise stops it with the repository untouched.
  const edits: [string, (text: string) => string][] = [
    [SUPERGRAPH_CONFIG_PATH, (text) => registerInSupergraph(text, names)],
    [path.join(ROOT, "package.json"), (text) => addStartScript(text, names)],
    [path.join(ROOT, "Dockerfile"), (text) => addDockerfileManifest(text, names)],
    [path.join(ROOT, "docker-compose.yml"), (text) => addDockerComposeService(text, names)],
  ];
  const edited = await Promise.all(
    edits.map(async ([file, edit]) => [file, edit(await readFile(file, "utf8"))] as const),
  );

  const packageRoot = path.join(ROOT, "subgraphs", name);
  const created: string[] = [];
  for (const [relative, content] of Object.entries(subgraphFiles(names))) {
    const file = path.join(packageRoot, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content, { flag: "wx" });
    created.push(file);
  }
  for (const [file, text] of edited) await writeFile(file, text);
  await formatFiles([...created, SUPERGRAPH_CONFIG_PATH, path.join(ROOT, "package.json")]);
  await writeSubgraphTypes(packageRoot);
  await writeFile(SUPERGRAPH_SDL_PATH, await compose());
  pnpmInstall();

  console.log(`
subgraphs/${name} is ready on port ${names.port} (${names.portVariable}):
  - supergraph.yaml lists it and supergraph.graphql is recomposed
  - pnpm start serves { ${name}Hello } through the gateway; pnpm start:${name} starts it alone
  - pnpm test runs its conformance suite (subgraphs/${name}/test/conformance.test.ts)
  - Dockerfile and docker-compose.yml have a "${name}" service (the gateway reaches it at SUBGRAPH_URL_${name.toUpperCase()})
Edit subgraphs/${name}/schema.graphql, then run pnpm codegen and pnpm compose, and commit everything.`);
}

main().catch((error: unknown) => {
  console.error(`new:subgraph: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
