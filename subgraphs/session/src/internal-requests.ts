import type { IncomingMessage } from "node:http";
import type {
  CreateSessionRequest,
  RevocationEpochRequest,
  ResolveSessionRequest,
  RevokeUserSessionsRequest,
  UpdateUserPermissionsRequest,
} from "@fedsession/session-client";
import { isSessionId } from "./sessions";

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

function objectBody(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw new BadInternalRequest("expected a JSON object");
  return body;
}

/** Ids end up in Redis keys and JSON that Lua reads, so they must be non-empty, well-formed text. */
function userIdOf(value: unknown): string {
  if (typeof value !== "string" || value === "" || /\p{Surrogate}/u.test(value)) {
    throw new BadInternalRequest("userId must be a non-empty, well-formed string");
  }
  return value;
}

function permissionsOf(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((permission) => typeof permission === "string")) {
    throw new BadInternalRequest("permissions must be an array of strings");
  }
  return value;
}

export function parseCreateSessionRequest(body: unknown): CreateSessionRequest {
  const { userId, permissions, userAgent, ip, transport, replacesSessionId, revocationEpoch } = objectBody(body);
  if (!isStringOrNull(userAgent)) throw new BadInternalRequest("userAgent must be a string or null");
  if (!isStringOrNull(ip)) throw new BadInternalRequest("ip must be a string or null");
  if (transport !== "COOKIE" && transport !== "TOKEN") {
    throw new BadInternalRequest('transport must be "COOKIE" or "TOKEN"');
  }
  // Required (null when signing in afresh), so a caller that forgot it fails loudly instead of leaving sessions alive.
  if (replacesSessionId !== null && (typeof replacesSessionId !== "string" || !isSessionId(replacesSessionId))) {
    throw new BadInternalRequest("replacesSessionId must be a session id or null");
  }
  // Required, so a caller that never read the epoch cannot create a session a concurrent revoke-all would miss.
  if (typeof revocationEpoch !== "string" || !/^\d{1,20}$/.test(revocationEpoch)) {
    throw new BadInternalRequest("revocationEpoch must be the epoch string read from the epoch route");
  }
  return {
    userId: userIdOf(userId),
    permissions: permissionsOf(permissions),
    userAgent,
    ip,
    transport,
    replacesSessionId,
    revocationEpoch,
  };
}

export function parseRevocationEpochRequest(body: unknown): RevocationEpochRequest {
  return { userId: userIdOf(objectBody(body).userId) };
}

/** Exactly one of a cookie token or the session id of a verified access token. */
export function parseResolveSessionRequest(body: unknown): ResolveSessionRequest {
  const { token, sessionId } = objectBody(body);
  if (typeof token === "string" && sessionId === undefined) return { token };
  if (typeof sessionId === "string" && token === undefined) return { sessionId };
  throw new BadInternalRequest("expected either a token or a sessionId string");
}

export function parseUpdateUserPermissionsRequest(body: unknown): UpdateUserPermissionsRequest {
  const { userId, permissions } = objectBody(body);
  return { userId: userIdOf(userId), permissions: permissionsOf(permissions) };
}

export function parseRevokeUserSessionsRequest(body: unknown): RevokeUserSessionsRequest {
  const { userId, exceptSessionId } = objectBody(body);
  if (!isStringOrNull(exceptSessionId)) throw new BadInternalRequest("exceptSessionId must be a string or null");
  return { userId: userIdOf(userId), exceptSessionId };
}
