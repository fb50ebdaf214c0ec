import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from "graphql";

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxTokens: number;
}

type Fragments = Map<string, FragmentDefinitionNode>;

/** Walks selections through fragments, visiting each named fragment at most once per path (cycles are invalid anyway). */
function measure(
  selectionSet: SelectionSetNode,
  fragments: Fragments,
  seen: ReadonlySet<string>,
): { depth: number; aliases: number } {
  let depth = 0;
  let aliases = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.alias) aliases++;
      if (selection.selectionSet) {
        const inner = measure(selection.selectionSet, fragments, seen);
        depth = Math.max(depth, inner.depth + 1);
        aliases += inner.aliases;
      } else {
        depth = Math.max(depth, 1);
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const inner = measure(selection.selectionSet, fragments, seen);
      depth = Math.max(depth, inner.depth);
      aliases += inner.aliases;
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || seen.has(fragment.name.value)) continue;
      const inner = measure(fragment.selectionSet, fragments, new Set([...seen, fragment.name.value]));
      depth = Math.max(depth, inner.depth);
      aliases += inner.aliases;
    }
  }
  return { depth, aliases };
}

function countRootFields(selectionSet: SelectionSetNode, fragments: Fragments, seen: ReadonlySet<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count++;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += countRootFields(selection.selectionSet, fragments, seen);
    else {
      const fragment = fragments.get(selection.name.value);
      if (fragment && !seen.has(fragment.name.value)) {
        count += countRootFields(fragment.selectionSet, fragments, new Set([...seen, fragment.name.value]));
      }
    }
  }
  return count;
}

/** A validation rule bounding depth, aliases and root fields of every operation in the document. */
export function operationLimitsRule(limits: OperationLimits) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments: Fragments = new Map();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    return {
      OperationDefinition(operation) {
        const { depth, aliases } = measure(operation.selectionSet, fragments, new Set());
        const rootFields = countRootFields(operation.selectionSet, fragments, new Set());
        const report = (what: string, actual: number, limit: number) =>
          context.reportError(
            new GraphQLError(`Operation ${what} is ${actual}, over the limit of ${limit}`, { nodes: [operation] }),
          );
        if (depth > limits.maxDepth) report("depth", depth, limits.maxDepth);
        if (aliases > limits.maxAliases) report("alias count", aliases, limits.maxAliases);
        if (rootFields > limits.maxRootFields) report("root field count", rootFields, limits.maxRootFields);
      },
    };
  };
}
