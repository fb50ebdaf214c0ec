import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";

export const ROOT = path.resolve(__dirname, "..");
export const SUPERGRAPH_CONFIG_PATH = path.join(ROOT, "supergraph.yaml");

export interface SubgraphEntry {
  name: string;
  routingUrl: string;
  /** Absolute path of the subgraph's schema.graphql. */
  schemaFile: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The subgraphs listed in supergraph.yaml (Rover's format), checked entry by entry. */
export async function readSubgraphEntries(configPath = SUPERGRAPH_CONFIG_PATH): Promise<SubgraphEntry[]> {
  const config: unknown = parseYaml(await readFile(configPath, "utf8"));
  const subgraphs = isRecord(config) ? config.subgraphs : undefined;
  if (!isRecord(subgraphs) || Object.keys(subgraphs).length === 0)
    throw new Error(`${configPath}: no subgraphs listed`);
  return Object.entries(subgraphs).map(([name, entry]) => {
    const schema = isRecord(entry) ? entry.schema : undefined;
    const file = isRecord(schema) ? schema.file : undefined;
    const routingUrl = isRecord(entry) ? entry.routing_url : undefined;
    if (typeof routingUrl !== "string" || typeof file !== "string")
      throw new Error(`${configPath}: subgraph "${name}" needs routing_url and schema.file`);
    return { name, routingUrl, schemaFile: path.resolve(path.dirname(configPath), file) };
  });
}
