import { EnvReader, type Env } from "./env";
import type { Logger } from "./log";
import { readMetricsConfig, serveMetrics } from "./metrics";
import { flushTracing } from "./tracing-flush";

/** A service that is listening: where, how to stop it, and lines the start script prints about it. */
export interface StartedService {
  url: string;
  close(): Promise<void>;
  notes: string[];
}

/**
 * Serves this process's metrics when METRICS_PORT is set. Started before the service and left open until the
 * process exits, so a scrape also sees the drain.
 */
export async function serveProcessMetrics(env: Env, logger: Logger): Promise<void> {
  const config = readMetricsConfig(new EnvReader(env));
  if (config === null) return;
  const metrics = await serveMetrics(config);
  logger.info("metrics", { url: metrics.url });
}

/**
 * Runs one service as its own process (`pnpm start:<name>`): serves its metrics (METRICS_PORT), logs where it
 * listens, closes it once on the first SIGINT or SIGTERM, and exits with 1 and the reason when it cannot start.
 */
export function runAsProcess(start: () => Promise<StartedService>, logger: Logger, env: Env = process.env): void {
  serveProcessMetrics(env, logger)
    .then(start)
    .then(
      (service) => {
        logger.info("listening", { url: service.url });
        for (const note of service.notes) logger.info("note", { note });
        let stopping = false;
        const shutdown = () => {
          if (stopping) return;
          stopping = true;
          void service
            .close()
            .then(flushTracing)
            .then(() => process.exit(0));
        };
        process.on("SIGINT", shutdown);
        process.on("SIGTERM", shutdown);
      },
      (error: unknown) => {
        logger.error("start_failed", { message: error instanceof Error ? error.message : String(error) }, error);
        process.exit(1);
      },
    );
}
