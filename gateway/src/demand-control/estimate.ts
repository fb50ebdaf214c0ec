import {
  Kind,
  getArgumentValues,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import type { CostDirectives, ListSize } from "./directives";

export interface CostOptions {
  /** Items assumed for a list field with no `@listSize` (Router's `static_estimated.list_size`). */
  defaultListSize: number;
}

/** A mutation's own cost, per root field: each is a write (the IBM cost spec and Router give mutations 10). */
export const MUTATION_FIELD_COST = 10;

/** Child fields a parent's `@listSize(sizedFields:)` sizes, with the size its slicing argument gave. */
type SizedFields = ReadonlyMap<string, number>;
const NONE: SizedFields = new Map();

/**
 * Apollo Router's static cost estimate ("static_estimated" demand control, IBM GraphQL cost spec): a field returning
 * an object, interface or union costs 1, a scalar or enum 0, unless `@cost(weight:)` on the field or its type says
 * otherwise; a list multiplies its items' cost by its size (`@listSize` slicing argument, else `assumedSize`, else
 * the default); `@cost` on a given argument adds its weight. Fragments are counted wherever they are spread,
 * `@skip`/`@include` are ignored (the estimate is an upper bound), introspection costs nothing, and
 * `requireOneSlicingArgument` is not enforced (the project's schemas set it false). Linear in the
 * document: each named fragment is costed once per document (and per `sizedFields` context, in practice one).
 */
class CostEstimator {
  private readonly fragmentCosts = new Map<string, number>();
  private readonly costing = new Set<string>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly directives: CostDirectives,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
    private readonly options: CostOptions,
  ) {}

  private fragment(name: string, sized: SizedFields): number {
    const key = sized.size === 0 ? name : `${name}|${[...sized].join(",")}`;
    const known = this.fragmentCosts.get(key);
    if (known !== undefined) return known;
    const definition = this.fragments.get(name);
    // Unknown and cyclic spreads are refused by graphql-js validation; here they cost nothing.
    if (!definition || this.costing.has(key)) return 0;
    const type = this.schema.getType(definition.typeCondition.name.value);
    if (!type || !isCompositeType(type)) return 0;
    this.costing.add(key);
    const cost = this.selectionSet(definition.selectionSet, type, sized);
    this.costing.delete(key);
    this.fragmentCosts.set(key, cost);
    return cost;
  }

  private slicedSize(field: GraphQLField<unknown, unknown>, node: FieldNode, listSize: ListSize): number | null {
    if (listSize.slicingArguments.length === 0) return null;
    let values: Record<string, unknown>;
    try {
      values = getArgumentValues(field, node, this.variables);
    } catch {
      // Invalid arguments fail at execution anyway; estimate as if none were given.
      return null;
    }
    const sizes = listSize.slicingArguments
      .map((name) => values[name])
      .filter((value): value is number => typeof value === "number" && Number.isFinite(value));
    return sizes.length === 0 ? null : Math.max(0, ...sizes);
  }

  private field(node: FieldNode, parentType: GraphQLCompositeType, sized: SizedFields): number {
    const name = node.name.value;
    if (name.startsWith("__")) return 0;
    if (!isObjectType(parentType) && !isInterfaceType(parentType)) return 0;
    const field = parentType.getFields()[name];
    if (!field) return 0;
    const coordinate = `${parentType.name}.${name}`;
    const returned = getNamedType(field.type);
    const weight =
      this.directives.fields.get(coordinate) ??
      this.directives.types.get(returned.name) ??
      (isCompositeType(returned) ? 1 : 0);

    let argumentsCost = 0;
    for (const argument of node.arguments ?? []) {
      argumentsCost += this.directives.arguments.get(`${coordinate}(${argument.name.value}:)`) ?? 0;
    }

    const listSize = this.directives.listSizes.get(coordinate);
    const sliced = listSize ? this.slicedSize(field, node, listSize) : null;
    const slicesChildren = listSize !== undefined && listSize.sizedFields.length > 0;
    let items = 1;
    if (isListType(getNullableType(field.type))) {
      items =
        sized.get(name) ?? (slicesChildren ? null : sliced) ?? listSize?.assumedSize ?? this.options.defaultListSize;
    }
    const childSized: SizedFields =
      slicesChildren && sliced !== null ? new Map(listSize.sizedFields.map((child) => [child, sliced])) : NONE;
    const children =
      node.selectionSet && isCompositeType(returned) ? this.selectionSet(node.selectionSet, returned, childSized) : 0;
    return items * (weight + children) + argumentsCost;
  }

  selectionSet(selectionSet: SelectionSetNode, parentType: GraphQLCompositeType, sized: SizedFields): number {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        cost += this.field(selection, parentType, sized);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition && this.schema.getType(selection.typeCondition.name.value);
        const type = condition && isCompositeType(condition) ? condition : parentType;
        cost += this.selectionSet(selection.selectionSet, type, sized);
      } else {
        cost += this.fragment(selection.name.value, sized);
      }
    }
    return cost;
  }
}

/** The estimated cost of one operation of a validated document, before any subgraph is called. */
export function estimateOperationCost(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  schema: GraphQLSchema,
  directives: CostDirectives,
  options: CostOptions,
): number {
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return 0;
  const estimator = new CostEstimator(schema, directives, fragments, variables, options);
  const cost = estimator.selectionSet(operation.selectionSet, rootType, NONE);
  if (operation.operation !== "mutation") return cost;
  const rootFields = operation.selectionSet.selections.filter((selection) => selection.kind === Kind.FIELD).length;
  return cost + MUTATION_FIELD_COST * rootFields;
}
