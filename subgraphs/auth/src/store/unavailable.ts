import { failuresAs } from "@fedsession/subgraph-kit";

/** The auth store (users, login counters) failed: down, timed out, or refused. Callers answer 503, never guess. */
export class AuthStoreUnavailable extends Error {
  constructor(options: { cause: unknown }) {
    super("the auth store is unavailable", options);
    this.name = "AuthStoreUnavailable";
  }
}

/**
 * The same store, with every failed call reported as AuthStoreUnavailable, so the resolver edge can tell an outage
 * (503, retry) from a bug (500) without knowing the Redis client's error types. The store's own typed errors
 * (`isDomainError`) pass through unchanged.
 */
export function failuresAsUnavailable<T extends object>(store: T, isDomainError: (error: unknown) => boolean): T {
  return failuresAs(store, (cause) => new AuthStoreUnavailable({ cause }), isDomainError);
}
