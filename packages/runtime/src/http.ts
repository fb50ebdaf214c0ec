import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";

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

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  server: ApolloServer<TContext>;
  context: (req: IncomingMessage, responseHeaders: ResponseHeaders) => Promise<TContext>;
  /** Exact-path routes served beside /graphql, such as /health. */
  routes?: Record<string, RouteHandler>;
  graphqlPath?: string;
  maxBodyBytes?: number;
}

class PayloadTooLargeError extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? 0) > limit) {
      req.resume();
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
      // Keep draining without keeping, so the 413 can still be written to an intact socket.
      req.off("data", onData);
      req.resume();
      reject(new PayloadTooLargeError());
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
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
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = options.routes?.[url.pathname];
    if (route) return route(req, res);
    if (url.pathname !== graphqlPath) return sendJson(res, 404, { errors: [{ message: "Not found" }] });

    let bodyText: string;
    try {
      bodyText = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) {
        return sendJson(res, 413, {
          errors: [{ message: "Request body too large", extensions: { code: "PAYLOAD_TOO_LARGE" } }],
        });
      }
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
    for (const [name, value] of response.headers) res.setHeader(name, value);
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
  close(): Promise<void>;
}

/** Listens on host:port (port 0 picks a free one) and answers 500 without detail if a handler throws. */
export function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  port: number,
  host = "127.0.0.1",
  onError: (error: unknown) => void = () => {},
  /** Larger request heads get Node's own 431 before any handler runs. */
  maxHeaderSize = 16 * 1024,
): Promise<RunningServer> {
  const server = createServer({ maxHeaderSize }, (req, res) => {
    handler(req, res).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent)
        sendJson(res, 500, {
          errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }],
        });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const displayHost = host.includes(":") ? `[${host}]` : host;
      resolve({
        server,
        port: address.port,
        url: `http://${displayHost}:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
