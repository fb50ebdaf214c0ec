// First: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must wrap http and ioredis before anything loads them.
import "@fedsession/runtime/src/tracing-register";
import cluster from "node:cluster";
import { readFile } from "node:fs/promises";
import {
  EnvReader,
  closeRedisClient,
  createLogger,
  createRedisClient,
  importSigningKey,
  listen,
  loadKeyMaterial,
  Probes,
  flushTracing,
  serveProcessMetrics,
  publicKeys,
  type Env,
  type Logger,
  type StartedService,
} from "@fedsession/runtime";
import {
  SESSION_EVENTS_CHANNEL,
  createAccessTokenVerifier,
  createSessionServiceClient,
} from "@fedsession/session-client";
import { readConfig } from "./config";
import { landingPagePlugin } from "./landing-page";
import { createGatewayServer } from "./server";
import { SessionCache } from "./session-cache";
import { gatewayWorkers, runPrimary } from "./workers";

export async function start(env: Env = process.env, logger: Logger = createLogger("gateway")): Promise<StartedService> {
  const config = readConfig(env);
  const keys = await loadKeyMaterial(new EnvReader(env));
  const signingKey = await importSigningKey(keys, "gateway");
  const sessions = createSessionServiceClient({
    baseUrl: config.sessionServiceUrl,
    from: "gateway",
    signingKey,
    timeoutMs: config.sessionLookupTimeoutMs,
  });
  const subscriber = config.sessionCache && createRedisClient(config.sessionCache);
  const sessionCache =
    subscriber && config.sessionCache
      ? await SessionCache.start({
          subscriber,
          channel: `${config.sessionCache.keyPrefix}${SESSION_EVENTS_CHANNEL}`,
          logger,
        })
      : undefined;
  const gateway = await createGatewayServer({
    config,
    supergraphSdl: await readFile(config.supergraphPath, "utf8"),
    signingKey,
    publicJwks: publicKeys(keys, "gateway"),
    sessions,
    verifyAccessToken: createAccessTokenVerifier({ jwks: publicKeys(keys, "session") }),
    sessionCache,
    logger,
    plugins: [landingPagePlugin(config.production)],
  });
  // Listening only once the supergraph and keys are loaded, so readiness needs only the session cache's Redis.
  const probes = new Probes("gateway");
  if (subscriber) probes.addCheck("redis", () => subscriber.ping());
  const running = await listen(
    gateway.handler,
    config.port,
    config.host,
    (error) =>
      logger.error(
        "unhandled_request_error",
        { message: error instanceof Error ? error.message : String(error) },
        error,
      ),
    config.maxHeaderBytes,
    config.edge,
    { probes, shutdownGraceMs: config.shutdownGraceMs },
  );
  return {
    url: `${running.url}/graphql`,
    notes: [
      `cookie: ${config.cookie.name}${config.cookie.secure ? " (Secure)" : " (not Secure: development)"}`,
      ...(sessionCache ? ["session cache: on (evicted by the session service's Redis events)"] : []),
    ],
    close: async () => {
      await running.close();
      await gateway.stop();
      sessions.close();
      if (subscriber) await closeRedisClient(subscriber);
    },
  };
}

function runWorker(announce: (url: string) => void): void {
  const logger = createLogger("gateway");
  // With GATEWAY_WORKERS > 1 the workers share METRICS_PORT like the gateway port: each scrape reads one worker.
  serveProcessMetrics(process.env, logger)
    .then(() => start(process.env, logger))
    .then(
      (service) => {
        announce(service.url);
        const stop = () =>
          void service
            .close()
            .then(flushTracing)
            .then(() => process.exit(0));
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      },
      (error: unknown) => {
        console.error(`gateway failed to start: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
}

if (require.main === module) {
  const workers = gatewayWorkers(process.env);
  if (workers === 1) runWorker((url) => console.log(`gateway ready at ${url}`));
  else if (cluster.isPrimary) runPrimary(workers, (line) => console.log(line));
  else runWorker((url) => process.send?.({ ready: url }));
}
