import { createHash } from "node:crypto";
import { HeaderMap, type ApolloServerPlugin, type BaseContext } from "@apollo/server";
import { getOperationAST, print } from "graphql";
import type { AccessPolicies, Identity } from "@fedsession/subgraph-kit";
import { authorizeOperation, type DeniedField } from "./authorize-operation";
import { applyDenials } from "./denied-response";

/**
 * Enforces the supergraph's @authenticated/@requiresScopes before planning: refused fields are cut from the
 * operation (so no subgraph sees them), then answered with null and an UNAUTHENTICATED or FORBIDDEN error.
 */
export function authorizationPlugin<TContext extends BaseContext & { identity: Identity }>(
  policies: AccessPolicies,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      let denied: DeniedField[] = [];
      let executable = true;
      return {
        async didResolveOperation(requestContext) {
          const result = authorizeOperation(
            requestContext.document,
            requestContext.operationName,
            requestContext.request.variables,
            requestContext.schema,
            policies,
            requestContext.contextValue.identity,
          );
          if (result.denied.length === 0) return;
          denied = result.denied;
          executable = result.executable;
          if (!executable) return;
          // The gateway caches query plans by queryHash, so the trimmed document needs its own hash.
          Object.assign(requestContext, {
            document: result.document,
            queryHash: createHash("sha256").update(print(result.document)).digest("hex"),
            operation: getOperationAST(result.document, requestContext.operationName) ?? requestContext.operation,
          });
        },
        async responseForOperation() {
          if (executable) return null;
          return {
            http: { status: undefined, headers: new HeaderMap() },
            body: { kind: "single", singleResult: { data: {} } },
          };
        },
        async willSendResponse({ response }) {
          if (denied.length === 0 || response.body.kind !== "single") return;
          applyDenials(response.body.singleResult, denied);
        },
      };
    },
  };
}
