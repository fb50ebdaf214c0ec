import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { onRequestFinished } from "@fedsession/subgraph-kit";
import { collectDefaultMetrics, Counter, Gauge, Histogram, register } from "prom-client";
import type { EnvReader } from "./env";

/**
 * Every metric the project exports, in the process-wide prom-client registry: one process serves one `/metrics`,
 * whether it runs one service or (`pnpm start`) all of them; the `service` label tells HTTP series apart.
 */

/** From 0.5 ms: a lookup answered by one Redis round trip on a local network takes about a millisecond. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export type LookupOutcome = "session" | "ended" | "error" | "cache_hit";

export const sessionLookupDuration = new Histogram({
  name: "fedsession_session_lookup_duration_seconds",
  help: "Gateway session lookups by outcome: session (live), ended (unknown or ended), error (503), cache_hit",
  labelNames: ["outcome"] as const,
  buckets: LATENCY_BUCKETS,
});

export const sessionLookups = new Counter({
  name: "fedsession_session_lookups_total",
  help: "Gateway session lookups by outcome: session, ended, error, cache_hit",
  labelNames: ["outcome"] as const,
});

export const sessionBatchSize = new Histogram({
  name: "fedsession_session_batch_size",
  help: "Distinct credentials per batched call from the gateway to the session service",
  buckets: [1, 2, 4, 8, 16, 32, 64, 128],
});

export const sessionCacheEvents = new Counter({
  name: "fedsession_session_cache_events_total",
  help: "Gateway session cache: eviction (entries dropped by a session event), clear, subscription_up, subscription_down",
  labelNames: ["event"] as const,
});

export const sessionCacheEntries = new Gauge({
  name: "fedsession_session_cache_entries",
  help: "Resolved sessions held by the gateway session cache (SESSION_CACHE=on)",
});

export const logins = new Counter({
  name: "fedsession_logins_total",
  help: "Login attempts in the auth service by outcome: success, failure, throttled",
  labelNames: ["outcome"] as const,
});

export const bcryptQueueWait = new Histogram({
  name: "fedsession_bcrypt_queue_wait_seconds",
  help: "Time a password hash or compare waited for a bcrypt slot in the auth service",
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

export const httpRequests = new Counter({
  name: "fedsession_http_requests_total",
  help: "HTTP requests answered, by service, status class and GraphQL operation type (probes not counted)",
  labelNames: ["service", "status_class", "operation_type"] as const,
});

export const httpRequestDuration = new Histogram({
  name: "fedsession_http_request_duration_seconds",
  help: "HTTP request duration, by service, status class and GraphQL operation type (probes not counted)",
  labelNames: ["service", "status_class", "operation_type"] as const,
  buckets: LATENCY_BUCKETS,
});

export const redisErrors = new Counter({
  name: "fedsession_redis_errors_total",
  help: "Errors reported by the Redis connections (connection lost, refused, timed out)",
});

/** "2xx" … "5xx"; "aborted" when the client left before the answer was sent. */
export function statusClass(status: number | "aborted"): string {
  return status === "aborted" ? "aborted" : `${Math.floor(status / 100)}xx`;
}

export interface MetricsConfig {
  port: number;
  host: string;
}

/**
 * METRICS_PORT / METRICS_HOST. A single service serves metrics only when METRICS_PORT is set (four services on one
 * machine cannot share a default port); `pnpm start` passes 9464. Unset, the process records no per-request metrics
 * either (see metricsRecording). Loopback unless METRICS_HOST says otherwise: metrics name internal details nobody
 * outside should read.
 */
export function readMetricsConfig(reader: EnvReader, defaultPort?: number): MetricsConfig | null {
  const port = reader.optional("METRICS_PORT") === undefined ? defaultPort : reader.port("METRICS_PORT", 0);
  if (port === undefined) return null;
  return { port, host: reader.string("METRICS_HOST", "127.0.0.1") };
}

let recording = false;

/**
 * Whether this process records its per-request metrics: only once it serves them (serveMetrics), so a process
 * nobody can scrape (METRICS_PORT unset) pays nothing per request for them.
 */
export function metricsRecording(): boolean {
  return recording;
}

/** Serves the registry as Prometheus text at GET /metrics, with Node's default metrics; recording starts here. */
export async function serveMetrics(config: MetricsConfig): Promise<{ url: string; close(): Promise<void> }> {
  if (!recording) {
    recording = true;
    collectDefaultMetrics();
    // Every service's requests (observeRequests, in the kit) are counted here, whichever services the process runs.
    onRequestFinished(({ service, status, seconds, operationType }) => {
      const labels = { service, status_class: statusClass(status), operation_type: operationType ?? "none" };
      httpRequests.inc(labels);
      httpRequestDuration.observe(labels, seconds);
    });
  }
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || req.url?.split("?", 1)[0] !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    register.metrics().then(
      (text) => res.writeHead(200, { "content-type": register.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The name of every metric this process exports (Node's defaults once serveMetrics has run). */
export async function exportedMetricNames(): Promise<string[]> {
  return (await register.getMetricsAsJSON()).map((metric) => metric.name);
}
