import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getDirectiveValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  visit,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from "graphql";
import {
  checkAccess,
  type AccessDeniedCode,
  type AccessPolicies,
  type AccessRequirement,
  type Identity,
} from "@fedsession/subgraph-kit";

/** Alias of the `__typename` added where a refused field sat in a fragment on some of an abstract type's members. */
export const TYPENAME_MARKER = "_authorizationTypename";

/** Marks a list position in a denied field's path: the field is refused in every item. */
export const LIST_ITEM = "@";

export interface DeniedField {
  /** Response keys from the root, with "@" for each list level (indices are unknown before execution). */
  path: readonly string[];
  code: AccessDeniedCode;
  message: string;
  /** Whether each position of `path` may be null; a refused non-null field nulls the nearest nullable one. */
  nullable: readonly boolean[];
  /** The concrete types of the object holding the field, when a fragment on an abstract type narrowed them. */
  parentTypes: readonly string[] | null;
}

export interface AuthorizedOperation {
  /** The operation without the refused fields (the original document when nothing was refused). */
  document: DocumentNode;
  denied: DeniedField[];
  /** False when nothing is left to execute: no subgraph may be called. */
  executable: boolean;
}

interface Position {
  path: readonly string[];
  nullable: readonly boolean[];
  /** The type of the object at this position, before any fragment narrows it. */
  type: GraphQLCompositeType;
}

interface Rewritten {
  selections: SelectionNode[];
  /** Some included selection is left. */
  live: boolean;
  changed: boolean;
  /** A field was refused inside a fragment narrowing this position's abstract type. */
  needsTypename: boolean;
  firstDenial: DeniedField | null;
}

const UNCHANGED: Rewritten = { selections: [], live: false, changed: false, needsTypename: false, firstDenial: null };

interface Guard {
  requirement: AccessRequirement;
  coordinate: string;
}

type Spread = { node: InlineFragmentNode | null; result: Rewritten };

class OperationAuthorizer {
  readonly denied = new Map<string, DeniedField>();
  /**
   * Each named fragment rewritten once per position: a fragment spread twice by a fragment spread twice by …
   * would otherwise be walked 2^n times. Its denials were recorded the first time.
   */
  private readonly spreads = new Map<string, Spread>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly policies: AccessPolicies,
    private readonly identity: Identity,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown> | null,
  ) {}

  private included(node: SelectionNode): boolean {
    if (this.variables === null) return true;
    const skip = getDirectiveValues(GraphQLSkipDirective, node, this.variables);
    if (skip?.if === true) return false;
    const include = getDirectiveValues(GraphQLIncludeDirective, node, this.variables);
    return include?.if !== false;
  }

  private possibleTypeNames(type: GraphQLCompositeType): Set<string> {
    return new Set(isAbstractType(type) ? this.schema.getPossibleTypes(type).map((t) => t.name) : [type.name]);
  }

  private guardsFor(
    parentType: GraphQLCompositeType,
    narrowed: ReadonlySet<string> | null,
    fieldName: string,
    returns: GraphQLOutputType,
  ): Guard[] {
    const candidates = [...(narrowed ?? this.possibleTypeNames(parentType))];
    const guards: (Guard | null)[] = [];
    const typeGuard = (name: string) => {
      const requirement = this.policies.types.get(name);
      return requirement ? { requirement, coordinate: name } : null;
    };
    const fieldGuard = (typeName: string) => {
      const requirement = this.policies.fields.get(`${typeName}.${fieldName}`);
      return requirement ? { requirement, coordinate: `${typeName}.${fieldName}` } : null;
    };
    // Selected on an interface, a field is as protected as its most protected implementation.
    if (isInterfaceType(parentType)) guards.push(fieldGuard(parentType.name));
    for (const candidate of candidates) guards.push(typeGuard(candidate), fieldGuard(candidate));
    guards.push(typeGuard(getNamedType(returns).name));
    return guards.filter((guard): guard is Guard => guard !== null);
  }

  private deny(denial: DeniedField): DeniedField {
    const key = `${denial.path.join(".")}:${denial.code}`;
    if (!this.denied.has(key)) this.denied.set(key, denial);
    return denial;
  }

  private narrow(
    at: Position,
    narrowed: ReadonlySet<string> | null,
    fragmentType: GraphQLCompositeType,
  ): ReadonlySet<string> | null {
    if (!isAbstractType(at.type)) return null;
    const within = narrowed ?? this.possibleTypeNames(at.type);
    return new Set([...this.possibleTypeNames(fragmentType)].filter((name) => within.has(name)));
  }

  private fragment(
    node: InlineFragmentNode,
    parentType: GraphQLCompositeType,
    narrowed: ReadonlySet<string> | null,
    at: Position,
  ): { node: InlineFragmentNode | null; result: Rewritten } {
    const conditionType = node.typeCondition ? this.schema.getType(node.typeCondition.name.value) : parentType;
    const fragmentType = conditionType && isCompositeType(conditionType) ? conditionType : parentType;
    const result = this.selectionSet(node.selectionSet, fragmentType, this.narrow(at, narrowed, fragmentType), at);
    if (!result.live && result.changed) return { node: null, result };
    return { node: { ...node, selectionSet: { ...node.selectionSet, selections: result.selections } }, result };
  }

  private field(
    node: FieldNode,
    parentType: GraphQLCompositeType,
    narrowed: ReadonlySet<string> | null,
    at: Position,
  ): { node: FieldNode | null; result: Rewritten } {
    const unchanged = (live: boolean): { node: FieldNode; result: Rewritten } => ({
      node,
      result: { selections: [], live, changed: false, needsTypename: false, firstDenial: null },
    });
    if (node.name.value.startsWith("__")) return unchanged(true);
    const definition =
      isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[node.name.value] : undefined;
    if (definition === undefined) return unchanged(true);

    const responseKey = node.alias?.value ?? node.name.value;
    const fieldPath = [...at.path, responseKey];
    const fieldNullable = [...at.nullable, !isNonNullType(definition.type)];
    const refused = (code: AccessDeniedCode, message: string): { node: null; result: Rewritten } => {
      const denial = this.deny({
        path: fieldPath,
        code,
        message,
        nullable: fieldNullable,
        parentTypes: narrowed ? [...narrowed] : null,
      });
      return {
        node: null,
        result: { selections: [], live: false, changed: true, needsTypename: narrowed !== null, firstDenial: denial },
      };
    };

    for (const guard of this.guardsFor(parentType, narrowed, node.name.value, definition.type)) {
      const denied = checkAccess(this.identity, guard.requirement, guard.coordinate);
      if (denied !== null) return refused(denied.code, denied.message);
    }
    if (!node.selectionSet) return unchanged(true);

    let path = fieldPath;
    const nullable = [...fieldNullable];
    let type = isNonNullType(definition.type) ? definition.type.ofType : definition.type;
    while (isListType(type)) {
      const item: GraphQLOutputType = type.ofType;
      path = [...path, LIST_ITEM];
      nullable.push(!isNonNullType(item));
      type = isNonNullType(item) ? item.ofType : item;
    }
    const namedType = getNamedType(definition.type);
    if (!isCompositeType(namedType)) return unchanged(true);
    const child = this.selectionSet(node.selectionSet, namedType, null, { path, nullable, type: namedType });
    if (!child.changed) return unchanged(true);
    if (!child.live) {
      const cause = child.firstDenial;
      const coordinate = `${parentType.name}.${node.name.value}`;
      return refused(cause?.code ?? "FORBIDDEN", `Every field selected on ${coordinate} was refused`);
    }
    const selections = child.needsTypename
      ? [
          ...child.selections,
          {
            kind: Kind.FIELD,
            alias: { kind: Kind.NAME, value: TYPENAME_MARKER },
            name: { kind: Kind.NAME, value: "__typename" },
          } satisfies FieldNode,
        ]
      : child.selections;
    return {
      node: { ...node, selectionSet: { ...node.selectionSet, selections } },
      result: { selections: [], live: true, changed: true, needsTypename: false, firstDenial: child.firstDenial },
    };
  }

  /** Fragment spreads become inline fragments: what a fragment may show depends on where it is spread. */
  private spreadAsInline(name: string, directives: InlineFragmentNode["directives"]): InlineFragmentNode | null {
    const definition = this.fragments.get(name);
    if (!definition) return null;
    return {
      kind: Kind.INLINE_FRAGMENT,
      typeCondition: definition.typeCondition,
      directives,
      selectionSet: definition.selectionSet,
    };
  }

  private spread(
    node: FragmentSpreadNode,
    parentType: GraphQLCompositeType,
    narrowed: ReadonlySet<string> | null,
    at: Position,
  ): Spread | null {
    const name = node.name.value;
    const position = [
      name,
      parentType.name,
      narrowed ? [...narrowed].sort().join(",") : "*",
      at.type.name,
      at.path.join("."),
      at.nullable.join(","),
    ].join("|");
    const known = this.spreads.get(position);
    if (known) return known.node === null ? known : { ...known, node: { ...known.node, directives: node.directives } };
    const inline = this.spreadAsInline(name, node.directives);
    if (inline === null) return null;
    // A cycle (refused by graphql-js validation before this runs) would recurse forever: keep the spread as it is.
    this.spreads.set(position, { node: inline, result: { ...UNCHANGED, live: true } });
    const rewritten = this.fragment(inline, parentType, narrowed, at);
    this.spreads.set(position, rewritten);
    return rewritten;
  }

  selectionSet(
    selectionSet: SelectionSetNode,
    parentType: GraphQLCompositeType,
    narrowed: ReadonlySet<string> | null,
    at: Position,
  ): Rewritten {
    const out: Rewritten = { selections: [], live: false, changed: false, needsTypename: false, firstDenial: null };
    for (const selection of selectionSet.selections) {
      if (!this.included(selection)) {
        out.selections.push(selection);
        continue;
      }
      let rewritten: { node: SelectionNode | null; result: Rewritten };
      if (selection.kind === Kind.FIELD) {
        rewritten = this.field(selection, parentType, narrowed, at);
      } else {
        const spread =
          selection.kind === Kind.INLINE_FRAGMENT
            ? this.fragment(selection, parentType, narrowed, at)
            : this.spread(selection, parentType, narrowed, at);
        if (spread === null) {
          out.selections.push(selection);
          continue;
        }
        rewritten = spread.result.changed ? spread : { ...spread, node: selection };
      }
      if (rewritten.node !== null) out.selections.push(rewritten.node);
      out.live ||= rewritten.result.live;
      out.changed ||= rewritten.result.changed;
      out.needsTypename ||= rewritten.result.needsTypename;
      out.firstDenial ??= rewritten.result.firstDenial;
    }
    return out;
  }
}

/**
 * Removes from an operation every field the identity may not see under the supergraph's @authenticated and
 * @requiresScopes, before any query planning or subgraph call, and says where each refused field was.
 * A field whose whole selection is refused is removed (and reported) too.
 */
export function authorizeOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | undefined,
  schema: GraphQLSchema,
  policies: AccessPolicies,
  identity: Identity,
): AuthorizedOperation {
  const operation = getOperationAST(document, operationName);
  const rootType = operation ? schema.getRootType(operation.operation) : undefined;
  if (!operation || !rootType) return { document, denied: [], executable: true };

  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  const fragments = new Map(
    document.definitions
      .filter((node): node is FragmentDefinitionNode => node.kind === Kind.FRAGMENT_DEFINITION)
      .map((node) => [node.name.value, node]),
  );
  const authorizer = new OperationAuthorizer(schema, policies, identity, fragments, coerced.coerced ?? null);
  const result = authorizer.selectionSet(operation.selectionSet, rootType, null, {
    path: [],
    nullable: [],
    type: rootType,
  });
  const denied = [...authorizer.denied.values()];
  if (denied.length === 0) return { document, denied, executable: true };
  const rewritten = { ...operation, selectionSet: { ...operation.selectionSet, selections: result.selections } };
  return {
    document: { kind: Kind.DOCUMENT, definitions: [rewritten, ...reachableFragments(rewritten, fragments)] },
    denied,
    executable: result.live,
  };
}

/** The fragments still spread somewhere after refused fields were cut out; the rest would be unused. */
function reachableFragments(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): FragmentDefinitionNode[] {
  const reached = new Map<string, FragmentDefinitionNode>();
  const pending: ASTNode[] = [operation];
  while (pending.length > 0) {
    visit(pending.pop() as ASTNode, {
      FragmentSpread(spread) {
        const definition = fragments.get(spread.name.value);
        if (definition && !reached.has(spread.name.value)) {
          reached.set(spread.name.value, definition);
          pending.push(definition);
        }
      },
    });
  }
  return [...reached.values()];
}
