import type { IncomingMessage } from "node:http";
import type { z } from "zod";
import { describeProblem } from "@fedsession/session-client";

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

/** A parser for one route's body: its schema from the protocol, or BadInternalRequest naming the first problem. */
export function bodyParser<S extends z.ZodType>(schema: S): (body: unknown) => z.output<S> {
  return (body) => {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new BadInternalRequest(describeProblem(parsed.error));
    return parsed.data;
  };
}
