import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { DEFAULT_SHUTDOWN_GRACE_MS, type Probes } from "./health";

/** Headers that resolvers or the context function want on the HTTP response; they win over Apollo's own. */
export class ResponseHeaders {
  private readonly cookies: string[] = [];
  private readonly single = new Map<string, string>();

  /** Set-Cookie accumulates; any other header keeps its last value. */
  append(name: string, value: string): void {
    const lower = name.toLowerCase();
    if (lower === "set-cookie") this.cookies.push(value);
    else this.single.set(lower, value);
  }

  setsCookie(): boolean {
    return this.cookies.length > 0;
  }

  applyTo(res: ServerResponse): void {
    for (const [name, value] of this.single) res.setHeader(name, value);
    if (this.cookies.length > 0) res.setHeader("set-cookie", this.cookies);
  }
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** An early answer (status and JSON body) that ends a request before its body is read. */
export interface EarlyAnswer {
  status: number;
  body: unknown;
}

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  server: ApolloServer<TContext>;
  context: (req: IncomingMessage, responseHeaders: ResponseHeaders) => Promise<TContext>;
  /** Exact-path routes served beside /graphql, such as /health. */
  routes?: Record<string, RouteHandler>;
  graphqlPath?: string;
  maxBodyBytes?: number;
  /** Looks at the request head before any of the body is read; an answer ends the request (and its connection). */
  beforeBody?: (req: IncomingMessage) => Promise<EarlyAnswer | null>;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

class PayloadTooLargeError extends Error {}

/** Thrown when the client went away before its body arrived: nothing to answer and nothing to log as an error. */
export class ClientAbortedError extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? 0) > limit) {
      reject(new PayloadTooLargeError());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData);
      reject(new PayloadTooLargeError());
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => reject(new ClientAbortedError()));
    req.on("close", () => {
      if (!req.complete) reject(new ClientAbortedError());
    });
  });
}

/**
 * Answers and closes the connection. The rest of the body is discarded, never kept, so the client can still read
 * the answer instead of a reset; the request deadline bounds how long that may go on.
 */
function answerAndClose(res: ServerResponse, status: number, body: unknown): void {
  const { req } = res;
  req.resume();
  res.shouldKeepAlive = false;
  // Node's request deadline no longer applies once the answer is sent: a client that stalls the rest of its body
  // would keep the connection for ever.
  res.once("finish", () => {
    if (req.complete) return;
    const timer = setTimeout(() => req.socket.destroy(), DISCARD_GRACE_MS);
    timer.unref();
    req.socket.once("close", () => clearTimeout(timer));
  });
  sendJson(res, status, body, { connection: "close" });
}

/** How long a refused request may go on sending the body nobody reads, so its client can still read the answer. */
const DISCARD_GRACE_MS = 2000;

const PAYLOAD_TOO_LARGE = {
  errors: [{ message: "Request body too large", extensions: { code: "PAYLOAD_TOO_LARGE" } }],
};

/** A request target that is not a valid path (`//[`) is the client's mistake, not a server error. */
function parseTarget(target: string | undefined): URL | null {
  try {
    return new URL(target ?? "/", "http://localhost");
  } catch {
    return null;
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Adds to Vary instead of replacing it: CORS's `Origin` and the ETag's `Cookie, Authorization` must all stay. */
function mergeVary(res: ServerResponse, value: string): void {
  const existing = res.getHeader("vary");
  const names = [...(Array.isArray(existing) ? existing : existing === undefined ? [] : [String(existing)]), value]
    .flatMap((entry) => entry.split(","))
    .map((name) => name.trim())
    .filter((name) => name !== "");
  const unique = new Map(names.map((name) => [name.toLowerCase(), name]));
  res.setHeader("vary", [...unique.values()].join(", "));
}

function toHeaderMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return headers;
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === "") return undefined;
  if (contentType?.toLowerCase().startsWith("application/json")) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** A plain node:http handler for an Apollo Server, so each service controls its own routes and response headers. */
export function createGraphQLHttpHandler<TContext extends BaseContext>(options: GraphQLHttpOptions<TContext>) {
  const graphqlPath = options.graphqlPath ?? "/graphql";
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = parseTarget(req.url);
    if (url === null) {
      return answerAndClose(res, 400, {
        errors: [{ message: "Malformed request target", extensions: { code: "BAD_REQUEST" } }],
      });
    }
    const route = options.routes?.[url.pathname];
    if (route) return route(req, res);
    if (url.pathname !== graphqlPath) return sendJson(res, 404, { errors: [{ message: "Not found" }] });

    const early = await options.beforeBody?.(req);
    if (early) return answerAndClose(res, early.status, early.body);
    let bodyText: string;
    try {
      bodyText = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) return answerAndClose(res, 413, PAYLOAD_TOO_LARGE);
      if (error instanceof ClientAbortedError) return;
      throw error;
    }
    const responseHeaders = new ResponseHeaders();
    const response = await options.server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: (req.method ?? "GET").toUpperCase(),
        headers: toHeaderMap(req),
        search: url.search,
        body: parseBody(bodyText, req.headers["content-type"]),
      },
      context: () => options.context(req, responseHeaders),
    });
    for (const [name, value] of response.headers) {
      if (name === "vary") mergeVary(res, value);
      else res.setHeader(name, value);
    }
    responseHeaders.applyTo(res);
    res.statusCode = response.status ?? 200;
    if (res.statusCode === 304) {
      res.end();
      return;
    }
    if (response.body.kind === "complete") {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  /** Drains: stops accepting, lets in-flight requests finish (up to the shutdown grace), then closes the rest. */
  close(): Promise<void>;
}

/** How a service is probed and how it stops. */
export interface Lifecycle {
  /** Answers /health and /ready before the handler sees them; fails readiness as soon as close() starts. */
  probes?: Probes;
  /** In-flight requests get this long to finish after close() starts; then their connections are cut. */
  shutdownGraceMs: number;
}

/** Time and connection bounds of one listening service: no client may hold memory or sockets for long. */
export interface EdgeLimits {
  /** The whole request head must arrive within this (Node answers 408 and closes). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (Node answers 408 and closes). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections past this many are closed as they arrive. */
  maxConnections: number;
  /** An `Expect: 100-continue` request declaring a larger body gets 413 instead of 100 Continue. */
  maxBodyBytes: number;
}

export const DEFAULT_EDGE_LIMITS: EdgeLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  // Above the 60 s idle timeout of common load balancers, so they never reuse a connection this side closed.
  keepAliveTimeoutMs: 65_000,
  maxConnections: 1024,
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
};

/**
 * Listens on host:port (port 0 picks a free one) and answers 500 without detail if a handler throws.
 * Bounded at the edge (see EdgeLimits): headers and whole-request deadlines, a connection cap, no 100 Continue
 * for a body over the limit.
 */
export function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  port: number,
  host = "127.0.0.1",
  onError: (error: unknown) => void = () => {},
  /** Larger request heads get Node's own 431 before any handler runs. */
  maxHeaderSize = 16 * 1024,
  edgeLimits: Partial<EdgeLimits> = {},
  lifecycle: Partial<Lifecycle> = {},
): Promise<RunningServer> {
  const limits = { ...DEFAULT_EDGE_LIMITS, ...edgeLimits };
  const { probes, shutdownGraceMs = DEFAULT_SHUTDOWN_GRACE_MS } = lifecycle;
  let draining = false;
  // Responses not yet ended, so a drain can tell each one to close its connection when it is done.
  const inFlight = new Set<ServerResponse>();
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    // During a drain every answer closes its connection: a keep-alive client reconnects to another replica.
    if (draining) res.shouldKeepAlive = false;
    if (probes?.answer(req, res)) return;
    inFlight.add(res);
    res.once("close", () => inFlight.delete(res));
    handler(req, res).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent)
        sendJson(res, 500, {
          errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }],
        });
      else res.destroy();
    });
  };
  const server = createServer(
    {
      maxHeaderSize,
      // Node refuses a headers deadline later than the whole request's.
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      requestTimeout: limits.requestTimeoutMs,
      // Node checks both deadlines only this often (30 s by default).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    serve,
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  // With a listener here Node no longer answers 100 Continue by itself (other expectations still get its 417).
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers["content-length"] ?? 0) > limits.maxBodyBytes) {
      answerAndClose(res, 413, PAYLOAD_TOO_LARGE);
      return;
    }
    res.writeContinue();
    serve(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const displayHost = host.includes(":") ? `[${host}]` : host;
      resolve({
        server,
        port: address.port,
        url: `http://${displayHost}:${address.port}`,
        close: () => {
          probes?.markStopping();
          draining = true;
          for (const res of inFlight) {
            res.shouldKeepAlive = false;
            // Its head already went out saying keep-alive: end the connection once the body is done.
            if (res.headersSent) res.once("finish", () => res.socket?.end());
          }
          return new Promise<void>((done) => {
            const cut = setTimeout(() => server.closeAllConnections(), shutdownGraceMs);
            // Stops accepting and closes idle keep-alive connections; calls back once the busy ones have ended.
            server.close(() => {
              clearTimeout(cut);
              done();
            });
          });
        },
      });
    });
  });
}
