import { GraphQLError } from "graphql";
import { CLEAR_SESSION_HEADER, requirePermission, requireUser } from "@fedsession/subgraph-kit";
import type { MutationResolvers } from "../generated/graphql";
import { isSessionId } from "../sessions";
import { InvalidSessionData } from "../session-data";
import type { SessionRecord } from "../store/session-store";
import { findOwnSession } from "./own-session";
import { orUnavailable } from "./store-errors";

export const SESSIONS_ADMIN_PERMISSION = "sessions:admin";

/** One answer for every refresh token that does not rotate, so a caller learns nothing about why. */
const invalidRefreshToken = () =>
  new GraphQLError("Refresh token is not valid", { extensions: { code: "UNAUTHENTICATED" } });

export const Mutation: MutationResolvers = {
  /**
   * Anonymous callers get the clear header too, so a stale cookie the gateway could not resolve goes away. With both
   * a cookie and a bearer token the gateway resolves the token; its session ends and the cookie's is left alone
   * (ending it too would be a second logout the caller did not ask for; keeping the cookie keeps its session usable).
   */
  logout: async (_parent, _args, context) => {
    const { identity, sessions, responseHeaders, audit, client } = context;
    let ended: SessionRecord | null = null;
    if (identity.authenticated) {
      ended = await orUnavailable(sessions.destroy(identity.sessionId));
      audit("logout", { userId: identity.userId, sessionId: identity.sessionId, ip: client.ip });
    }
    // A bearer token's session ended: a cookie sent beside it names another session, which lives on, so it stays.
    if (ended?.transport !== "TOKEN") responseHeaders.append(CLEAR_SESSION_HEADER, "1");
    return identity.authenticated;
  },

  /** False for an id that is unknown or someone else's: the answer never reveals which. */
  revokeSession: async (_parent, { id }, context) => {
    const user = requireUser(context.identity);
    if (!isSessionId(id)) {
      throw new GraphQLError("id is not a session id (22 characters of A-Z a-z 0-9 _ -)", {
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
    const own = await findOwnSession(context, id);
    if (own === null || (await orUnavailable(context.sessions.destroy(id))) === null) return false;
    if (id === user.sessionId) context.responseHeaders.append(CLEAR_SESSION_HEADER, "1");
    context.audit("session_revoked", {
      actorId: user.userId,
      userId: own.userId,
      sessionId: id,
      ip: context.client.ip,
    });
    return true;
  },

  revokeOtherSessions: async (_parent, _args, context) => {
    const user = requireUser(context.identity);
    const count = await orUnavailable(context.sessions.revokeForUser(user.userId, user.sessionId));
    context.audit("user_sessions_revoked", {
      actorId: user.userId,
      userId: user.userId,
      keptSessionId: user.sessionId,
      count,
      ip: context.client.ip,
    });
    return count;
  },

  /** Administrators end every session of any user; a FORBIDDEN caller learns nothing about the user. */
  revokeUserSessions: async (_parent, { userId }, context) => {
    const admin = requirePermission(context.identity, SESSIONS_ADMIN_PERMISSION);
    const count = await orUnavailable(context.sessions.revokeForUser(userId, null));
    if (userId === admin.userId) context.responseHeaders.append(CLEAR_SESSION_HEADER, "1");
    context.audit("user_sessions_revoked", { actorId: admin.userId, userId, count, ip: context.client.ip });
    return count;
  },

  /** Anonymous by design: a native app refreshes exactly when its access token no longer signs it in. */
  refreshSession: async (_parent, { refreshToken }, { sessions, audit, client }) => {
    const result = await orUnavailable(sessions.refresh(refreshToken));
    if (result.outcome === "invalid") throw invalidRefreshToken();
    const fields = { userId: result.record.userId, sessionId: result.record.id, ip: client.ip };
    if (result.outcome === "reused" || result.outcome === "exhausted") {
      audit(result.outcome === "reused" ? "refresh_reuse_detected" : "refresh_limit_reached", fields);
      throw invalidRefreshToken();
    }
    audit("refresh_rotated", fields);
    // The internal protocol carries the expiry as an ISO string; the DateTime field takes a Date.
    return { ...result.tokens, accessTokenExpiresAt: new Date(result.tokens.accessTokenExpiresAt) };
  },

  setSessionData: async (_parent, { key, value }, { identity, sessions }) => {
    const user = requireUser(identity);
    let record: SessionRecord | null;
    try {
      record = await orUnavailable(sessions.setData(user.sessionId, key, value ?? null));
    } catch (error) {
      if (error instanceof InvalidSessionData) {
        throw new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT" } });
      }
      throw error;
    }
    // The session ended between the gateway's lookup and this write.
    if (record === null) throw new GraphQLError("You must be signed in", { extensions: { code: "UNAUTHENTICATED" } });
    return record;
  },
};
