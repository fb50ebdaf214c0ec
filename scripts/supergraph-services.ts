import path from "node:path";
import type { Env, StartedService } from "@fedsession/runtime";
import { start as startGateway } from "../gateway/src/main";
import { readSubgraphEntries, type SubgraphEntry } from "./supergraph-config";

export interface RunningService extends StartedService {
  name: string;
}

type StartFunction = (env: Env) => Promise<StartedService>;

function isStartModule(value: unknown): value is { start: StartFunction } {
  return typeof value === "object" && value !== null && "start" in value && typeof value.start === "function";
}

/** A subgraph's `start(env)`, exported by src/main.ts beside its schema.graphql (the layout every subgraph has). */
async function loadStart({ name, schemaFile }: SubgraphEntry): Promise<StartFunction> {
  const file = path.join(path.dirname(schemaFile), "src", "main");
  const loaded: unknown = await import(file);
  if (!isStartModule(loaded)) throw new Error(`${file}.ts: subgraph "${name}" must export start(env)`);
  return loaded.start;
}

/**
 * Every subgraph listed in supergraph.yaml, in its order there, then the gateway, all in this process. Each service
 * is told where the ones before it actually listen (SESSION_URL for auth and the gateway, SUBGRAPH_URL_<NAME> for
 * the gateway), so a port set to 0 works too. On failure, whatever started is closed again.
 */
export async function startSupergraph(env: Env): Promise<{ services: RunningService[]; gatewayUrl: string }> {
  const started: RunningService[] = [];
  const wiring: Record<string, string> = {};
  try {
    for (const entry of await readSubgraphEntries()) {
      const start = await loadStart(entry);
      const service = await start({ ...env, ...wiring });
      started.push({ name: entry.name, ...service });
      const origin = new URL(service.url).origin;
      wiring[`SUBGRAPH_URL_${entry.name.toUpperCase()}`] = origin;
      if (entry.name === "session") wiring.SESSION_URL = origin;
    }
    const gateway = await startGateway({ ...env, ...wiring });
    started.push({ name: "gateway", ...gateway });
    return { services: started, gatewayUrl: gateway.url };
  } catch (error) {
    await stopServices(started);
    throw error;
  }
}

/** Closes services newest first; one that fails to close does not keep the others open. */
export async function stopServices(services: RunningService[]): Promise<void> {
  for (const service of [...services].reverse()) await service.close().catch(() => {});
}
