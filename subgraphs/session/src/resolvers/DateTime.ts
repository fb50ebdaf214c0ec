import { GraphQLError, GraphQLScalarType, Kind } from "graphql";

function toDate(value: unknown): Date {
  const date =
    typeof value === "number" || typeof value === "string" || value instanceof Date ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime()))
    throw new GraphQLError("DateTime must be an ISO-8601 date-time", { extensions: { code: "BAD_USER_INPUT" } });
  return date;
}

/** Epoch milliseconds or Dates inside, ISO-8601 strings on the wire. */
export const DateTime = new GraphQLScalarType({
  name: "DateTime",
  serialize: (value) => toDate(value).toISOString(),
  parseValue: (value) => toDate(typeof value === "string" ? value : NaN),
  parseLiteral: (ast) => toDate(ast.kind === Kind.STRING ? ast.value : NaN),
});
