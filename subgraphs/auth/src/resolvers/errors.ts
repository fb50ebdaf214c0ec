import { GraphQLError } from "graphql";
import { SessionServiceUnavailable } from "@fedsession/session-client";
import { AccountError, LoginThrottled, PasswordWorkBusy, PasswordWorkPending, SignUpThrottled } from "../errors";
import type { AuthContext } from "../context";
import { AuthStoreUnavailable } from "../store/unavailable";

/** A store outage, for any resolver: the gateway keeps the code and answers 503 with Retry-After. */
export async function orUnavailable<T>(operation: Promise<T>, context: AuthContext): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw toGraphQLError(error, context);
  }
}

const ACCOUNT_ERROR_CODES = {
  "invalid-input": "BAD_USER_INPUT",
  "email-taken": "BAD_USER_INPUT",
  "invalid-credentials": "UNAUTHENTICATED",
  "wrong-current-password": "UNAUTHENTICATED",
} as const;

/** The resolver edge: typed errors become GraphQL errors with a stable code; anything else is left for the kit to mask. */
export function toGraphQLError(error: unknown, context: AuthContext): unknown {
  if (error instanceof AccountError)
    return new GraphQLError(error.message, { extensions: { code: ACCOUNT_ERROR_CODES[error.code] } });
  if (error instanceof LoginThrottled || error instanceof SignUpThrottled) {
    return new GraphQLError(error.message, {
      extensions: { code: "RATE_LIMITED", retryAfterSeconds: error.retryAfterSeconds },
    });
  }
  // RATE_LIMITED, not a 503: the service is up and asks this client to back off for a moment, which clients already
  // do for RATE_LIMITED with its retryAfterSeconds; SESSION_STORE_UNAVAILABLE would point operators at the session
  // store, which is fine. Not "Invalid email or password" either: no password was checked.
  if (error instanceof PasswordWorkBusy) {
    context.logger.warn("bcrypt_queue_timeout", { waitedMs: error.waitedMs });
    return new GraphQLError("The service is busy; try again shortly", {
      extensions: { code: "RATE_LIMITED", retryAfterSeconds: error.retryAfterSeconds },
    });
  }
  if (error instanceof AuthStoreUnavailable) {
    const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
    context.logger.error("auth_store_failed", { cause });
    return new GraphQLError("The account store is unavailable; try again in a moment", {
      extensions: { code: "SESSION_STORE_UNAVAILABLE", http: { status: 503 } },
    });
  }
  if (error instanceof PasswordWorkPending) {
    return new GraphQLError(
      "A sign-in for this account or from this address is already in progress; try again shortly",
      {
        extensions: { code: "RATE_LIMITED", retryAfterSeconds: error.retryAfterSeconds },
      },
    );
  }
  if (error instanceof SessionServiceUnavailable) {
    context.logger.warn("session_service_unavailable", { reason: error.message });
    return new GraphQLError("Signing in is temporarily unavailable; try again in a moment", {
      extensions: { code: "SESSION_STORE_UNAVAILABLE", http: { status: 503 } },
    });
  }
  return error;
}
