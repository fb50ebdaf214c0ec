import type { IncomingHttpHeaders } from "node:http";
import { GraphQLError } from "graphql";
import { parseSessionToken, SessionServiceUnavailable, type SessionServiceClient } from "@fedsession/session-client";
import { ANONYMOUS, type Identity } from "@fedsession/subgraph-kit";
import type { Logger } from "@fedsession/runtime";
import { readSessionCookie } from "./cookies";

export interface RequestIdentity {
  identity: Identity;
  /** The client holds a cookie that names no live session (malformed, duplicated, unknown or ended): clear it. */
  clearCookie: boolean;
}

const ANONYMOUS_KEEP: RequestIdentity = { identity: ANONYMOUS, clearCookie: false };
const ANONYMOUS_CLEAR: RequestIdentity = { identity: ANONYMOUS, clearCookie: true };

export function sessionStoreUnavailable(): GraphQLError {
  return new GraphQLError("The session store is unavailable; try again shortly", {
    extensions: { code: "SESSION_STORE_UNAVAILABLE", http: { status: 503, headers: new Map([["retry-after", "1"]]) } },
  });
}

/**
 * Turns the request's credential into an identity with at most one session lookup. Anything malformed is
 * anonymous before any lookup; a failed lookup is a 503, never a guess.
 */
export function createIdentityResolver(options: {
  cookieName: string;
  sessions: Pick<SessionServiceClient, "resolveSession">;
  logger: Logger;
}) {
  return async (headers: IncomingHttpHeaders): Promise<RequestIdentity> => {
    const cookie = readSessionCookie(headers.cookie, options.cookieName);
    if (cookie.kind === "none") return ANONYMOUS_KEEP;
    if (cookie.kind === "ambiguous") return ANONYMOUS_CLEAR;
    const token = parseSessionToken(cookie.value);
    if (token === null) return ANONYMOUS_CLEAR;
    let session;
    try {
      session = await options.sessions.resolveSession({ token: cookie.value });
    } catch (error) {
      if (error instanceof SessionServiceUnavailable) {
        options.logger.error("session_lookup_failed", { reason: error.message });
        throw sessionStoreUnavailable();
      }
      throw error;
    }
    if (session === null) return ANONYMOUS_CLEAR;
    return {
      identity: {
        authenticated: true,
        userId: session.userId,
        permissions: session.permissions,
        sessionId: session.id,
      },
      clearCookie: false,
    };
  };
}
