import type { IncomingMessage } from "node:http";
import { ApolloServer, type BaseContext } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from "graphql";
import type { JSONWebKeySet } from "jose";
import {
  createGraphQLHttpHandler,
  currentRequestContext,
  incomingRequestId,
  requestContextPlugin,
  responseCapPlugin,
  observeRequests,
  sendJson,
  type Logger,
  type ResponseHeaders,
  type RouteHandler,
} from "@fedsession/runtime";
import { rejectionError } from "./authorization";
import { attachIdentity, enforceAuthDirectives } from "./enforce-auth-directives";
import type { ClientInfo, Identity, VerifiedContext } from "./identity";
import { createGatewayRequestVerifier, GatewayRequestRejected } from "./request";

export interface SubgraphRequest {
  identity: Identity;
  /** The client's IP and user agent as the gateway signed them. */
  client: ClientInfo;
  request: IncomingMessage;
  responseHeaders: ResponseHeaders;
}

export interface SubgraphServerOptions<TContext extends BaseContext> {
  /** The subgraph's name in supergraph.yaml; the `aud` its contexts must carry. */
  name: string;
  schema: GraphQLSchema;
  gatewayJwks: JSONWebKeySet;
  context: (request: SubgraphRequest) => TContext | Promise<TContext>;
  logger: Logger;
  production: boolean;
  routes?: Record<string, RouteHandler>;
  currentDate?: () => Date;
  /** A larger result is replaced by a RESPONSE_TOO_LARGE error before it is serialised (default 16 MiB). */
  maxResponseBytes?: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Codes a client is meant to see; anything else (INTERNAL_SERVER_ERROR, no code) is an accident to hide. */
const PUBLIC_ERROR_CODES = new Set([
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "BAD_USER_INPUT",
  "RATE_LIMITED",
  "SESSION_STORE_UNAVAILABLE",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "COST_ESTIMATED_TOO_EXPENSIVE",
  "RESPONSE_TOO_LARGE",
]);

function isClientErrorStatus(http: unknown): boolean {
  const status: unknown = typeof http === "object" && http !== null ? Reflect.get(http, "status") : undefined;
  return typeof status === "number" && status >= 400 && status < 500;
}

/**
 * Keeps errors with a public code (minus any stack trace) and replaces everything else with a generic message,
 * logged here with its detail. Decided by code, not by class, because the gateway hands over subgraph errors
 * as plain objects.
 */
export function maskUnexpectedErrors(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === "string" && PUBLIC_ERROR_CODES.has(code)) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const original = unwrapResolverError(error);
    // Apollo's own refusals of a malformed request (a persisted query whose hash does not match) carry a 4xx.
    if (original instanceof GraphQLError && isClientErrorStatus(original.extensions.http)) {
      return { message: formatted.message, extensions: { code: "BAD_REQUEST" } };
    }
    logger.error(
      "unexpected_error",
      { message: original instanceof Error ? original.message : formatted.message, path: formatted.path?.join(".") },
      original,
    );
    return { message: "Internal server error", path: formatted.path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}

/**
 * An Apollo Server for one subgraph that refuses every request not signed by the gateway (401, nothing executed)
 * and hands resolvers the verified identity. Fields under @authenticated/@requiresScopes refuse callers who do not
 * meet them before their resolver runs (see enforceAuthDirectives).
 */
export async function createSubgraphServer<TContext extends BaseContext>(options: SubgraphServerOptions<TContext>) {
  const verify = createGatewayRequestVerifier({
    jwks: options.gatewayJwks,
    audience: options.name,
    currentDate: options.currentDate,
  });
  const server = new ApolloServer<TContext>({
    schema: enforceAuthDirectives(options.schema),
    introspection: !options.production,
    includeStacktraceInErrorResponses: false,
    // The process owner (main.ts or the start script) closes the HTTP server first, then Apollo; two handlers would race.
    stopOnTerminationSignals: false,
    formatError: maskUnexpectedErrors(options.logger),
    // Traces are for Apollo's usage reporting, which this project does not use; they cost time on every request.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      requestContextPlugin(),
      responseCapPlugin(options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, () =>
        options.logger.warn("response_too_large", {}),
      ),
    ],
  });
  await server.start();
  // Verified from the head alone, before the body is read; the context function picks the result up.
  const verifiedRequests = new WeakMap<IncomingMessage, VerifiedContext>();
  const handler = createGraphQLHttpHandler<TContext>({
    server,
    routes: {
      "/health": (_req, res) => sendJson(res, 200, { status: "ok", service: options.name }),
      ...options.routes,
    },
    beforeBody: async (request) => {
      try {
        verifiedRequests.set(request, await verify(request.rawHeaders));
        return null;
      } catch (error) {
        if (!(error instanceof GatewayRequestRejected)) throw error;
        options.logger.warn("request_refused", { reason: error.reason });
        const { message, extensions } = rejectionError(error);
        const { http: _http, ...publicExtensions } = extensions;
        return { status: 401, body: { errors: [{ message, extensions: publicExtensions }] } };
      }
    },
    context: async (request, responseHeaders) => {
      const verified = verifiedRequests.get(request);
      // beforeBody ran for every request that reaches a context; anything else is a wiring mistake.
      if (!verified) throw new Error("request reached the context without a verified gateway context");
      const requestContext = currentRequestContext();
      if (requestContext && verified.identity.authenticated) requestContext.sessionId = verified.identity.sessionId;
      return attachIdentity(await options.context({ ...verified, request, responseHeaders }), verified.identity);
    },
  });
  return {
    server,
    // Every log line of the request carries the gateway's request id, so one request reads across services.
    handler: observeRequests({ service: options.name, logger: options.logger, requestId: incomingRequestId }, handler),
  };
}
