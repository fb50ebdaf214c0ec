import { GraphQLError, Kind, type ValueNode } from "graphql";
import { isJsonValue, type JsonValue } from "../json";

export function badJson(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } });
}

export function jsonValue(value: unknown): JsonValue {
  if (!isJsonValue(value)) throw badJson("JSON values are null, booleans, finite numbers, strings, lists and objects");
  return value;
}

/** A JSON value written inline in a query, variables included. */
export function jsonFromLiteral(ast: ValueNode, variables?: Record<string, unknown> | null): JsonValue {
  switch (ast.kind) {
    case Kind.NULL:
      return null;
    case Kind.BOOLEAN:
    case Kind.STRING:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return jsonValue(Number(ast.value));
    case Kind.LIST:
      return ast.values.map((value) => jsonFromLiteral(value, variables));
    case Kind.OBJECT:
      // Object.fromEntries defines own properties, so a "__proto__" field stays plain data.
      return Object.fromEntries(ast.fields.map((field) => [field.name.value, jsonFromLiteral(field.value, variables)]));
    case Kind.VARIABLE:
      return jsonValue(variables?.[ast.name.value] ?? null);
    case Kind.ENUM:
      throw badJson(`JSON has no enum values; write "${ast.value}" as a string`);
  }
}
