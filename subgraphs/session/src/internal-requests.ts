import type { IncomingMessage } from "node:http";
import type { CreateSessionRequest, ResolveSessionRequest } from "@fedsession/session-client";

/** Internal bodies are a few hundred bytes; anything near this is not a legitimate caller. */
export const MAX_INTERNAL_BODY_BYTES = 16 * 1024;

/** The body is too large, not JSON, or not shaped like the protocol says. */
export class BadInternalRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadInternalRequest";
  }
}

export function readJsonBody(req: IncomingMessage, limit: number = MAX_INTERNAL_BODY_BYTES): Promise<unknown> {
  if (Number(req.headers["content-length"] ?? 0) > limit)
    return Promise.reject(new BadInternalRequest("body too large"));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        reject(new BadInternalRequest("body too large"));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new BadInternalRequest("body is not JSON"));
      }
    });
    req.on("error", reject);
  });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isStringOrNull = (value: unknown): value is string | null => value === null || typeof value === "string";

export function parseCreateSessionRequest(body: unknown): CreateSessionRequest {
  if (!isObject(body)) throw new BadInternalRequest("expected a JSON object");
  const { userId, permissions, userAgent, ip } = body;
  if (typeof userId !== "string" || userId === "") throw new BadInternalRequest("userId must be a non-empty string");
  if (!Array.isArray(permissions) || !permissions.every((permission) => typeof permission === "string")) {
    throw new BadInternalRequest("permissions must be an array of strings");
  }
  if (!isStringOrNull(userAgent)) throw new BadInternalRequest("userAgent must be a string or null");
  if (!isStringOrNull(ip)) throw new BadInternalRequest("ip must be a string or null");
  return { userId, permissions, userAgent, ip, transport: "COOKIE" };
}

export function parseResolveSessionRequest(body: unknown): ResolveSessionRequest {
  if (!isObject(body) || typeof body.token !== "string") throw new BadInternalRequest("token must be a string");
  return { token: body.token };
}
