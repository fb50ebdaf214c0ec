import type { QueryResolvers } from "../generated/graphql";
import { orUnavailable } from "./errors";

export const Query: QueryResolvers = {
  me: (_parent, _args, context) =>
    context.identity.authenticated ? orUnavailable(context.users.load(context.identity.userId), context) : null,
};
