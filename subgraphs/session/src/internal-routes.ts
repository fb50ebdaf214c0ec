import type { IncomingMessage, ServerResponse } from "node:http";
import { publicKeys, sendJson, type KeyMaterial, type Logger, type RouteHandler } from "@fedsession/runtime";
import {
  CREATE_SESSION_PATH,
  REVOCATION_EPOCH_PATH,
  RESOLVE_SESSION_PATH,
  REVOKE_USER_SESSIONS_PATH,
  UPDATE_USER_PERMISSIONS_PATH,
  type CreateSessionResponse,
  type InternalErrorResponse,
  type RevocationEpochResponse,
  type ResolveSessionResponse,
  type RevokeUserSessionsResponse,
  type UpdateUserPermissionsResponse,
} from "@fedsession/session-client";
import { createServiceTokenVerifier, SERVICE_TOKEN_HEADER, type ServiceName } from "@fedsession/subgraph-kit";
import type { Audit } from "./audit";
import { RevokedDuringCreate, SessionStoreUnavailable } from "./errors";
import {
  BadInternalRequest,
  parseCreateSessionRequest,
  parseRevocationEpochRequest,
  parseResolveSessionRequest,
  parseRevokeUserSessionsRequest,
  parseUpdateUserPermissionsRequest,
  readJsonBody,
} from "./internal-requests";
import type { SessionService } from "./sessions";
import { reusableUntil } from "./slide";
import { sessionExpiresAt } from "./store/session-store";

export interface InternalRoutesOptions {
  sessions: SessionService;
  material: KeyMaterial;
  logger: Logger;
  audit: Audit;
  /** The cookie's Max-Age: a session never outlives its absolute lifetime. */
  absoluteTtlSeconds: number;
  currentDate?: () => Date;
}

/** Responses carry live tokens or identities: no cache may keep them. */
const NO_STORE = { "cache-control": "no-store" };

function sendError(
  res: ServerResponse,
  status: number,
  error: InternalErrorResponse["error"],
  message: string,
  headers: Record<string, string> = {},
) {
  sendJson(res, status, { error, message } satisfies InternalErrorResponse, { ...NO_STORE, ...headers });
}

interface RouteContext {
  material: KeyMaterial;
  logger: Logger;
  currentDate?: () => Date;
}

/**
 * One internal route: POST only, from exactly one calling service, with a validated JSON body. The order matters:
 * an unauthenticated caller is refused before its body is read.
 */
function internalRoute<TBody>(
  context: RouteContext,
  options: {
    name: string;
    caller: ServiceName;
    parse: (body: unknown) => TBody;
    handle: (body: TBody, res: ServerResponse) => Promise<void>;
  },
): RouteHandler {
  const verify = createServiceTokenVerifier({
    from: options.caller,
    to: "session",
    jwks: publicKeys(context.material, options.caller),
    currentDate: context.currentDate,
  });
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST") return sendError(res, 405, "METHOD_NOT_ALLOWED", "use POST", { allow: "POST" });
    const token = req.headers[SERVICE_TOKEN_HEADER];
    if (!(await verify(typeof token === "string" ? token : undefined))) {
      context.logger.warn("internal_call_refused", { route: options.name });
      return sendError(res, 401, "UNAUTHORIZED_SERVICE", `only the ${options.caller} service may call this route`);
    }
    let body: TBody;
    try {
      body = options.parse(await readJsonBody(req));
    } catch (error) {
      if (error instanceof BadInternalRequest)
        return sendError(res, 400, "BAD_REQUEST", error.message, { connection: "close" });
      throw error;
    }
    try {
      await options.handle(body, res);
    } catch (error) {
      if (error instanceof RevokedDuringCreate) return sendError(res, 409, "REVOKED_DURING_CREATE", error.message);
      if (!(error instanceof SessionStoreUnavailable)) throw error;
      const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
      context.logger.error("session_store_failed", { route: options.name, cause });
      sendError(res, 503, "SESSION_STORE_UNAVAILABLE", "the session store is unavailable", { "retry-after": "1" });
    }
  };
}

/** The session service's internal HTTP API (packages/session-client/src/protocol.ts), served beside /graphql. */
export function createInternalRoutes(options: InternalRoutesOptions): Record<string, RouteHandler> {
  const { sessions, logger, audit } = options;
  const context: RouteContext = { material: options.material, logger, currentDate: options.currentDate };
  return {
    [CREATE_SESSION_PATH]: internalRoute(context, {
      name: "create",
      caller: "auth",
      parse: parseCreateSessionRequest,
      handle: async (request, res) => {
        const created = await sessions.create(request);
        const { record } = created;
        const session = {
          id: record.id,
          expiresAt: new Date(sessionExpiresAt(record)).toISOString(),
          maxAgeSeconds: options.absoluteTtlSeconds,
        };
        const response: CreateSessionResponse =
          created.transport === "COOKIE" ? { session, token: created.token } : { session, tokens: created.tokens };
        audit("session_created", {
          userId: record.userId,
          sessionId: record.id,
          transport: record.transport,
          ip: record.ip,
        });
        if (created.replaced !== null) {
          audit("session_replaced", {
            userId: record.userId,
            sessionId: record.id,
            replacedSessionId: created.replaced.id,
            replacedUserId: created.replaced.userId,
            ip: record.ip,
          });
        }
        for (const evictedId of created.evicted) {
          audit("session_evicted", { userId: record.userId, sessionId: evictedId, ip: record.ip });
        }
        sendJson(res, 201, response, NO_STORE);
      },
    }),
    [REVOCATION_EPOCH_PATH]: internalRoute(context, {
      name: "revocation_epoch",
      caller: "auth",
      parse: parseRevocationEpochRequest,
      handle: async ({ userId }, res) => {
        const epoch = await sessions.revocationEpoch(userId);
        sendJson(res, 200, { epoch } satisfies RevocationEpochResponse, NO_STORE);
      },
    }),
    [RESOLVE_SESSION_PATH]: internalRoute(context, {
      name: "resolve",
      caller: "gateway",
      parse: parseResolveSessionRequest,
      handle: async (request, res) => {
        const record =
          "token" in request
            ? await sessions.resolve(request.token)
            : await sessions.resolveTokenSession(request.sessionId);
        const response: ResolveSessionResponse = {
          session: record && {
            id: record.id,
            userId: record.userId,
            permissions: record.permissions,
            expiresAt: new Date(sessionExpiresAt(record)).toISOString(),
            reusableUntil: reusableUntil(record),
          },
        };
        sendJson(res, 200, response, NO_STORE);
      },
    }),
    [UPDATE_USER_PERMISSIONS_PATH]: internalRoute(context, {
      name: "update_permissions",
      caller: "auth",
      parse: parseUpdateUserPermissionsRequest,
      handle: async ({ userId, permissions }, res) => {
        const updated = await sessions.updatePermissionsForUser(userId, permissions);
        logger.info("user_session_permissions_updated", { userId, count: updated });
        sendJson(res, 200, { updated } satisfies UpdateUserPermissionsResponse, NO_STORE);
      },
    }),
    [REVOKE_USER_SESSIONS_PATH]: internalRoute(context, {
      name: "revoke_user",
      caller: "auth",
      parse: parseRevokeUserSessionsRequest,
      handle: async ({ userId, exceptSessionId }, res) => {
        const revoked = await sessions.revokeForUser(userId, exceptSessionId);
        audit("user_sessions_revoked", {
          userId,
          actorId: "service:auth",
          ...(exceptSessionId === null ? {} : { keptSessionId: exceptSessionId }),
          count: revoked,
          ip: null,
        });
        sendJson(res, 200, { revoked } satisfies RevokeUserSessionsResponse, NO_STORE);
      },
    }),
  };
}
