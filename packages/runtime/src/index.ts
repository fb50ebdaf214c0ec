export * from "./duration";
export * from "./env";
export * from "./keys";
export * from "./log";
export * from "./metrics";
export * from "./tracing-flush";
export * from "./redis";
export * from "./service";
export * from "./shutdown";
export * from "./replica-wait";
// The HTTP edge, health probes, the response cap and the request context live in the subgraph kit, which subgraph teams take outside
// this repository.
export {
  ClientAbortedError,
  DEFAULT_SHUTDOWN_GRACE_MS,
  Probes,
  type Lifecycle,
  type ReadinessCheck,
  currentRequestContext,
  incomingRequestId,
  observeRequests,
  onRequestFinished,
  REQUEST_ID_HEADER,
  requestContextPlugin,
  requestIdHeaders,
  runWithRequestContext,
  createGraphQLHttpHandler,
  DEFAULT_EDGE_LIMITS,
  DEFAULT_MAX_BODY_BYTES,
  jsonFitsWithin,
  listen,
  RESPONSE_TOO_LARGE,
  ResponseHeaders,
  responseCapPlugin,
  sendJson,
  type EarlyAnswer,
  type FinishedRequest,
  type ObserveOptions,
  type RequestObserver,
  type RequestContext,
  type RequestHandler,
  type EdgeLimits,
  type GraphQLHttpOptions,
  type RouteHandler,
  type RunningServer,
} from "@fedsession/subgraph-kit";
