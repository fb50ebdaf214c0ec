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

interface Figures {
  depth: number;
  aliases: number;
  /** Fields at the top of the selection set, through any fragments. */
  fields: number;
}

const NOTHING: Figures = { depth: 0, aliases: 0, fields: 0 };

/**
 * Depth, alias count and top-level field count of selection sets, with each named fragment measured once per
 * document: a fragment spread twice by a fragment spread twice by … would otherwise be walked 2^n times.
 * Alias counts add up over every spread (what execution would produce); depth takes the deepest.
 */
class SelectionMeasurer {
  private readonly measured = new Map<string, Figures>();
  private readonly measuring = new Set<string>();

  constructor(private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>) {}

  private fragment(name: string): Figures {
    const known = this.measured.get(name);
    if (known) return known;
    const definition = this.fragments.get(name);
    // Unknown and cyclic spreads are graphql-js' own validation errors; here they just add nothing.
    if (!definition || this.measuring.has(name)) return NOTHING;
    this.measuring.add(name);
    const figures = this.selectionSet(definition.selectionSet);
    this.measuring.delete(name);
    this.measured.set(name, figures);
    return figures;
  }

  selectionSet(selectionSet: SelectionSetNode): Figures {
    let depth = 0;
    let aliases = 0;
    let fields = 0;
    for (const selection of selectionSet.selections) {
      let inner: Figures;
      if (selection.kind === Kind.FIELD) {
        fields++;
        if (selection.alias) aliases++;
        inner = selection.selectionSet ? this.selectionSet(selection.selectionSet) : NOTHING;
        depth = Math.max(depth, inner.depth + 1);
      } else {
        inner =
          selection.kind === Kind.INLINE_FRAGMENT
            ? this.selectionSet(selection.selectionSet)
            : this.fragment(selection.name.value);
        depth = Math.max(depth, inner.depth);
        fields += inner.fields;
      }
      aliases += inner.aliases;
    }
    return { depth, aliases, fields };
  }
}

/** A validation rule bounding depth, aliases and root fields of every operation in the document. */
export function operationLimitsRule(limits: OperationLimits) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const measurer = new SelectionMeasurer(fragments);
    return {
      OperationDefinition(operation) {
        const { depth, aliases, fields: rootFields } = measurer.selectionSet(operation.selectionSet);
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
