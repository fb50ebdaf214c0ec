import { request, Agent, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { listen, sendJson, type RunningServer } from "@fedsession/runtime";

export interface WebServerOptions {
  /** The built app (apps/web/dist). */
  distDir: string;
  /** The gateway's origin, such as http://127.0.0.1:4000; `/graphql` on this server is forwarded there. */
  gatewayOrigin: string;
  port: number;
  host: string;
}

interface StaticFile {
  body: Buffer;
  type: string;
  immutable: boolean;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

// Hop-by-hop headers belong to one connection and are never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** Every file of the build, read once: the server answers only paths that are in this map, so no path escapes it. */
async function loadFiles(distDir: string, prefix = ""): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  for (const entry of await readdir(path.join(distDir, prefix), { withFileTypes: true })) {
    const relative = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      for (const [name, file] of await loadFiles(distDir, relative)) files.set(name, file);
      continue;
    }
    files.set(relative, {
      body: await readFile(path.join(distDir, relative)),
      type: CONTENT_TYPES[path.extname(entry.name)] ?? "application/octet-stream",
      // Vite puts a content hash in every file name under assets/, so those never change.
      immutable: relative.startsWith("/assets/"),
    });
  }
  return files;
}

function forwardedRequestHeaders(req: IncomingMessage, gatewayHost: string): IncomingHttpHeaders {
  const named = new Set((req.headers.connection ?? "").split(",").map((name) => name.trim().toLowerCase()));
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!HOP_BY_HOP.has(name) && !named.has(name)) headers[name] = value;
  }
  headers.host = gatewayHost;
  // This server is the edge: whatever X-Forwarded-For the client wrote is dropped and the one hop it saw is sent.
  // The gateway believes it only when this server's address is in TRUSTED_PROXIES; otherwise it uses the socket.
  delete headers.forwarded;
  headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
  if (req.headers.host !== undefined) headers["x-forwarded-host"] = req.headers.host;
  return headers;
}

function forwardedResponseHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = new Set((headers.connection ?? "").split(",").map((name) => name.trim().toLowerCase()));
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && !named.has(name)) kept[name] = value;
  }
  return kept;
}

/**
 * Serves the built web app and forwards `/graphql` to the gateway on the same origin, so the browser sends the
 * SameSite=Lax session cookie with no CORS at all. Everything else about the request passes through untouched:
 * Cookie, the CSRF-prevention headers (content-type, apollo-require-preflight, x-apollo-operation-name) and the
 * gateway's Set-Cookie, ETag and Retry-After.
 */
export async function startWebServer(options: WebServerOptions): Promise<RunningServer> {
  const files = await loadFiles(options.distDir);
  const index = files.get("/index.html");
  if (index === undefined) throw new Error(`${options.distDir} has no index.html: build the app first`);
  const gateway = new URL(options.gatewayOrigin);
  const agent = new Agent({ keepAlive: true });

  const proxy = (req: IncomingMessage, res: ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      const upstream = request(
        {
          protocol: gateway.protocol,
          hostname: gateway.hostname,
          port: gateway.port,
          method: req.method,
          path: req.url,
          headers: forwardedRequestHeaders(req, gateway.host),
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, forwardedResponseHeaders(answer.headers));
          answer.pipe(res);
          answer.once("end", resolve);
          answer.once("error", () => {
            res.destroy();
            resolve();
          });
        },
      );
      upstream.once("error", () => {
        if (res.headersSent) res.destroy();
        else
          sendJson(res, 502, {
            errors: [{ message: "The gateway is unavailable", extensions: { code: "BAD_GATEWAY" } }],
          });
        resolve();
      });
      req.pipe(upstream);
    });

  const serveStatic = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const pathname = new URL(req.url ?? "/", "http://web").pathname;
    // Paths that are not files (no extension) are the app's own screens: answer with the app.
    const file = files.get(pathname) ?? (path.extname(pathname) === "" ? index : undefined);
    if (file === undefined) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS }).end("Not found");
      return;
    }
    res.writeHead(200, {
      "content-type": file.type,
      "content-length": file.body.length,
      "cache-control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
      ...SECURITY_HEADERS,
    });
    res.end(req.method === "HEAD" ? undefined : file.body);
  };

  const running = await listen(
    async (req, res) => {
      const pathname = (req.url ?? "/").split("?")[0];
      if (pathname === "/graphql") return proxy(req, res);
      serveStatic(req, res);
    },
    options.port,
    options.host,
  );
  return {
    ...running,
    close: async () => {
      await running.close();
      agent.destroy();
    },
  };
}
