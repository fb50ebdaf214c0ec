import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import type { KitLogger } from "./logger";

/**
 * The platform's error codes (`extensions.code`) a client is meant to see: the gateway's and every subgraph's own,
 * plus Apollo Server's refusals of a malformed request.
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  RATE_LIMITED: "RATE_LIMITED",
  SESSION_STORE_UNAVAILABLE: "SESSION_STORE_UNAVAILABLE",
  /** A subgraph's own store failed (retry later); the gateway answers 503 when nothing else could be answered. */
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  /** The gateway could not reach a subgraph, or got no GraphQL answer from it (retry later); names it in serviceName. */
  SUBGRAPH_UNAVAILABLE: "SUBGRAPH_UNAVAILABLE",
  RESPONSE_TOO_LARGE: "RESPONSE_TOO_LARGE",
  COST_ESTIMATED_TOO_EXPENSIVE: "COST_ESTIMATED_TOO_EXPENSIVE",
  GRAPHQL_PARSE_FAILED: "GRAPHQL_PARSE_FAILED",
  GRAPHQL_VALIDATION_FAILED: "GRAPHQL_VALIDATION_FAILED",
  BAD_REQUEST: "BAD_REQUEST",
  OPERATION_RESOLUTION_FAILURE: "OPERATION_RESOLUTION_FAILURE",
  PERSISTED_QUERY_NOT_FOUND: "PERSISTED_QUERY_NOT_FOUND",
  PERSISTED_QUERY_NOT_SUPPORTED: "PERSISTED_QUERY_NOT_SUPPORTED",
} as const;

export type PlatformErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

const PLATFORM_CODES: ReadonlySet<string> = new Set(Object.values(ERROR_CODES));

/**
 * What a subgraph's own code must look like: upper-case words joined by single underscores, at most 64 characters
 * (`NOT_FOUND`, `INVOICE_ALREADY_PAID`). Node's and drivers' codes (`ECONNREFUSED`, `ERR_SOCKET_CLOSED`) can look
 * the same, which is why the pattern alone never makes an error public inside a subgraph: it must be a PublicError.
 */
export const PUBLIC_ERROR_CODE_PATTERN = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
const MAX_CODE_LENGTH = 64;

/** Codes that mean "something broke inside": never a subgraph's deliberate answer. */
const INTERNAL_CODES: ReadonlySet<string> = new Set(["INTERNAL_SERVER_ERROR", "DOWNSTREAM_SERVICE_ERROR"]);

/** Whether `code` may name an error a subgraph raises on purpose (see PUBLIC_ERROR_CODE_PATTERN). */
export function isPublicErrorCode(code: string): boolean {
  return code.length <= MAX_CODE_LENGTH && PUBLIC_ERROR_CODE_PATTERN.test(code) && !INTERNAL_CODES.has(code);
}

/**
 * An error a subgraph raises on purpose, with its own code, that reaches the client as it is (message, code and the
 * extensions given here) through the subgraph and the gateway. Anything else a resolver throws is masked as
 * INTERNAL_SERVER_ERROR. Throws at once for a code that does not match PUBLIC_ERROR_CODE_PATTERN.
 *
 * @example
 * throw new PublicError("NOT_FOUND", `No invoice has the id "${id}"`);
 */
export class PublicError extends GraphQLError {
  constructor(code: string, message: string, extensions: Readonly<Record<string, unknown>> = {}) {
    if (!isPublicErrorCode(code)) {
      throw new TypeError(`"${code}" is not a public error code: use upper-case words joined by underscores`);
    }
    super(message, { extensions: { ...extensions, code } });
    this.name = "PublicError";
  }
}

/**
 * A store the subgraph depends on failed (down, timed out, refused): SERVICE_UNAVAILABLE, so a client retries later
 * instead of reporting a bug. The cause stays on the server: maskUnexpectedErrors logs it.
 *
 * @example
 * const store = failuresAs(createRedisInvoiceStore(redis), (cause) => new ServiceUnavailable("invoices", { cause }));
 */
export class ServiceUnavailable extends PublicError {
  constructor(what: string, options: { cause: unknown }) {
    super(ERROR_CODES.SERVICE_UNAVAILABLE, `The ${what} store is unavailable; try again in a moment`);
    this.name = "ServiceUnavailable";
    this.cause = options.cause;
  }
}

/**
 * The same store (an object of async methods), every failed call rethrown as `toError(cause)`, so the resolver edge
 * can tell an outage from a bug without knowing the store client's error types. The store's own typed errors
 * (`isDomainError`) pass through unchanged.
 */
export function failuresAs<T extends object>(
  store: T,
  toError: (cause: unknown) => Error,
  isDomainError: (error: unknown) => boolean = () => false,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(store)) {
    wrapped[name] =
      typeof member === "function"
        ? async (...args: unknown[]) => {
            try {
              return await (member as (...args: unknown[]) => Promise<unknown>).apply(store, args);
            } catch (error) {
              throw isDomainError(error) ? error : toError(error);
            }
          }
        : member;
  }
  return wrapped as T;
}

export interface MaskOptions {
  /**
   * The gateway's setting: an error relayed from a subgraph (it carries `serviceName`) keeps a code that
   * isPublicErrorCode accepts, since the subgraph already masked everything it did not raise on purpose.
   */
  relayedFromSubgraphs?: boolean;
}

function isClientErrorStatus(http: unknown): boolean {
  const status: unknown = typeof http === "object" && http !== null ? Reflect.get(http, "status") : undefined;
  return typeof status === "number" && status >= 400 && status < 500;
}

/**
 * Drops what describes the server rather than the error: the stack trace, and the `response` @apollo/gateway
 * attaches when a subgraph answers a non-2xx status (that subgraph's URL, status and body).
 */
function withoutServerDetail(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const { stacktrace: _stacktrace, response: _response, ...extensions } = formatted.extensions ?? {};
  return { ...formatted, extensions };
}

/**
 * Apollo Server's formatError for the gateway and every subgraph. Passes, minus any stack trace: a platform code
 * (ERROR_CODES), a PublicError, and with `relayedFromSubgraphs` a subgraph's own public code. Replaces everything
 * else with a generic INTERNAL_SERVER_ERROR, logged here with its detail. Decided by code and class, not by message,
 * because the gateway hands over subgraph errors as plain objects.
 */
export function maskUnexpectedErrors(logger: KitLogger, options: MaskOptions = {}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof ServiceUnavailable) {
      // The client learns only that it may retry; operators need what failed.
      const cause = original.cause instanceof Error ? original.cause.message : String(original.cause);
      logger.warn("store_unavailable", { message: original.message, cause, path: formatted.path?.join(".") });
    }
    const code = formatted.extensions?.code;
    if (typeof code === "string" && PLATFORM_CODES.has(code)) return withoutServerDetail(formatted);
    if (original instanceof PublicError) return withoutServerDetail(formatted);
    const relayed = typeof formatted.extensions?.serviceName === "string";
    if (options.relayedFromSubgraphs && relayed && typeof code === "string" && isPublicErrorCode(code)) {
      return withoutServerDetail(formatted);
    }
    // Apollo's own refusals of a malformed request (a persisted query whose hash does not match) carry a 4xx.
    if (original instanceof GraphQLError && isClientErrorStatus(original.extensions.http)) {
      return { message: formatted.message, extensions: { code: ERROR_CODES.BAD_REQUEST } };
    }
    logger.error(
      "unexpected_error",
      { message: original instanceof Error ? original.message : formatted.message, path: formatted.path?.join(".") },
      original,
    );
    return { message: "Internal server error", path: formatted.path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}
