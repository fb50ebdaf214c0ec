import { requireUser } from "@fedsession/subgraph-kit";
import type { SessionContext } from "../context";
import type { SessionRecord } from "../store/session-store";
import { findOwnSession } from "./own-session";
import { orUnavailable } from "./store-errors";

export const Query = {
  currentSession: (_parent: unknown, _args: unknown, context: SessionContext): Promise<SessionRecord | null> | null =>
    context.identity.authenticated ? findOwnSession(context, context.identity.sessionId) : null,

  /** The caller's live sessions (devices), newest first. */
  mySessions: async (_parent: unknown, _args: unknown, { identity, sessions }: SessionContext) => {
    const user = requireUser(identity);
    return (await orUnavailable(sessions.listForUser(user.userId))).reverse();
  },
};
