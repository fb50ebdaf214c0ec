import type { IncomingMessage } from "node:http";
import { ApolloServer, type BaseContext } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import type { GraphQLSchema } from "graphql";
import type { JSONWebKeySet } from "jose";
import { rejectionError } from "./authorization";
import { maskUnexpectedErrors } from "./errors";
import { createGraphQLHttpHandler, sendJson, type ResponseHeaders, type RouteHandler } from "./http";
import type { KitLogger } from "./logger";
import { observeRequests } from "./observe";
import { currentRequestContext, incomingRequestId, requestContextPlugin } from "./request-context";
import { responseCapPlugin } from "./response-cap";
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
  logger: KitLogger;
  production: boolean;
  routes?: Record<string, RouteHandler>;
  currentDate?: () => Date;
  /** A larger result is replaced by a RESPONSE_TOO_LARGE error before it is serialised (default 16 MiB). */
  maxResponseBytes?: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

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
