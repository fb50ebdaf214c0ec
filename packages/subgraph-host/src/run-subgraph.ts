import type { IncomingMessage, ServerResponse } from "node:http";
import {
  createLogger,
  EnvReader,
  listen,
  loadKeyMaterial,
  Probes,
  readShutdownGraceMs,
  runAsProcess,
  type Env,
  type KeyMaterial,
  type ReadinessCheck,
  type Logger,
  type StartedService,
} from "@fedsession/runtime";

/** What every subgraph's configuration has: where it listens. */
export interface ListenConfig {
  port: number;
  host: string;
}

/** What `build` gets: the configuration read once, the key material, and a way to register clean-ups. */
export interface SubgraphStartup<TConfig> {
  config: TConfig;
  keys: KeyMaterial;
  logger: Logger;
  /**
   * Records how to release something just opened (a Redis client, a timer) and returns it. Everything recorded is
   * released in reverse order when the service closes, or at once when a later start-up step fails.
   */
  opened<T>(resource: T, release: (resource: T) => Promise<void> | void): T;
  /** Adds a readiness check (`/ready` answers 503 while it fails), such as a PING of the service's Redis. */
  readyWhen(name: string, check: ReadinessCheck): void;
}

/** A built service that does not listen yet. */
export interface BuiltSubgraph {
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Stops the GraphQL server; runs after the listener has closed. */
  stop(): Promise<void>;
  /** Lines `pnpm start` prints about this service (which store, demo accounts). */
  notes?: string[];
}

export interface SubgraphDefinition<TConfig extends ListenConfig> {
  /** The subgraph's name in supergraph.yaml; also its logger's name. */
  name: string;
  readConfig(env: Env): TConfig;
  build(startup: SubgraphStartup<TConfig>): Promise<BuiltSubgraph>;
}

type Release = () => Promise<void> | void;

/** Runs every release, newest first, even when one fails; the first failure is rethrown at the end. */
async function releaseAll(releases: Release[]): Promise<void> {
  let failure: { error: unknown } | null = null;
  for (const release of releases.splice(0).reverse()) {
    try {
      await release();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}

/**
 * The one way a subgraph starts: reads its configuration, loads the keys, builds the server, listens. Whatever was
 * opened is released when any step fails, and `close()` stops the listener first, then the server, then the rest.
 */
export async function startSubgraph<TConfig extends ListenConfig>(
  definition: SubgraphDefinition<TConfig>,
  env: Env = process.env,
  logger: Logger = createLogger(definition.name),
): Promise<StartedService> {
  const releases: Release[] = [];
  try {
    const config = definition.readConfig(env);
    const reader = new EnvReader(env);
    const keys = await loadKeyMaterial(reader);
    // Listening only once the schema and keys are loaded, so readiness needs only the checks the build adds.
    const probes = new Probes(definition.name);
    const built = await definition.build({
      config,
      keys,
      logger,
      opened: (resource, release) => {
        releases.push(() => release(resource));
        return resource;
      },
      readyWhen: (name, check) => probes.addCheck(name, check),
    });
    releases.push(() => built.stop());
    const running = await listen(
      built.handler,
      config.port,
      config.host,
      (error) =>
        logger.error("request_failed", { message: error instanceof Error ? error.message : String(error) }, error),
      undefined,
      undefined,
      { probes, shutdownGraceMs: readShutdownGraceMs(reader) },
    );
    releases.push(() => running.close());
    return { url: `${running.url}/graphql`, notes: built.notes ?? [], close: () => releaseAll(releases) };
  } catch (error) {
    // The start-up failure is the one to report; a clean-up failure after it would only hide it.
    await releaseAll(releases).catch(() => {});
    throw error;
  }
}

/**
 * `pnpm start:<name>`: starts the subgraph as its own process, logs where it listens, closes it on SIGINT/SIGTERM
 * and exits with 1 and the reason when it cannot start.
 */
export function runSubgraph<TConfig extends ListenConfig>(definition: SubgraphDefinition<TConfig>): void {
  const logger = createLogger(definition.name);
  runAsProcess(() => startSubgraph(definition, process.env, logger), logger);
}
