import { GraphQLError } from "graphql";
import { requireUser } from "@fedsession/subgraph-kit";
import { MAX_SESSION_PAGE } from "../sessions";
import type { QueryResolvers } from "../generated/graphql";
import { findOwnSession } from "./own-session";
import { orUnavailable } from "./store-errors";

export const Query: QueryResolvers = {
  currentSession: (_parent, _args, context) =>
    context.identity.authenticated ? findOwnSession(context, context.identity.sessionId) : null,

  /** The caller's live sessions (devices), newest first, at most `first` of them. */
  mySessions: async (_parent, { first }, { identity, sessions }) => {
    const user = requireUser(identity);
    if (!Number.isInteger(first) || first < 1 || first > MAX_SESSION_PAGE) {
      throw new GraphQLError(`first must be from 1 to ${MAX_SESSION_PAGE}`, { extensions: { code: "BAD_USER_INPUT" } });
    }
    return orUnavailable(sessions.listForUser(user.userId, first));
  },
};
