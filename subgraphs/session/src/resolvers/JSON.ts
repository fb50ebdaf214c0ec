import { GraphQLScalarType } from "graphql";
import { jsonFromLiteral, jsonValue } from "./json-literal";

/** Any JSON value. */
export const JSONScalar = new GraphQLScalarType({
  name: "JSON",
  serialize: jsonValue,
  parseValue: jsonValue,
  parseLiteral: jsonFromLiteral,
});
