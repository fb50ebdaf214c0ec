/**
 * `pnpm start`: the whole supergraph in one process for development — every subgraph listed in supergraph.yaml, the
 * gateway, and the web app with `/graphql` on its own origin, on their configured ports. Without REDIS_URL every
 * store is in memory (development only). `pnpm dev:web` (`--dev`) serves the app from Vite's dev server instead.
 */
// First: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must wrap http and ioredis before anything loads them.
import "@fedsession/runtime/src/tracing-register";
import { ensureDevelopmentKeys, EnvReader, flushTracing, readMetricsConfig, serveMetrics } from "@fedsession/runtime";
import { startSupergraph, stopServices } from "./supergraph-services";
import { startWeb, startWebDevServer } from "./web/main";

/** The port OpenTelemetry's Prometheus exporter listens on by default; METRICS_PORT overrides it. */
const DEFAULT_METRICS_PORT = 9464;

async function main(): Promise<void> {
  const env = new EnvReader(process.env);
  if (!env.isProduction() && env.optional("KEYS_DIR") === undefined) await ensureDevelopmentKeys();
  const { services: started, gatewayUrl } = await startSupergraph(process.env);
  const stopAll = () => stopServices(started);
  try {
    const gatewayOrigin = new URL(gatewayUrl).origin;
    const startApp = process.argv.includes("--dev") ? startWebDevServer : startWeb;
    started.push({ name: "web", ...(await startApp(process.env, gatewayOrigin)) });
    // One process, one registry: every service's metrics at one address (the `service` label tells them apart).
    const metricsConfig = readMetricsConfig(env, DEFAULT_METRICS_PORT);
    if (metricsConfig) started.push({ name: "metrics", notes: [], ...(await serveMetrics(metricsConfig)) });
  } catch (error) {
    await stopAll();
    throw error;
  }
  console.log("\nfedsession is running:");
  for (const service of started) console.log(`  ${service.name.padEnd(10)} ${service.url}`);
  for (const note of new Set(started.flatMap((service) => service.notes))) console.log(`  - ${note}`);
  console.log("Open the web app URL in a browser; the gateway URL opens Apollo Sandbox. Ctrl-C stops everything.\n");
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    console.log("stopping…");
    void stopAll()
      .then(flushTracing)
      .then(() => process.exit(0));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((error: unknown) => {
  console.error(`fedsession failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
