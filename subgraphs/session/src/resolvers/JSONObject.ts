import { GraphQLScalarType, type ValueNode } from "graphql";
import { isJsonObject, type JsonObject } from "../json";
import { badJson, jsonFromLiteral } from "./json-literal";

function jsonObject(value: unknown): JsonObject {
  if (!isJsonObject(value)) throw badJson("expected a JSON object");
  return value;
}

/** A JSON object (not an array, string or null at the top). */
export const JSONObject = new GraphQLScalarType({
  name: "JSONObject",
  serialize: jsonObject,
  parseValue: jsonObject,
  parseLiteral: (ast: ValueNode, variables?: Record<string, unknown> | null) =>
    jsonObject(jsonFromLiteral(ast, variables)),
});
