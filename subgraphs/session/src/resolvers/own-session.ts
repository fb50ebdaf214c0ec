import type { SessionContext } from "../context";
import type { SessionRecord } from "../store/session-store";
import { orUnavailable } from "./store-errors";

/** A session the caller owns, or null: nobody learns anything about another user's sessions, not even that they exist. */
export async function findOwnSession(
  { identity, sessions }: SessionContext,
  id: string,
): Promise<SessionRecord | null> {
  if (!identity.authenticated) return null;
  const record = await orUnavailable(sessions.get(id));
  return record?.userId === identity.userId ? record : null;
}
