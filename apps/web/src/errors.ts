import { CombinedGraphQLErrors, ServerError } from "@apollo/client/errors";

interface ErrorEntry {
  message?: string;
  extensions?: Record<string, unknown>;
}

/** The GraphQL error codes in an Apollo error, whether it arrived in a 200 or in a non-2xx body. */
export function errorCodes(error: unknown): string[] {
  return graphQLErrors(error).map((entry) => String(entry.extensions?.code ?? ""));
}

function graphQLErrors(error: unknown): readonly ErrorEntry[] {
  if (CombinedGraphQLErrors.is(error)) return error.errors;
  // A non-2xx answer (503 SESSION_STORE_UNAVAILABLE, 401) still carries GraphQL errors in its body.
  if (ServerError.is(error)) {
    try {
      return (JSON.parse(error.bodyText) as { errors?: ErrorEntry[] }).errors ?? [];
    } catch {
      return [];
    }
  }
  return [];
}

/**
 * What the person should read. The server's own message is kept for BAD_USER_INPUT (it names the rule that failed,
 * such as the password policy) and UNAUTHENTICATED; RATE_LIMITED says how long to wait.
 */
export function describeError(error: unknown): string {
  const first = graphQLErrors(error)[0];
  if (first) {
    const code = first.extensions?.code;
    if (code === "RATE_LIMITED") {
      const wait = first.extensions?.retryAfterSeconds;
      return typeof wait === "number"
        ? `Too many attempts. Try again in ${wait} second${wait === 1 ? "" : "s"}.`
        : "Too many attempts. Try again shortly.";
    }
    if (code === "SESSION_STORE_UNAVAILABLE") return "The service is briefly unavailable. Try again in a moment.";
    if (first.message) return first.message;
  }
  if (ServerError.is(error)) return `The server answered ${error.statusCode}. Try again in a moment.`;
  return "The server could not be reached. Check your connection and try again.";
}
