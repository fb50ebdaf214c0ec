import { readFileSync } from "node:fs";
import path from "node:path";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import { parse as parseYaml } from "yaml";

const root = path.resolve(__dirname, "../..");

export interface ExtraSubgraph {
  name: string;
  url: string;
  sdl: string;
}

/** A supergraph of exactly these subgraphs. */
export function compose(subgraphs: readonly ExtraSubgraph[]): string {
  const result = composeServices(
    subgraphs.map((subgraph) => ({ name: subgraph.name, url: subgraph.url, typeDefs: parse(subgraph.sdl) })),
  );
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join("\n"));
  return result.supergraphSdl;
}

/** The repository's supergraph.yaml composed with more subgraphs, as a team adding one would compose it. */
export function composeWith(extra: readonly ExtraSubgraph[]): string {
  const config = parseYaml(readFileSync(path.join(root, "supergraph.yaml"), "utf8")) as {
    subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
  };
  const repository = Object.entries(config.subgraphs).map(([name, subgraph]) => ({
    name,
    url: subgraph.routing_url,
    sdl: readFileSync(path.resolve(root, subgraph.schema.file), "utf8"),
  }));
  return compose([...repository, ...extra]);
}

/** A subgraph whose fields need scopes no other subgraph names: what a new team's schema looks like. */
export const BILLING_SUBGRAPH: ExtraSubgraph = {
  name: "billing",
  // Not listening: tests that call it start one and point SUBGRAPH_URL_BILLING at it.
  url: "http://127.0.0.1:9/graphql",
  sdl: `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@requiresScopes"])
    type Invoice { id: ID!  total: Int! }
    type Query {
      invoices: [Invoice!]! @requiresScopes(scopes: [["billing:read"]])
      refunds: [Invoice!]! @requiresScopes(scopes: [["billing:read", "billing:refund"], ["billing:admin"]])
      "Public; an unknown id is the team's own NOT_FOUND error."
      invoice(id: ID!): Invoice
      "Fails inside, as a lost database connection would."
      brokenInvoice: Invoice
      "Throws a GraphQLError with a code the team did not raise on purpose."
      mislabelledInvoice: Invoice
    }
  `,
};
