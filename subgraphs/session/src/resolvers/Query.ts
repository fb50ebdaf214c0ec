import type { SessionContext } from "../context";
import type { SessionRecord } from "../store/session-store";
import { findOwnSession } from "./own-session";

export const Query = {
  currentSession: (_parent: unknown, _args: unknown, context: SessionContext): Promise<SessionRecord | null> | null =>
    context.identity.authenticated ? findOwnSession(context, context.identity.sessionId) : null,
};
