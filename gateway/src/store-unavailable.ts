import type { ApolloServerPlugin, BaseContext } from "@apollo/server";

/** How long a client should wait before retrying after a store outage, in seconds. */
export const STORE_RETRY_AFTER_SECONDS = 1;

/** An outage somewhere behind the gateway that a client may retry (a subgraph away, a subgraph's own store down). */
const RETRYABLE_CODES: ReadonlySet<unknown> = new Set(["SUBGRAPH_UNAVAILABLE", "SERVICE_UNAVAILABLE"]);

/** Whether the answer holds nothing at all: no data, or null in every field asked for. */
const holdsNoData = (data: Record<string, unknown> | null | undefined) =>
  data === null || data === undefined || Object.values(data).every((value) => value === null);

/**
 * An outage is a 503 with Retry-After wherever it happens: the gateway's own session lookup sets it directly, and
 * this plugin does the same when a subgraph reported SESSION_STORE_UNAVAILABLE (for a query or a mutation, from the
 * session or the auth store), so clients and proxies can tell a retryable failure from a bug. Another subgraph or
 * its store being away (SUBGRAPH_UNAVAILABLE, SERVICE_UNAVAILABLE) makes a 503 only when nothing else could be
 * answered: partial data is still a 200, its errors saying which fields failed and why.
 */
export function storeUnavailablePlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== "single") return;
          const { data, errors = [] } = response.body.singleResult;
          const codes = errors.map((error) => error.extensions?.code);
          const sessionStore = codes.includes("SESSION_STORE_UNAVAILABLE");
          if (!sessionStore && !(holdsNoData(data) && codes.some((code) => RETRYABLE_CODES.has(code)))) return;
          response.http.status = 503;
          response.http.headers.set("retry-after", String(STORE_RETRY_AFTER_SECONDS));
          response.http.headers.set("cache-control", "no-store");
        },
      };
    },
  };
}
