import type { Logger } from "./log";

/** A service that is listening: where, how to stop it, and lines the start script prints about it. */
export interface StartedService {
  url: string;
  close(): Promise<void>;
  notes: string[];
}

/**
 * Runs one service as its own process (`pnpm start:<name>`): logs where it listens, closes it once on the first
 * SIGINT or SIGTERM, and exits with 1 and the reason when it cannot start.
 */
export function runAsProcess(start: () => Promise<StartedService>, logger: Logger): void {
  start().then(
    (service) => {
      logger.info("listening", { url: service.url });
      for (const note of service.notes) logger.info("note", { note });
      let stopping = false;
      const shutdown = () => {
        if (stopping) return;
        stopping = true;
        void service.close().then(() => process.exit(0));
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
