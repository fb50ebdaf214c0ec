import { GraphQLError } from "graphql";

export const badUserInput = (message: string, argument: string) =>
  new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", argument } });

export const forbidden = (message: string, details: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code: "FORBIDDEN", ...details } });
