import type { IncomingMessage, ServerResponse } from "node:http";
import { ApolloGateway } from "@apollo/gateway";
import { randomUUID } from "node:crypto";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { parse } from "graphql";
import type { JSONWebKeySet } from "jose";
import {
  createGraphQLHttpHandler,
  currentRequestContext,
  requestContextPlugin,
  responseCapPlugin,
  observeRequests,
  sendJson,
  type Logger,
} from "@fedsession/runtime";
import type { AccessTokenClaims, SessionServiceClient } from "@fedsession/session-client";
import { isReservedHeader, maskUnexpectedErrors, type ContextSigningKey } from "@fedsession/subgraph-kit";
import type { GatewayConfig } from "./config";
import { authorizationPlugin, prepareSupergraph } from "./authorization";
import { clientInfo } from "./client-info";
import { collectCostDirectives, demandControlPlugin } from "./demand-control";
import { applyCors } from "./cors";
import { etagPlugin } from "./etag";
import { finiteNumbersPlugin } from "./finite-numbers";
import { operationLimitsRule } from "./limits";
import { requestIdPlugin } from "./request-id";
import { storeUnavailablePlugin } from "./store-unavailable";
import type { SessionCache } from "./session-cache";
import { createGatewayContext, type GatewayContext } from "./context";
import { createContextSigner } from "./context-signer";
import { clearedSessionCookie } from "./cookies";
import { createIdentityResolver, CredentialRefused, type RequestIdentity } from "./identity";
import { SubgraphDataSource } from "./subgraph-data-source";
import { createSubgraphFetcher } from "./subgraph-fetcher";
import { checkSubgraphUrlOverrides, supergraphSubgraphNames } from "./subgraph-urls";

export interface GatewayDependencies {
  config: GatewayConfig;
  supergraphSdl: string;
  signingKey: ContextSigningKey;
  /** Published at /.well-known/jwks.json so subgraph teams can verify contexts without any secret. */
  publicJwks: JSONWebKeySet;
  sessions: Pick<SessionServiceClient, "resolveSessions">;
  verifyAccessToken: (token: string) => Promise<AccessTokenClaims | null>;
  /** Present when SESSION_CACHE=on. */
  sessionCache?: SessionCache;
  logger: Logger;
  /** Extra Apollo plugins (main.ts adds the landing page: Sandbox in development, none in production). */
  plugins: ApolloServerPlugin<GatewayContext>[];
}

/**
 * Whatever its case or count, no client-supplied identity or internal header survives past this point. Scans
 * rawHeaders, which holds every header line the client sent (req.headers may hold fewer), and says how many
 * Authorization headers came, which req.headers would silently reduce to the first.
 */
export function stripReservedHeaders(req: IncomingMessage): { authorizationHeaders: number } {
  let reserved = 0;
  let authorizationHeaders = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (isReservedHeader(name)) reserved++;
    else if (name.length === 13 && name.toLowerCase() === "authorization") authorizationHeaders++;
  }
  // Copy only when something must go: most requests carry no reserved header.
  if (reserved === 0) return { authorizationHeaders };
  const kept: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (isReservedHeader(name)) delete req.headers[name.toLowerCase()];
    else kept.push(name, raw[i + 1] as string);
  }
  raw.splice(0, raw.length, ...kept);
  return { authorizationHeaders };
}

export async function createGatewayServer(deps: GatewayDependencies) {
  const { config, logger } = deps;
  // @apollo/gateway refuses links marked for: SECURITY; it plans without that purpose and the plugin enforces them.
  const { plannerSdl, policies } = prepareSupergraph(deps.supergraphSdl);
  const supergraph = parse(deps.supergraphSdl);
  checkSubgraphUrlOverrides(config.subgraphUrls, supergraphSubgraphNames(supergraph));
  const costDirectives = collectCostDirectives(supergraph);
  // The gateway's own cap (RESPONSE_TOO_LARGE) judges what a client gets; the fetcher's, a few times larger, only
  // bounds the memory an answer that could never be sent may take. No fetch outlives the client request's deadline.
  const subgraphFetcher = createSubgraphFetcher({
    maxBytes: 4 * config.maxResponseBytes,
    timeoutMs: config.edge.requestTimeoutMs,
  });
  // @apollo/gateway reads this variable itself when it is constructed; unset, it reports usage data to Apollo.
  process.env.APOLLO_TELEMETRY_DISABLED = config.apolloTelemetryDisabled ? "true" : "false";
  const gateway = new ApolloGateway({
    supergraphSdl: plannerSdl,
    buildService: ({ name, url }) =>
      new SubgraphDataSource(
        name,
        config.subgraphUrls[name]?.url ?? (url as string),
        config.cookie,
        logger,
        subgraphFetcher.fetcher,
        (sessionId) => deps.sessionCache?.evictSession(sessionId),
      ),
  });
  const server = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !config.production,
    // No stack traces and, in production, no "Did you mean …?" hints that map the schema for a stranger.
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.production,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    parseOptions: { maxTokens: config.limits.maxTokens },
    validationRules: [operationLimitsRule(config.limits)],
    // The process owner (main.ts or the start script) closes the HTTP server first, then Apollo; two handlers would race.
    stopOnTerminationSignals: false,
    // Subgraphs mask what they did not raise on purpose; their own public codes (NOT_FOUND) pass through here.
    formatError: maskUnexpectedErrors(logger, { relayedFromSubgraphs: true }),
    // Demand control first: an operation too expensive to run is refused before any other work.
    // Authorization next, so refused fields are nulled and their errors added before the ETag hashes the result.
    plugins: [
      finiteNumbersPlugin<GatewayContext>(),
      demandControlPlugin<GatewayContext>({ ...config.demandControl, directives: costDirectives }),
      authorizationPlugin<GatewayContext>(policies),
      // Before the ETag, which would otherwise hash an oversized result.
      responseCapPlugin<GatewayContext>(config.maxResponseBytes, () => logger.warn("response_too_large", {})),
      etagPlugin(),
      requestIdPlugin(),
      requestContextPlugin<GatewayContext>(),
      storeUnavailablePlugin(),
      ...deps.plugins,
    ],
  });
  await server.start();

  const resolveIdentity = createIdentityResolver({
    cookieName: config.cookie.name,
    sessions: deps.sessions,
    verifyAccessToken: deps.verifyAccessToken,
    cache: deps.sessionCache,
    logger,
  });
  const jwksBody = { keys: deps.publicJwks.keys };
  const signContextFor = createContextSigner(deps.signingKey);
  const graphql = createGraphQLHttpHandler<GatewayContext>({
    server,
    maxBodyBytes: config.maxBodyBytes,
    routes: {
      "/health": (_req, res) => sendJson(res, 200, { status: "ok", service: "gateway" }),
      "/.well-known/jwks.json": (_req, res) => sendJson(res, 200, jwksBody, { "cache-control": "public, max-age=300" }),
    },
    context: async (req, responseHeaders) => {
      const requestContext = currentRequestContext();
      const requestId = requestContext?.requestId ?? randomUUID();
      responseHeaders.append("x-request-id", requestId);
      let resolved: RequestIdentity;
      try {
        resolved = await resolveIdentity(req.headers);
      } catch (error) {
        if (!(error instanceof CredentialRefused)) throw error;
        responseHeaders.append(...error.header);
        throw error.graphQLError;
      }
      const { identity, clearCookie } = resolved;
      if (requestContext && identity.authenticated) requestContext.sessionId = identity.sessionId;
      if (clearCookie) {
        responseHeaders.append("set-cookie", clearedSessionCookie(config.cookie));
        responseHeaders.append("cache-control", "no-store");
      }
      return createGatewayContext(
        { identity, client: clientInfo(req, config.trustedProxies), requestId, responseHeaders },
        signContextFor,
      );
    },
  });

  return {
    // The gateway makes each request's id (a client's x-request-id is not trusted into the logs).
    handler: observeRequests({ service: "gateway", logger, requestId: () => randomUUID() }, handle),
    stop: async () => {
      await server.stop();
      subgraphFetcher.close();
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (applyCors(req, res, config.corsOrigins)) return;
    if (stripReservedHeaders(req).authorizationHeaders > 1) {
      // Like a duplicated session cookie: which credential was meant is ambiguous, so neither is used.
      return sendJson(res, 400, {
        errors: [{ message: "Send at most one Authorization header", extensions: { code: "BAD_REQUEST" } }],
      });
    }
    return graphql(req, res);
  }
}
