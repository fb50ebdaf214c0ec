import { Kind, type DocumentNode } from "graphql";
import { ConfigError } from "@fedsession/runtime";
import type { SubgraphUrlOverride } from "./config";

/** The subgraphs a composed supergraph names: the `name` of each `@join__graph` on its join__Graph enum. */
export function supergraphSubgraphNames(document: DocumentNode): string[] {
  const names: string[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== "join__Graph") continue;
    for (const value of definition.values ?? []) {
      const graph = value.directives?.find((directive) => directive.name.value === "join__graph");
      const name = graph?.arguments?.find((argument) => argument.name.value === "name")?.value;
      if (name?.kind === Kind.STRING) names.push(name.value);
    }
  }
  return names;
}

/** An override for a subgraph the supergraph does not have is a typo that would leave the composed URL in use. */
export function checkSubgraphUrlOverrides(
  overrides: Readonly<Record<string, SubgraphUrlOverride>>,
  subgraphNames: readonly string[],
): void {
  for (const [name, override] of Object.entries(overrides)) {
    if (subgraphNames.includes(name)) continue;
    throw new ConfigError(
      override.variable,
      `the supergraph has no subgraph "${name}" (it has ${subgraphNames.join(", ")})`,
    );
  }
}
