import http from "node:http";
import { RESOLVE_SESSIONS_PATH, resolveSessionsRequestSchema } from "@fedsession/session-client";

export interface CountingProxy {
  origin: string;
  /** Requests forwarded so far, by path. */
  counts(): Map<string, number>;
  /** How many credentials each batched resolve call carried, in order (cleared by each read). */
  takeBatchSizes(): number[];
  close(): Promise<void>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A pass-through HTTP proxy in front of the session service that counts what the gateway asks of it, so the
 * benchmark can count session-service calls per request without a hook inside the gateway.
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const counts = new Map<string, number>();
  let batchSizes: number[] = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] as string;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    if (path === RESOLVE_SESSIONS_PATH) {
      // Counted from the body as it passes; the forwarded stream is untouched.
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const parsed = resolveSessionsRequestSchema.safeParse(parseJson(Buffer.concat(chunks).toString("utf8")));
        if (parsed.success) batchSizes.push(parsed.data.credentials.length);
      });
    }
    const forwarded = http.request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.once("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forwarded);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    counts: () => new Map(counts),
    takeBatchSizes: () => {
      const taken = batchSizes;
      batchSizes = [];
      return taken;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
