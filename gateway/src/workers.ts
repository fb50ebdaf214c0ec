import cluster from "node:cluster";
import { EnvReader, type Env } from "@fedsession/runtime";

/**
 * GATEWAY_WORKERS > 1 forks that many gateway processes sharing one port (node:cluster). The gateway keeps no
 * state of its own, so workers need no coordination; the primary only relays signals and restarts nobody.
 */
export function gatewayWorkers(env: Env): number {
  return new EnvReader(env).integer("GATEWAY_WORKERS", 1, { min: 1, max: 64 });
}

export function runPrimary(workers: number, log: (line: string) => void): void {
  let ready = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("message", (_worker, message: unknown) => {
    if (typeof message === "object" && message !== null && "ready" in message && ++ready === workers) {
      log(`gateway ready at ${(message as { ready: string }).ready} (${workers} workers)`);
    }
  });
  cluster.on("exit", (worker, code, signal) => {
    if (signal !== "SIGINT" && signal !== "SIGTERM" && code !== 0) {
      log(`gateway worker ${worker.process.pid} exited (${signal ?? code}); stopping`);
      process.exitCode = 1;
      for (const other of Object.values(cluster.workers ?? {})) other?.kill("SIGTERM");
    }
  });
  const stop = (signal: NodeJS.Signals) => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}
