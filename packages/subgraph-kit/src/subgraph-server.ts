import type { IncomingMessage } from "node:http";
import { ApolloServer, type BaseContext } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import type { GraphQLFormattedError, GraphQLSchema } from "graphql";
import type { JSONWebKeySet } from "jose";
import {
  createGraphQLHttpHandler,
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
}

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
    logger.error("unexpected_error", {
      message: original instanceof Error ? original.message : formatted.message,
      path: formatted.path?.join("."),
    });
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
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  await server.start();
  const handler = createGraphQLHttpHandler<TContext>({
    server,
    routes: {
      "/health": (_req, res) => sendJson(res, 200, { status: "ok", service: options.name }),
      ...options.routes,
    },
    context: async (request, responseHeaders) => {
      let verified: VerifiedContext;
      try {
        verified = await verify(request.rawHeaders);
      } catch (error) {
        if (error instanceof GatewayRequestRejected) {
          options.logger.warn("request_refused", { reason: error.reason });
          throw rejectionError(error);
        }
        throw error;
      }
      return attachIdentity(await options.context({ ...verified, request, responseHeaders }), verified.identity);
    },
  });
  return { server, handler };
}
