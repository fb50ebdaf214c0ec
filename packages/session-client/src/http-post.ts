import http from "node:http";
import https from "node:https";

/** Internal answers are a few hundred bytes per credential; anything past this is not the session service. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface PostAnswer {
  status: number;
  /** The parsed JSON body, or undefined when the body was not JSON. */
  body: unknown;
}

/** The call did not get an answer: refused, reset, timed out or oversized. */
export class PostFailed extends Error {
  constructor(readonly reason: "unreachable" | "timeout" | "too_large") {
    super(`session service ${reason}`);
    this.name = "PostFailed";
  }
}

/**
 * JSON POSTs to one origin over keep-alive connections, with node:http rather than the global fetch: a lookup is
 * on every credentialed request, and fetch's WHATWG Request/Response/stream objects and a per-call
 * AbortSignal.timeout cost more CPU than the session service's whole answer. The deadline covers the whole
 * exchange, connection included.
 */
export function createJsonPoster(baseUrl: string, timeoutMs: number) {
  const origin = new URL(baseUrl);
  const transport = origin.protocol === "https:" ? https : http;
  const agent = new transport.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 });
  const post = (path: string, headers: Record<string, string>, body: string): Promise<PostAnswer> =>
    new Promise((resolve, reject) => {
      const payload = Buffer.from(body);
      const request = transport.request({
        protocol: origin.protocol,
        hostname: origin.hostname,
        port: origin.port,
        path,
        method: "POST",
        agent,
        headers: { ...headers, "content-type": "application/json", "content-length": payload.length },
      });
      const deadline = setTimeout(() => request.destroy(new PostFailed("timeout")), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(deadline);
        reject(error instanceof PostFailed ? error : new PostFailed("unreachable"));
      };
      request.once("error", fail);
      request.once("response", (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) request.destroy(new PostFailed("too_large"));
          else chunks.push(chunk);
        });
        response.once("error", fail);
        response.once("end", () => {
          clearTimeout(deadline);
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks, size).toString("utf8"));
          } catch {
            parsed = undefined;
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
      });
      request.end(payload);
    });
  return { post, close: () => agent.destroy() };
}
