import type { IncomingMessage, ServerResponse } from "node:http";

// What browsers send to the gateway: Apollo Client and Sandbox add apollographql-client-name/-version (client
// awareness) and apollo-require-preflight or x-apollo-operation-name (CSRF prevention).
const ALLOWED_HEADERS = [
  "content-type",
  "authorization",
  "apollo-require-preflight",
  "x-apollo-operation-name",
  "apollographql-client-name",
  "apollographql-client-version",
  "if-none-match",
].join(", ");

/**
 * CORS for an allow-list of origins with credentials. Origins not on the list get no CORS headers at all, so the
 * browser keeps the response from them; never `*` and never `null` (config refuses both).
 * Returns true when it answered a preflight.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, allowedOrigins: ReadonlySet<string>): boolean {
  const origin = req.headers.origin;
  res.appendHeader("vary", "Origin");
  const allowed = typeof origin === "string" && allowedOrigins.has(origin);
  if (allowed) {
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("access-control-allow-credentials", "true");
    res.setHeader("access-control-expose-headers", "etag, x-request-id, retry-after");
  }
  if (req.method !== "OPTIONS") return false;
  if (allowed) {
    res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
    res.setHeader("access-control-allow-headers", ALLOWED_HEADERS);
    res.setHeader("access-control-max-age", "600");
    // Chrome asks before a public site (Apollo's hosted Sandbox) calls a gateway on a private or loopback address.
    if (req.headers["access-control-request-private-network"] === "true")
      res.setHeader("access-control-allow-private-network", "true");
  }
  res.statusCode = allowed ? 204 : 403;
  res.end();
  return true;
}
