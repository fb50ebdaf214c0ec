import type { IncomingMessage, ServerResponse } from "node:http";
import type { KitLogger } from "./logger";
import { runWithRequestContext, type RequestContext } from "./request-context";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface ObserveOptions {
  /** The service name on every request line. */
  service: string;
  logger: KitLogger;
  /** The gateway makes a fresh id; a service behind it keeps the gateway's (see incomingRequestId). */
  requestId: (req: IncomingMessage) => string;
}

/** One request an observed handler answered (probes excepted), for metrics. */
export interface FinishedRequest {
  service: string;
  /** The HTTP status, or "aborted" when the client left before the answer was sent. */
  status: number | "aborted";
  seconds: number;
  /** query, mutation or subscription, when the request was a GraphQL operation. */
  operationType: string | undefined;
}

export type RequestObserver = (request: FinishedRequest) => void;

const observers: RequestObserver[] = [];

/**
 * Tells `observer` about every request any observeRequests handler of this process answers: how a process adds its
 * metrics (the monorepo's prom-client counters) without the kit depending on a metrics library.
 */
export function onRequestFinished(observer: RequestObserver): void {
  observers.push(observer);
}

/** Probes arrive every few seconds from every orchestrator: a line each would bury the requests people look for. */
const PROBE_PATHS = new Set(["/health", "/ready"]);

function pathOf(req: IncomingMessage): string {
  const target = req.url ?? "/";
  const query = target.indexOf("?");
  return query === -1 ? target : target.slice(0, query);
}

/**
 * Runs each request in its own request context (so every log line and outgoing call carries its id); when it ends,
 * tells the onRequestFinished observers and writes one `request` line: path without the query string (which may hold
 * variables), status, duration.
 */
export function observeRequests(options: ObserveOptions, handler: RequestHandler): RequestHandler {
  const { logger } = options;
  return (req, res) => {
    const context: RequestContext = { requestId: options.requestId(req) };
    const path = pathOf(req);
    if (!PROBE_PATHS.has(path)) {
      const started = performance.now();
      res.once("close", () => {
        const status = res.writableFinished ? res.statusCode : "aborted";
        const seconds = (performance.now() - started) / 1000;
        for (const observer of observers) {
          observer({ service: options.service, status, seconds, operationType: context.operationType });
        }
        runWithRequestContext(context, () =>
          logger.info("request", {
            method: req.method,
            path,
            status,
            durationMs: Math.round(seconds * 10_000) / 10,
            operationType: context.operationType,
          }),
        );
      });
    }
    return runWithRequestContext(context, () => handler(req, res));
  };
}
