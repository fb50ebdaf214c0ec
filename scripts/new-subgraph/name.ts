import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { readSubgraphEntries } from "../supergraph-config";

/** Names a new subgraph may not take: services and variables (`<NAME>_PORT`) the project already has. */
const RESERVED_NAMES = new Set(["gateway", "web", "redis", "metrics", "listen", "keys"]);
const MAX_NAME_LENGTH = 32;

/** Why `name` cannot be a new subgraph of the repository at `root`, or null when it can. */
export async function problemWithName(name: string | undefined, root: string): Promise<string | null> {
  if (name === undefined || name === "") return "give the new subgraph's name: pnpm new:subgraph <name>";
  if (!/^[a-z]+$/.test(name) || name.length > MAX_NAME_LENGTH)
    return `"${name}" is not a subgraph name: use 1 to ${MAX_NAME_LENGTH} lowercase letters a-z, such as invoices`;
  if (RESERVED_NAMES.has(name)) return `"${name}" is taken by a service or setting of the project; choose another name`;
  if ((await readSubgraphEntries(path.join(root, "supergraph.yaml"))).some((entry) => entry.name === name))
    return `a subgraph named "${name}" is already listed in supergraph.yaml`;
  if (existsSync(path.join(root, "subgraphs", name))) return `subgraphs/${name} already exists`;
  const manifest = await readFile(path.join(root, "package.json"), "utf8");
  if (manifest.includes(`"start:${name}"`)) return `package.json already has a start:${name} script`;
  return null;
}
