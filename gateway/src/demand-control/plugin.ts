import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import {
  GraphQLError,
  Kind,
  getVariableValues,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
} from "graphql";
import type { CostDirectives } from "./directives";
import { estimateOperationCost, type CostOptions } from "./estimate";

/** Apollo Router's code for the same refusal, so clients and dashboards can share one rule. */
export const COST_ESTIMATED_TOO_EXPENSIVE = "COST_ESTIMATED_TOO_EXPENSIVE";

export interface DemandControlOptions extends CostOptions {
  /** Operations estimated above this are refused (MAX_QUERY_COST). */
  maxCost: number;
  directives: CostDirectives;
}

/**
 * Demand control: estimates every operation's cost from the supergraph's `@cost`/`@listSize` once it is resolved,
 * before planning, and refuses one over the limit with HTTP 400 and no subgraph call.
 */
export function demandControlPlugin<TContext extends BaseContext>(
  options: DemandControlOptions,
): ApolloServerPlugin<TContext> {
  if (!Number.isInteger(options.maxCost) || options.maxCost < 1) throw new Error("maxCost must be a positive integer");
  // Apollo hands the same OperationDefinitionNode for a query text it has seen: without variables its cost is fixed.
  const fixedCosts = new WeakMap<OperationDefinitionNode, number>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, schema }) {
          if (!operation) return;
          const variableDefinitions = operation.variableDefinitions ?? [];
          let estimated = variableDefinitions.length === 0 ? fixedCosts.get(operation) : undefined;
          if (estimated === undefined) {
            const fragments = new Map<string, FragmentDefinitionNode>();
            for (const definition of document.definitions) {
              if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
            }
            const coerced = getVariableValues(schema, variableDefinitions, request.variables ?? {});
            estimated = estimateOperationCost(
              operation,
              fragments,
              coerced.coerced ?? {},
              schema,
              options.directives,
              options,
            );
            if (variableDefinitions.length === 0) fixedCosts.set(operation, estimated);
          }
          if (estimated <= options.maxCost) return;
          // A fan-out of fragments can reach Infinity, which JSON cannot carry.
          const reported = Math.min(estimated, Number.MAX_SAFE_INTEGER);
          throw new GraphQLError(
            `Operation estimated cost ${reported} exceeds the limit of ${options.maxCost}: ask for fewer items (first) or fewer nested lists`,
            {
              extensions: {
                code: COST_ESTIMATED_TOO_EXPENSIVE,
                cost: { estimated: reported, max: options.maxCost },
                http: { status: 400 },
              },
            },
          );
        },
      };
    },
  };
}
