import {
  Kind,
  isTypeDefinitionNode,
  isTypeExtensionNode,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type DirectiveNode,
  type DocumentNode,
  type SchemaDefinitionNode,
  type SchemaExtensionNode,
} from "graphql";
import type { Identity } from "./identity";

/**
 * What a field or type asks of the caller: a signed-in user, and/or permissions as an OR of ANDs
 * (`[["a", "b"], ["c"]]` = (a AND b) OR c). Scopes are checked against the identity's permissions.
 */
export interface AccessRequirement {
  readonly authenticated: boolean;
  readonly scopes: readonly (readonly string[])[] | null;
}

/** Requirements by schema coordinate: `fields` keyed "Type.field", `types` keyed "Type" (they apply to every field returning it). */
export interface AccessPolicies {
  readonly fields: ReadonlyMap<string, AccessRequirement>;
  readonly types: ReadonlyMap<string, AccessRequirement>;
}

/** The names the auth directives carry in one schema, which @link imports may have renamed. */
export interface AuthDirectiveNames {
  readonly authenticated: string | null;
  readonly requiresScopes: string | null;
}

export type AccessDeniedCode = "UNAUTHENTICATED" | "FORBIDDEN";

export interface AccessDenied {
  readonly code: AccessDeniedCode;
  readonly message: string;
}

type SchemaNode = SchemaDefinitionNode | SchemaExtensionNode;

/** The spec name of a @link url: `https://specs.apollo.dev/federation/v2.7` → "federation". */
function specName(url: string): string | null {
  const segments = url.replace(/\/+$/, "").split("/");
  return segments.length >= 2 ? (segments[segments.length - 2] ?? null) : null;
}

function stringArgument(directive: DirectiveNode, name: string): string | null {
  const argument = directive.arguments?.find((arg) => arg.name.value === name);
  return argument?.value.kind === Kind.STRING ? argument.value.value : null;
}

/** The @link applications on the schema definition and its extensions. */
export function linkDirectives(document: DocumentNode): DirectiveNode[] {
  return document.definitions
    .filter((node): node is SchemaNode => node.kind === Kind.SCHEMA_DEFINITION || node.kind === Kind.SCHEMA_EXTENSION)
    .flatMap((node) => node.directives ?? [])
    .filter((directive) => directive.name.value === "link");
}

/**
 * The local name of directive `element` of the linked spec `spec`, following the @link rules: an import (maybe
 * renamed with `as`), else the namespace itself when the directive is named after the spec, else `namespace__element`.
 * Null when the schema does not link the spec.
 */
export function linkedDirectiveName(links: readonly DirectiveNode[], spec: string, element: string): string | null {
  for (const link of links) {
    const url = stringArgument(link, "url");
    if (url === null || specName(url) !== spec) continue;
    const namespace = stringArgument(link, "as") ?? spec;
    const imports = link.arguments?.find((arg) => arg.name.value === "import")?.value;
    if (imports?.kind === Kind.LIST) {
      for (const entry of imports.values) {
        if (entry.kind === Kind.STRING && entry.value === `@${element}`) return element;
        if (entry.kind === Kind.OBJECT) {
          const field = (name: string) => entry.fields.find((f) => f.name.value === name)?.value;
          const importedName = field("name");
          const alias = field("as");
          if (importedName?.kind === Kind.STRING && importedName.value === `@${element}`) {
            return alias?.kind === Kind.STRING ? alias.value.replace(/^@/, "") : element;
          }
        }
      }
    }
    return element === spec ? namespace : `${namespace}__${element}`;
  }
  return null;
}

/** Names of @authenticated/@requiresScopes in a subgraph schema, where they come from the federation link. */
export function subgraphAuthDirectiveNames(document: DocumentNode): AuthDirectiveNames {
  const links = linkDirectives(document);
  return {
    authenticated: linkedDirectiveName(links, "federation", "authenticated"),
    requiresScopes: linkedDirectiveName(links, "federation", "requiresScopes"),
  };
}

/**
 * Names of @authenticated/@requiresScopes in a composed supergraph, where each is its own linked spec
 * (`https://specs.apollo.dev/requiresScopes/v0.1`) rather than part of the federation link.
 */
export function supergraphAuthDirectiveNames(document: DocumentNode): AuthDirectiveNames {
  const links = linkDirectives(document);
  return {
    authenticated: linkedDirectiveName(links, "authenticated", "authenticated"),
    requiresScopes: linkedDirectiveName(links, "requiresScopes", "requiresScopes"),
  };
}

/** What each type and field of a composed supergraph asks of the caller. */
export function supergraphAccessPolicies(document: DocumentNode): AccessPolicies {
  return collectAccessPolicies(document, supergraphAuthDirectiveNames(document));
}

/** Every scope some @requiresScopes names, sorted and without repeats. */
export function requiredScopes(policies: AccessPolicies): string[] {
  const scopes = new Set<string>();
  for (const requirement of [...policies.fields.values(), ...policies.types.values()]) {
    for (const group of requirement.scopes ?? []) for (const scope of group) scopes.add(scope);
  }
  return [...scopes].sort();
}

function scopesOf(directive: ConstDirectiveNode | DirectiveNode): string[][] {
  const argument = directive.arguments?.find((arg) => arg.name.value === "scopes");
  const value: unknown = argument ? valueFromASTUntyped(argument.value) : [];
  if (!Array.isArray(value)) return [];
  return value.map((group: unknown) =>
    (Array.isArray(group) ? group : [group]).filter((scope): scope is string => typeof scope === "string"),
  );
}

/** Merges the auth directives found on one element (and its extensions); null when it carries none. */
export function requirementOf(
  directives: readonly (ConstDirectiveNode | DirectiveNode)[],
  names: AuthDirectiveNames,
): AccessRequirement | null {
  let authenticated = false;
  let scopes: string[][] | null = null;
  for (const directive of directives) {
    if (directive.name.value === names.authenticated) authenticated = true;
    if (directive.name.value === names.requiresScopes) scopes = [...(scopes ?? []), ...scopesOf(directive)];
  }
  return authenticated || scopes !== null ? { authenticated, scopes } : null;
}

/** Reads the auth directives of every type and field in an SDL document (definitions and extensions alike). */
export function collectAccessPolicies(document: DocumentNode, names: AuthDirectiveNames): AccessPolicies {
  const typeDirectives = new Map<string, ConstDirectiveNode[]>();
  const fieldDirectives = new Map<string, ConstDirectiveNode[]>();
  const append = (map: Map<string, ConstDirectiveNode[]>, key: string, directives: readonly ConstDirectiveNode[]) => {
    if (directives.length > 0) map.set(key, [...(map.get(key) ?? []), ...directives]);
  };
  for (const definition of document.definitions) {
    if (!isTypeDefinitionNode(definition) && !isTypeExtensionNode(definition)) continue;
    const typeName = definition.name.value;
    append(typeDirectives, typeName, definition.directives ?? []);
    if (!("fields" in definition)) continue;
    for (const field of definition.fields ?? []) {
      if (field.kind === Kind.FIELD_DEFINITION) {
        append(fieldDirectives, `${typeName}.${field.name.value}`, field.directives ?? []);
      }
    }
  }
  const toRequirements = (map: Map<string, ConstDirectiveNode[]>) => {
    const result = new Map<string, AccessRequirement>();
    for (const [key, directives] of map) {
      const requirement = requirementOf(directives, names);
      if (requirement !== null) result.set(key, requirement);
    }
    return result;
  };
  return { fields: toRequirements(fieldDirectives), types: toRequirements(typeDirectives) };
}

/**
 * Null when the identity meets the requirement. Anonymous callers are UNAUTHENTICATED for any requirement
 * (scopes need a user); a user without any listed combination of permissions is FORBIDDEN.
 */
export function checkAccess(
  identity: Identity,
  requirement: AccessRequirement,
  coordinate: string,
): AccessDenied | null {
  if (!identity.authenticated) {
    return { code: "UNAUTHENTICATED", message: `You must be signed in to access ${coordinate}` };
  }
  const scopes = requirement.scopes;
  if (scopes === null) return null;
  if (scopes.some((group) => group.every((scope) => identity.permissions.includes(scope)))) return null;
  const needed = scopes.map((group) => group.join(" and ")).join(" or ");
  return { code: "FORBIDDEN", message: `Missing permission for ${coordinate} (needs ${needed})` };
}
