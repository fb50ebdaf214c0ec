import { Kind, parse, print, visit, type DirectiveNode } from "graphql";
import { supergraphAccessPolicies, type AccessPolicies } from "@fedsession/subgraph-kit";

/** The specs this module enforces itself; @apollo/gateway refuses them while they are marked `for: SECURITY`. */
const ENFORCED_SPECS = ["authenticated", "requiresScopes"] as const;

export interface PreparedSupergraph {
  /** The supergraph for the query planner: the enforced specs' links without `for: SECURITY`. */
  plannerSdl: string;
  /** What each type and field of the supergraph asks of the caller. */
  policies: AccessPolicies;
}

function linkedSpec(directive: DirectiveNode): string | null {
  const url = directive.arguments?.find((arg) => arg.name.value === "url")?.value;
  if (url?.kind !== Kind.STRING) return null;
  const segments = url.value.replace(/\/+$/, "").split("/");
  return segments[segments.length - 2] ?? null;
}

function withoutSecurityPurpose(directive: DirectiveNode): DirectiveNode {
  if (directive.name.value !== "link") return directive;
  const spec = linkedSpec(directive);
  if (spec === null || !(ENFORCED_SPECS as readonly string[]).includes(spec)) return directive;
  return { ...directive, arguments: directive.arguments?.filter((arg) => arg.name.value !== "for") };
}

/**
 * Splits a composed supergraph into what the planner accepts and what the gateway must enforce. Links of other
 * SECURITY features are left alone, so a supergraph needing a feature nobody enforces still fails to start.
 *
 * @example
 * const { plannerSdl, policies } = prepareSupergraph(await readFile("supergraph.graphql", "utf8"));
 * new ApolloGateway({ supergraphSdl: plannerSdl });
 */
export function prepareSupergraph(supergraphSdl: string): PreparedSupergraph {
  const document = parse(supergraphSdl);
  const policies = supergraphAccessPolicies(document);
  const planner = visit(document, {
    SchemaDefinition: (node) => ({ ...node, directives: node.directives?.map(withoutSecurityPurpose) }),
    SchemaExtension: (node) => ({ ...node, directives: node.directives?.map(withoutSecurityPurpose) }),
  });
  return { plannerSdl: print(planner), policies };
}
