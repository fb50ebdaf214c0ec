import type { ApolloServerPlugin, BaseContext } from "@apollo/server";

/** How long a client should wait before retrying after a store outage, in seconds. */
export const STORE_RETRY_AFTER_SECONDS = 1;

/**
 * An outage is a 503 with Retry-After wherever it happens: the gateway's own session lookup sets it directly, and
 * this plugin does the same when a subgraph reported SESSION_STORE_UNAVAILABLE (for a query or a mutation, from the
 * session or the auth store), so clients and proxies can tell a retryable failure from a bug.
 */
export function storeUnavailablePlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== "single") return;
          const errors = response.body.singleResult.errors ?? [];
          if (!errors.some((error) => error.extensions?.code === "SESSION_STORE_UNAVAILABLE")) return;
          response.http.status = 503;
          response.http.headers.set("retry-after", String(STORE_RETRY_AFTER_SECONDS));
          response.http.headers.set("cache-control", "no-store");
        },
      };
    },
  };
}
