import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "./context";

/** Generic internal errors carry the request id, so a user's report can be matched to the gateway's log line. */
export function requestIdPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== "single" || !response.body.singleResult.errors) return;
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) =>
            error.extensions?.code === "INTERNAL_SERVER_ERROR"
              ? { ...error, extensions: { ...error.extensions, requestId: contextValue.requestId } }
              : error,
          );
        },
      };
    },
  };
}
