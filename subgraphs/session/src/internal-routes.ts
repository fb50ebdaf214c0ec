import type { IncomingMessage, ServerResponse } from "node:http";
import { publicKeys, sendJson, type KeyMaterial, type Logger, type RouteHandler } from "@fedsession/runtime";
import {
  CREATE_SESSION_PATH,
  RESOLVE_SESSION_PATH,
  type CreateSessionResponse,
  type InternalErrorResponse,
  type ResolveSessionResponse,
} from "@fedsession/session-client";
import { createServiceTokenVerifier, SERVICE_TOKEN_HEADER, type ServiceName } from "@fedsession/subgraph-kit";
import { SessionStoreUnavailable } from "./errors";
import {
  BadInternalRequest,
  parseCreateSessionRequest,
  parseResolveSessionRequest,
  readJsonBody,
} from "./internal-requests";
import type { SessionService } from "./sessions";
import { sessionExpiresAt } from "./store/session-store";

export interface InternalRoutesOptions {
  sessions: SessionService;
  material: KeyMaterial;
  logger: Logger;
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

/**
 * One internal route: POST only, from exactly one calling service, with a validated JSON body. The order matters:
 * an unauthenticated caller is refused before its body is read.
 */
function internalRoute<TBody>(options: {
  name: string;
  caller: ServiceName;
  material: KeyMaterial;
  logger: Logger;
  currentDate?: () => Date;
  parse: (body: unknown) => TBody;
  handle: (body: TBody, res: ServerResponse) => Promise<void>;
}): RouteHandler {
  const verify = createServiceTokenVerifier({
    from: options.caller,
    to: "session",
    jwks: publicKeys(options.material, options.caller),
    currentDate: options.currentDate,
  });
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST") return sendError(res, 405, "BAD_REQUEST", "use POST", { allow: "POST" });
    const token = req.headers[SERVICE_TOKEN_HEADER];
    if (!(await verify(typeof token === "string" ? token : undefined))) {
      options.logger.warn("internal_call_refused", { route: options.name });
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
      if (!(error instanceof SessionStoreUnavailable)) throw error;
      const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
      options.logger.error("session_store_failed", { route: options.name, cause });
      sendError(res, 503, "SESSION_STORE_UNAVAILABLE", "the session store is unavailable", { "retry-after": "1" });
    }
  };
}

/** The session service's internal HTTP API (packages/session-client/src/protocol.ts), served beside /graphql. */
export function createInternalRoutes(options: InternalRoutesOptions): Record<string, RouteHandler> {
  const { sessions, material, logger, currentDate } = options;
  return {
    [CREATE_SESSION_PATH]: internalRoute({
      name: "create",
      caller: "auth",
      material,
      logger,
      currentDate,
      parse: parseCreateSessionRequest,
      handle: async (request, res) => {
        const { token, record } = await sessions.create(request);
        const response: CreateSessionResponse = {
          token,
          session: {
            id: record.id,
            expiresAt: new Date(sessionExpiresAt(record)).toISOString(),
            maxAgeSeconds: options.absoluteTtlSeconds,
          },
        };
        logger.info("session_created", { sessionId: record.id, userId: record.userId });
        sendJson(res, 201, response, NO_STORE);
      },
    }),
    [RESOLVE_SESSION_PATH]: internalRoute({
      name: "resolve",
      caller: "gateway",
      material,
      logger,
      currentDate,
      parse: parseResolveSessionRequest,
      handle: async (request, res) => {
        const record = "token" in request ? await sessions.resolve(request.token) : null;
        const response: ResolveSessionResponse = {
          session: record && {
            id: record.id,
            userId: record.userId,
            permissions: record.permissions,
            expiresAt: new Date(sessionExpiresAt(record)).toISOString(),
          },
        };
        sendJson(res, 200, response, NO_STORE);
      },
    }),
  };
}
