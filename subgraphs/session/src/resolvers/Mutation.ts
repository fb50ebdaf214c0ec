import { CLEAR_SESSION_HEADER } from "@fedsession/subgraph-kit";
import type { SessionContext } from "../context";
import { orUnavailable } from "./store-errors";

export const Mutation = {
  /** Anonymous callers get the clear header too, so a stale cookie the gateway could not resolve goes away. */
  logout: async (
    _parent: unknown,
    _args: unknown,
    { identity, sessions, responseHeaders }: SessionContext,
  ): Promise<boolean> => {
    if (identity.authenticated) await orUnavailable(sessions.destroy(identity.sessionId));
    responseHeaders.append(CLEAR_SESSION_HEADER, "1");
    return identity.authenticated;
  },
};
