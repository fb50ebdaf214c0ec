import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { GraphQLError, visit, type DocumentNode } from "graphql";

function hasNonFiniteLiteral(document: DocumentNode): boolean {
  let found = false;
  const check = (value: string) => {
    if (!Number.isFinite(Number(value))) found = true;
  };
  visit(document, { IntValue: (node) => check(node.value), FloatValue: (node) => check(node.value) });
  return found;
}

function hasNonFiniteNumber(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === "number" && !Number.isFinite(item)) return true;
    if (typeof item === "object" && item !== null) pending.push(...Object.values(item));
  }
  return false;
}

/**
 * Refuses numbers that do not fit a double (`1e400` parses to Infinity), in the document or the variables, with
 * BAD_USER_INPUT: JSON cannot carry Infinity, and the query planner fails on it with an internal error.
 */
export function finiteNumbersPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  // Apollo hands the same DocumentNode for a query text it has already parsed: each is scanned once.
  const scanned = new WeakMap<DocumentNode, boolean>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          let literal = scanned.get(document);
          if (literal === undefined) {
            literal = hasNonFiniteLiteral(document);
            scanned.set(document, literal);
          }
          if (!literal && !hasNonFiniteNumber(request.variables)) return;
          throw new GraphQLError("Numbers must fit a double-precision float (1e400 does not)", {
            extensions: { code: "BAD_USER_INPUT", http: { status: 400 } },
          });
        },
      };
    },
  };
}
