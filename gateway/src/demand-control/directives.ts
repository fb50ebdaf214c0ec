import { Kind, valueFromASTUntyped, type ConstDirectiveNode, type DirectiveNode, type DocumentNode } from "graphql";
import { linkDirectives, linkedDirectiveName } from "@fedsession/subgraph-kit";

/** What `@listSize` says about one list field (Federation 2.9, as Apollo Router's demand control reads it). */
export interface ListSize {
  assumedSize: number | null;
  slicingArguments: readonly string[];
  /** Child fields the slicing argument sizes instead of this field (a connection's `edges`/`nodes`). */
  sizedFields: readonly string[];
  requireOneSlicingArgument: boolean;
}

/** The supergraph's `@cost` and `@listSize`, by schema coordinate. */
export interface CostDirectives {
  /** `Type` (object, scalar, enum) → weight. */
  types: ReadonlyMap<string, number>;
  /** `Type.field` → weight. */
  fields: ReadonlyMap<string, number>;
  /** `Type.field(argument:)` → weight. */
  arguments: ReadonlyMap<string, number>;
  /** `Type.field` → list size. */
  listSizes: ReadonlyMap<string, ListSize>;
}

function argument(directive: DirectiveNode, name: string): unknown {
  const value = directive.arguments?.find((arg) => arg.name.value === name)?.value;
  return value === undefined ? undefined : valueFromASTUntyped(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function readListSize(directive: DirectiveNode): ListSize {
  const assumedSize = argument(directive, "assumedSize");
  const requireOne = argument(directive, "requireOneSlicingArgument");
  return {
    assumedSize: typeof assumedSize === "number" ? assumedSize : null,
    slicingArguments: strings(argument(directive, "slicingArguments")),
    sizedFields: strings(argument(directive, "sizedFields")),
    // The directive's own default.
    requireOneSlicingArgument: requireOne !== false,
  };
}

/**
 * Reads `@cost`/`@listSize` from a composed supergraph under the names its `@link` to the cost spec gives them
 * (composition keeps them when a subgraph imports them from federation v2.9).
 */
export function collectCostDirectives(supergraph: DocumentNode): CostDirectives {
  const links = linkDirectives(supergraph);
  const costName = linkedDirectiveName(links, "cost", "cost");
  const listSizeName = linkedDirectiveName(links, "cost", "listSize");
  const types = new Map<string, number>();
  const fields = new Map<string, number>();
  const args = new Map<string, number>();
  const listSizes = new Map<string, ListSize>();
  const weightOf = (directives: readonly ConstDirectiveNode[] | undefined): number | null => {
    const cost = directives?.find((directive) => directive.name.value === costName);
    const weight = cost ? argument(cost, "weight") : undefined;
    return typeof weight === "number" ? weight : null;
  };
  for (const definition of supergraph.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION &&
      definition.kind !== Kind.SCALAR_TYPE_DEFINITION &&
      definition.kind !== Kind.ENUM_TYPE_DEFINITION
    ) {
      continue;
    }
    const typeName = definition.name.value;
    const typeWeight = weightOf(definition.directives);
    if (typeWeight !== null) types.set(typeName, typeWeight);
    if (!("fields" in definition)) continue;
    for (const field of definition.fields ?? []) {
      const coordinate = `${typeName}.${field.name.value}`;
      const fieldWeight = weightOf(field.directives);
      if (fieldWeight !== null) fields.set(coordinate, fieldWeight);
      const listSize = field.directives?.find((directive) => directive.name.value === listSizeName);
      if (listSize) listSizes.set(coordinate, readListSize(listSize));
      for (const arg of field.arguments ?? []) {
        const argWeight = weightOf(arg.directives);
        if (argWeight !== null) args.set(`${coordinate}(${arg.name.value}:)`, argWeight);
      }
    }
  }
  return { types, fields, arguments: args, listSizes };
}
