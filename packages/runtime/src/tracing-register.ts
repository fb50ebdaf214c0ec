/**
 * Imported first by each service's entry point, before Node's http module and ioredis are used, so their
 * instrumentation can wrap them. Does nothing unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
import path from "node:path";
import { EnvReader } from "./env";
import type * as TracingModule from "./tracing";

// OTEL_SERVICE_NAME names the service; else the entry point's folder (gateway, subgraphs/<name>) or `pnpm start`.
function serviceName(): string {
  const entry = process.argv[1] ?? "";
  const match = /(?:^|[\\/])(gateway|subgraphs[\\/][^\\/]+)[\\/]/.exec(entry);
  return match ? path.basename(match[1] as string) : "fedsession";
}

const env = new EnvReader(process.env);
if (env.optional("OTEL_EXPORTER_OTLP_ENDPOINT") !== undefined) {
  // Loaded only when asked for (the SDK costs about 300 ms of start-up), and synchronously: an import() would
  // finish after the services had loaded http and ioredis unwrapped.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tracing: typeof TracingModule = require("./tracing");
  tracing.startTracing(env.optional("OTEL_SERVICE_NAME") ?? serviceName(), process.env);
}
