import { createHash } from "node:crypto";
import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "./context";

/**
 * Strong ETags for successful query responses. The identity is part of the hash, so one user's ETag can never
 * match another user's response, even when the bodies are equal. Mutations, errors and responses that set a
 * cookie carry none.
 */
export function etagPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response, operation, contextValue }) {
          const headers = response.http.headers;
          headers.set("vary", "Cookie, Authorization");
          if (operation?.operation !== "query" || response.body.kind !== "single") return;
          const result = response.body.singleResult;
          if (result.errors?.length || contextValue.responseHeaders.setsCookie()) return;
          const identity = contextValue.identity;
          const owner = identity.authenticated ? `${identity.userId}:${identity.sessionId}` : "anonymous";
          const digest = createHash("sha256")
            .update(owner)
            .update("\n")
            .update(JSON.stringify(result))
            .digest("base64url");
          const etag = `"${digest}"`;
          headers.set("etag", etag);
          headers.set("cache-control", "private, no-cache");
          const ifNoneMatch = request.http?.headers.get("if-none-match");
          if (ifNoneMatch !== undefined && ifNoneMatch.split(",").some((candidate) => candidate.trim() === etag)) {
            response.http.status = 304;
          }
        },
      };
    },
  };
}
