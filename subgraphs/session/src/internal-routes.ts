import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { publicKeys, sendJson, type KeyMaterial, type Logger, type RouteHandler } from "@fedsession/runtime";
import {
  CREATE_SESSION_PATH,
  REVOCATION_EPOCH_PATH,
  RESOLVE_SESSIONS_PATH,
  REVOKE_USER_SESSIONS_PATH,
  UPDATE_USER_PERMISSIONS_PATH,
  createSessionRequestSchema,
  resolveSessionsRequestSchema,
  revocationEpochRequestSchema,
  revokeUserSessionsRequestSchema,
  sessionCredentialSchema,
  updateUserPermissionsRequestSchema,
  type CreateSessionResponse,
  type InternalErrorResponse,
  type ResolveResult,
  type ResolveSessionsResponse,
  type RevocationEpochResponse,
  type RevokeUserSessionsResponse,
  type SessionCredential,
  type UpdateUserPermissionsResponse,
} from "@fedsession/session-client";
import { createServiceTokenVerifier, SERVICE_TOKEN_HEADER, type ServiceName } from "@fedsession/subgraph-kit";
import type { Audit } from "./audit";
import { RevokedDuringCreate, SessionStoreUnavailable } from "./errors";
import { BadInternalRequest, bodyParser, readJsonBody } from "./internal-requests";
import type { ResolveOutcome, SessionService } from "./sessions";
import type { SessionRecord } from "./store/session-store";
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
function internalRoute<S extends z.ZodType>(
  context: RouteContext,
  options: {
    name: string;
    caller: ServiceName;
    /** The body's schema from the protocol. */
    body: S;
    handle: (body: z.output<S>, res: ServerResponse) => Promise<void>;
  },
): RouteHandler {
  const parse = bodyParser(options.body);
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
    let body: z.output<S>;
    try {
      body = parse(await readJsonBody(req));
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

function resolvedSession(record: SessionRecord) {
  return {
    id: record.id,
    userId: record.userId,
    permissions: record.permissions,
    expiresAt: new Date(sessionExpiresAt(record)).toISOString(),
    reusableUntil: reusableUntil(record),
  };
}

function resultOf(outcome: ResolveOutcome | undefined, logger: Logger): ResolveResult {
  if (outcome !== undefined && "record" in outcome) {
    return { session: outcome.record && resolvedSession(outcome.record) };
  }
  const cause = outcome?.unavailable.cause;
  logger.error("session_store_failed", {
    route: "resolve",
    cause: cause instanceof Error ? cause.message : String(cause),
  });
  return { error: "SESSION_STORE_UNAVAILABLE" };
}

/** The session service's internal HTTP API (packages/session-client/src/protocol.ts), served beside /graphql. */
export function createInternalRoutes(options: InternalRoutesOptions): Record<string, RouteHandler> {
  const { sessions, logger, audit } = options;
  const context: RouteContext = { material: options.material, logger, currentDate: options.currentDate };
  return {
    [CREATE_SESSION_PATH]: internalRoute(context, {
      name: "create",
      caller: "auth",
      body: createSessionRequestSchema,
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
      body: revocationEpochRequestSchema,
      handle: async ({ userId }, res) => {
        const epoch = await sessions.revocationEpoch(userId);
        sendJson(res, 200, { epoch } satisfies RevocationEpochResponse, NO_STORE);
      },
    }),
    [RESOLVE_SESSIONS_PATH]: internalRoute(context, {
      name: "resolve",
      caller: "gateway",
      body: resolveSessionsRequestSchema,
      handle: async ({ credentials }, res) => {
        // Each entry is checked on its own, so one malformed credential is refused alone.
        const checked = credentials.map((entry) => sessionCredentialSchema.safeParse(entry));
        const valid: SessionCredential[] = [];
        for (const entry of checked) if (entry.success) valid.push(entry.data);
        const outcomes = await sessions.resolveMany(valid);
        let next = 0;
        const results = checked.map((entry): ResolveResult => {
          if (!entry.success) return { error: "BAD_REQUEST" };
          return resultOf(outcomes[next++], logger);
        });
        sendJson(res, 200, { results } satisfies ResolveSessionsResponse, NO_STORE);
      },
    }),
    [UPDATE_USER_PERMISSIONS_PATH]: internalRoute(context, {
      name: "update_permissions",
      caller: "auth",
      body: updateUserPermissionsRequestSchema,
      handle: async ({ userId, permissions }, res) => {
        const updated = await sessions.updatePermissionsForUser(userId, permissions);
        logger.info("user_session_permissions_updated", { userId, count: updated });
        sendJson(res, 200, { updated } satisfies UpdateUserPermissionsResponse, NO_STORE);
      },
    }),
    [REVOKE_USER_SESSIONS_PATH]: internalRoute(context, {
      name: "revoke_user",
      caller: "auth",
      body: revokeUserSessionsRequestSchema,
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
