import type { SessionContext } from "../context";
import type { JsonObject } from "../json";
import { sessionExpiresAt, type SessionRecord } from "../store/session-store";
import { findOwnSession } from "./own-session";

export const Session = {
  /** Other subgraphs may reference any id; only the caller's own sessions resolve. */
  __resolveReference: ({ id }: { id: string }, context: SessionContext): Promise<SessionRecord | null> =>
    findOwnSession(context, id),
  expiresAt: (record: SessionRecord): number => sessionExpiresAt(record),
  current: (record: SessionRecord, _args: unknown, { identity }: SessionContext): boolean =>
    identity.authenticated && record.id === identity.sessionId,
  data: (record: SessionRecord): JsonObject => record.data,
};
