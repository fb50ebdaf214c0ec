import { GraphQLError, GraphQLScalarType, Kind } from "graphql";

function parseIso(text: unknown): Date {
  const date = typeof text === "string" ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime()))
    throw new GraphQLError("DateTime must be an ISO-8601 string", { extensions: { code: "BAD_USER_INPUT" } });
  return date;
}

export const DateTime = new GraphQLScalarType<Date, string>({
  name: "DateTime",
  description: "An ISO-8601 date and time in UTC, such as 2026-01-01T00:00:00.000Z.",
  serialize(value) {
    if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
    throw new GraphQLError("DateTime cannot represent this value");
  },
  parseValue: parseIso,
  parseLiteral: (ast) => parseIso(ast.kind === Kind.STRING ? ast.value : undefined),
});
