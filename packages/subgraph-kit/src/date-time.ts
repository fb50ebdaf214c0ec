import { GraphQLScalarType } from "graphql";
import { DateTimeISOResolver } from "graphql-scalars";

/**
 * The `DateTime` scalar every subgraph declares (`scalar DateTime`): ISO-8601 strings in UTC on the wire, a `Date`
 * (or epoch milliseconds) from resolvers, a `Date` from arguments. graphql-scalars names its string-serializing
 * variant `DateTimeISO`; the supergraph's name is `DateTime`, and composition needs every subgraph to agree on it.
 */
export const DateTime = new GraphQLScalarType({
  ...DateTimeISOResolver.toConfig(),
  name: "DateTime",
  description: "An ISO-8601 date and time in UTC, such as 2026-01-01T00:00:00.000Z.",
});
