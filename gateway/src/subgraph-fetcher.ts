import http from "node:http";
import https from "node:https";
import type { RemoteGraphQLDataSource } from "@apollo/gateway";

type DataSourceOptions = NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>;
export type Fetcher = NonNullable<DataSourceOptions["fetcher"]>;
type FetcherResponse = Awaited<ReturnType<Fetcher>>;
type FetcherHeaders = FetcherResponse["headers"];

/** The response headers a subgraph sent, read-only in practice; names are case-insensitive as in fetch. */
class ResponseHeaders implements FetcherHeaders {
  private readonly map = new Map<string, string>();

  constructor(headers: http.IncomingHttpHeaders) {
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) this.map.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
  }

  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const current = this.map.get(key);
    this.map.set(key, current === undefined ? value : `${current}, ${value}`);
  }
  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), value);
  }
  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  values(): IterableIterator<string> {
    return this.map.values();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.map.entries();
  }
}

/** A subgraph's whole answer, already read: @apollo/gateway reads it once as JSON or text. */
class BufferedResponse implements FetcherResponse {
  bodyUsed = false;
  readonly redirected = false;
  readonly ok: boolean;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    readonly headers: ResponseHeaders,
    private readonly body: Buffer,
  ) {
    this.ok = status >= 200 && status < 300;
  }

  async text(): Promise<string> {
    this.bodyUsed = true;
    return this.body.toString("utf8");
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    const copy = new Uint8Array(this.body.byteLength);
    copy.set(this.body);
    return copy.buffer;
  }
  clone(): BufferedResponse {
    return new BufferedResponse(this.url, this.status, this.statusText, this.headers, this.body);
  }
}

/** The subgraph fetch failed before a whole answer arrived. */
export class SubgraphFetchFailed extends Error {
  constructor(reason: string) {
    super(`subgraph fetch failed: ${reason}`);
    this.name = "SubgraphFetchFailed";
  }
}

/** The connection failed (refused, reset) or the answer did not come in time: the subgraph may answer a retry. */
export class SubgraphUnreachable extends SubgraphFetchFailed {
  constructor(reason: string) {
    super(reason);
    this.name = "SubgraphUnreachable";
  }
}

/**
 * The gateway's fetcher for subgraph calls: node:http on keep-alive connections, the body read into one buffer.
 * @apollo/gateway's default (make-fetch-happen on @npmcli/agent) cost ~300 µs of gateway CPU per fetch in the
 * benchmark's profile, much of it agent-base building an Error and reading its stack on every request to learn
 * whether the endpoint is secure. An answer past `maxBytes` or slower than `timeoutMs` fails the fetch. Nothing
 * is retried, as with the default (`retry: false`).
 */
export function createSubgraphFetcher(options: { maxBytes: number; timeoutMs: number }) {
  const agents = {
    "http:": new http.Agent({ keepAlive: true }),
    "https:": new https.Agent({ keepAlive: true }),
  };
  const fetcher: Fetcher = (url, init = {}) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === "https:";
      if (!secure && target.protocol !== "http:") {
        reject(new SubgraphFetchFailed(`unsupported protocol ${target.protocol}`));
        return;
      }
      const body = init.body === undefined ? undefined : Buffer.from(init.body);
      const request = (secure ? https : http).request(target, {
        method: init.method ?? "GET",
        agent: agents[secure ? "https:" : "http:"],
        headers: body === undefined ? init.headers : { ...init.headers, "content-length": String(body.length) },
      });
      // Settled once: a destroyed exchange may still report an error or an end after it failed.
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        // A socket's own error (ECONNREFUSED, ECONNRESET) means the subgraph is unreachable.
        reject(error instanceof SubgraphFetchFailed ? error : new SubgraphUnreachable(error.message));
        request.destroy();
      };
      const deadline = setTimeout(() => fail(new SubgraphUnreachable("timed out")), options.timeoutMs);
      request.on("error", fail);
      request.once("response", (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) fail(new SubgraphFetchFailed("answer too large"));
          else chunks.push(chunk);
        });
        response.on("error", fail);
        response.once("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          const status = response.statusCode ?? 0;
          const headers = new ResponseHeaders(response.headers);
          resolve(
            new BufferedResponse(url, status, response.statusMessage ?? "", headers, Buffer.concat(chunks, size)),
          );
        });
      });
      request.end(body);
    });
  return { fetcher, close: () => Object.values(agents).forEach((agent) => agent.destroy()) };
}
