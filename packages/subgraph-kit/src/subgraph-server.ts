import type { IncomingMessage } from "node:http";
import { ApolloServer, type BaseContext } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from "graphql";
import type { JSONWebKeySet } from "jose";
import {
  createGraphQLHttpHandler,
  sendJson,
  type Logger,
  type ResponseHeaders,
  type RouteHandler,
} from "@fedsession/runtime";
import { rejectionError } from "./authorization";
import type { Identity } from "./identity";
import { createGatewayRequestVerifier, GatewayRequestRejected } from "./request";

export interface SubgraphRequest {
  identity: Identity;
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

/** Keeps deliberate GraphQLErrors and replaces everything else with a generic message, logged here with its detail. */
export function maskUnexpectedErrors(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof GraphQLError && formatted.extensions?.code !== "INTERNAL_SERVER_ERROR") {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error("unexpected_error", {
      message: original instanceof Error ? original.message : String(original),
      path: formatted.path?.join("."),
    });
    return { message: "Internal server error", path: formatted.path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}

/**
 * An Apollo Server for one subgraph that refuses every request not signed by the gateway (401, nothing executed)
 * and hands resolvers the verified identity.
 */
export async function createSubgraphServer<TContext extends BaseContext>(options: SubgraphServerOptions<TContext>) {
  const verify = createGatewayRequestVerifier({
    jwks: options.gatewayJwks,
    audience: options.name,
    currentDate: options.currentDate,
  });
  const server = new ApolloServer<TContext>({
    schema: options.schema,
    introspection: !options.production,
    includeStacktraceInErrorResponses: false,
    formatError: maskUnexpectedErrors(options.logger),
  });
  await server.start();
  const handler = createGraphQLHttpHandler<TContext>({
    server,
    routes: {
      "/health": (_req, res) => sendJson(res, 200, { status: "ok", service: options.name }),
      ...options.routes,
    },
    context: async (request, responseHeaders) => {
      let identity: Identity;
      try {
        identity = await verify(request.rawHeaders);
      } catch (error) {
        if (error instanceof GatewayRequestRejected) {
          options.logger.warn("request_refused", { reason: error.reason });
          throw rejectionError(error);
        }
        throw error;
      }
      return options.context({ identity, request, responseHeaders });
    },
  });
  return { server, handler };
}
