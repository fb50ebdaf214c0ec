import { DEFAULT_SHUTDOWN_GRACE_MS } from "@fedsession/subgraph-kit";
import type { EnvReader } from "./env";

/** SHUTDOWN_GRACE_MS: how long in-flight requests may finish after SIGTERM before their connections are cut. */
export function readShutdownGraceMs(reader: EnvReader): number {
  return reader.integer("SHUTDOWN_GRACE_MS", DEFAULT_SHUTDOWN_GRACE_MS, { min: 0, max: 600_000 });
}
