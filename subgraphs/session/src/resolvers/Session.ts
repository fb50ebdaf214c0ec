import type { SessionResolvers } from "../generated/graphql";
import { sessionExpiresAt } from "../store/session-store";
import { findOwnSession } from "./own-session";

export const Session: SessionResolvers = {
  /** Other subgraphs may reference any id; only the caller's own sessions resolve. */
  __resolveReference: ({ id }, context) => findOwnSession(context, id),
  expiresAt: (record) => sessionExpiresAt(record),
  current: (record, _args, { identity }) => identity.authenticated && record.id === identity.sessionId,
  data: (record) => record.data,
};
