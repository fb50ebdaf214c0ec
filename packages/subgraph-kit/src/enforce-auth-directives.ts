import {
  GraphQLError,
  Kind,
  defaultFieldResolver,
  getNamedType,
  isObjectType,
  type ConstDirectiveNode,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLSchema,
} from "graphql";
import {
  checkAccess,
  requirementOf,
  subgraphAuthDirectiveNames,
  type AccessDenied,
  type AccessRequirement,
  type AuthDirectiveNames,
} from "./auth-directives";
import { ANONYMOUS, type Identity } from "./identity";

/**
 * Where the kit puts the verified identity on every context. A symbol, because the context's shape belongs to the
 * subgraph; enumerable, because Apollo Server copies the context with Object.assign before executing.
 */
const IDENTITY = Symbol.for("fedsession.subgraph-kit.identity");

export function attachIdentity<TContext>(context: TContext, identity: Identity): TContext {
  if (typeof context === "object" && context !== null) {
    Object.defineProperty(context, IDENTITY, { value: identity, enumerable: true });
  }
  return context;
}

function isIdentity(value: unknown): value is Identity {
  return typeof value === "object" && value !== null && typeof Reflect.get(value, "authenticated") === "boolean";
}

/** The identity the kit attached, else a conventional `identity` field; anonymous when neither is there. */
export function identityOf(context: unknown): Identity {
  if (typeof context !== "object" || context === null) return ANONYMOUS;
  const attached: unknown = Reflect.get(context, IDENTITY);
  if (isIdentity(attached)) return attached;
  const conventional: unknown = Reflect.get(context, "identity");
  return isIdentity(conventional) ? conventional : ANONYMOUS;
}

interface Guard {
  requirement: AccessRequirement;
  coordinate: string;
}

function deniedError(denied: AccessDenied): GraphQLError {
  return new GraphQLError(denied.message, { extensions: { code: denied.code } });
}

function firstDenial(identity: Identity, guards: readonly Guard[]): AccessDenied | null {
  for (const guard of guards) {
    const denied = checkAccess(identity, guard.requirement, guard.coordinate);
    if (denied !== null) return denied;
  }
  return null;
}

function typeRequirement(type: GraphQLNamedType, names: AuthDirectiveNames): AccessRequirement | null {
  const directives: ConstDirectiveNode[] = [type.astNode, ...type.extensionASTNodes].flatMap(
    (node) => node?.directives ?? [],
  );
  return requirementOf(directives, names);
}

function schemaDocument(schema: GraphQLSchema): DocumentNode {
  const definitions = [schema.astNode, ...schema.extensionASTNodes].filter(
    (node): node is NonNullable<typeof node> => node !== null && node !== undefined,
  );
  return { kind: Kind.DOCUMENT, definitions };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Items of `_entities` whose type the caller may not see become errors (null in the list); the rest resolve as usual. */
function guardEntities(
  resolve: GraphQLFieldResolver<unknown, unknown>,
  typeRequirements: ReadonlyMap<string, AccessRequirement>,
): GraphQLFieldResolver<unknown, unknown> {
  return async (source, args: Record<string, unknown>, context, info) => {
    const identity = identityOf(context);
    const representations = Array.isArray(args.representations) ? (args.representations as unknown[]) : [];
    const denials = representations.map((representation) => {
      const typename = isRecord(representation) ? representation.__typename : undefined;
      const requirement = typeof typename === "string" ? typeRequirements.get(typename) : undefined;
      return requirement && typeof typename === "string" ? checkAccess(identity, requirement, typename) : null;
    });
    if (denials.every((denied) => denied === null)) return resolve(source, args, context, info);
    const allowed = representations.filter((_, index) => denials[index] === null);
    const resolved: unknown =
      allowed.length > 0 ? await resolve(source, { ...args, representations: allowed }, context, info) : [];
    const values = Array.isArray(resolved) ? resolved : [];
    let next = 0;
    return denials.map((denied) => (denied === null ? values[next++] : deniedError(denied)));
  };
}

const enforced = new WeakSet<GraphQLSchema>();

/**
 * Makes every resolver of a field that carries @authenticated/@requiresScopes (on itself, its type, or the type it
 * returns) refuse before running: UNAUTHENTICATED for anonymous callers, FORBIDDEN without the permissions. Defence
 * in depth behind the gateway, which enforces the same directives before planning. Changes the schema in place.
 */
export function enforceAuthDirectives(schema: GraphQLSchema): GraphQLSchema {
  if (enforced.has(schema)) return schema;
  enforced.add(schema);
  const names = subgraphAuthDirectiveNames(schemaDocument(schema));
  if (names.authenticated === null && names.requiresScopes === null) return schema;

  const typeRequirements = new Map<string, AccessRequirement>();
  for (const type of Object.values(schema.getTypeMap())) {
    const requirement = typeRequirement(type, names);
    if (requirement !== null) typeRequirements.set(type.name, requirement);
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      const original = field.resolve ?? defaultFieldResolver;
      if (type === schema.getQueryType() && field.name === "_entities") {
        if (typeRequirements.size > 0) field.resolve = guardEntities(original, typeRequirements);
        continue;
      }
      const fieldDirectives = field.astNode?.directives ?? [];
      const returned = getNamedType(field.type).name;
      const guards = [
        { requirement: requirementOf(fieldDirectives, names), coordinate },
        { requirement: typeRequirements.get(type.name) ?? null, coordinate: type.name },
        { requirement: typeRequirements.get(returned) ?? null, coordinate: returned },
      ].filter((guard): guard is Guard => guard.requirement !== null);
      if (guards.length === 0) continue;
      field.resolve = (source, args, context, info) => {
        const denied = firstDenial(identityOf(context), guards);
        if (denied !== null) throw deniedError(denied);
        return original(source, args, context, info);
      };
    }
  }
  return schema;
}
