import http from "node:http";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { percentile } from "./stats";

/** One HTTP request repeated by a load run: a GraphQL POST with whatever credential headers a scenario needs. */
export interface LoadTarget {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Extra headers per request, taken in turn (one session cookie or token each), so no two requests in a row share a credential. */
  variants?: Record<string, string>[];
}

/** The headers of the n-th request: the target's own plus its n-th variant, if any. */
export function headersFor(target: LoadTarget, n: number): Record<string, string> {
  const variants = target.variants;
  return variants && variants.length > 0 ? { ...target.headers, ...variants[n % variants.length] } : target.headers;
}

export interface LoadResult {
  /** Successful (2xx) responses per second. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  completed: number;
  /** Requests sent, including those still in flight when the run ended (each of them still cost the server). */
  sent: number;
  /** Connection errors, timeouts and non-2xx answers; a run with any is reported as such. */
  failures: number;
}

export function graphqlTarget(url: string, query: string, headers: Record<string, string> = {}): LoadTarget {
  return { url, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query }) };
}

/**
 * Closed loop: `connections` keep-alive connections each send the next request as soon as the last answered, so
 * the run finds the maximum throughput. Latencies come from every response (microsecond resolution) rather than
 * autocannon's whole-millisecond histogram.
 */
export async function runClosedLoop(
  target: LoadTarget,
  connections: number,
  durationSeconds: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let sent = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        method: "POST",
        headers: target.headers,
        body: target.body,
        ...(target.variants
          ? {
              requests: [
                {
                  setupRequest: (request: autocannon.Request) => ({ ...request, headers: headersFor(target, sent++) }),
                },
              ],
            }
          : {}),
        connections,
        duration: durationSeconds,
        timeout: 10,
      },
      (error: unknown, finished) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(finished),
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: result["2xx"] / result.duration,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    completed: result["2xx"],
    sent: result.requests.sent,
    failures: result.errors + result.non2xx,
  };
}

/**
 * Open loop: requests leave on a fixed schedule whatever the server does, and each latency is measured from the
 * moment its request was due, not from when a free connection sent it, so a stall shows up in full (no
 * coordinated omission).
 */
export async function runOpenLoop(
  target: LoadTarget,
  ratePerSecond: number,
  durationSeconds: number,
): Promise<LoadResult> {
  const url = new URL(target.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const contentLength = String(Buffer.byteLength(target.body));
  const total = Math.max(1, Math.round(ratePerSecond * durationSeconds));
  const intervalMs = 1000 / ratePerSecond;
  const latencies: number[] = [];
  let failures = 0;

  const send = (dueAt: number, n: number) =>
    new Promise<void>((resolve) => {
      const headers = { ...headersFor(target, n), "content-length": contentLength };
      const request = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers, agent },
        (response) => {
          response.resume();
          response.once("end", () => {
            if (response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 300) {
              latencies.push(performance.now() - dueAt);
            } else failures++;
            resolve();
          });
        },
      );
      request.once("error", () => {
        failures++;
        resolve();
      });
      request.end(target.body);
    });

  const pending: Promise<void>[] = [];
  const started = performance.now();
  await new Promise<void>((resolve) => {
    let issued = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs) + 1);
      for (; issued < due; issued++) {
        pending.push(send(started + issued * intervalMs, issued));
      }
      if (issued < total) setTimeout(tick, Math.max(0, started + issued * intervalMs - performance.now()));
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
  const elapsedSeconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: latencies.length / elapsedSeconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    completed: latencies.length,
    sent: total,
    failures,
  };
}
