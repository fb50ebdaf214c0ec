import type { ResponseHeaders } from "@fedsession/runtime";
import { parseSessionToken, type CreateSessionRequest, type CreateSessionResponse } from "@fedsession/session-client";
import { SET_SESSION_HEADER } from "@fedsession/subgraph-kit";
import type { UserRecord } from "./store/user-store";

/** The one session-service call auth makes; satisfied by `createSessionServiceClient` and by test doubles. */
export interface SessionCreator {
  createSession(request: CreateSessionRequest): Promise<CreateSessionResponse>;
}

/**
 * Opens a session for a user who just proved who they are and hands its token to the gateway in the internal
 * header (which the gateway turns into Set-Cookie and strips); the token never goes into a body or a log.
 * Returns when the session expires.
 */
export async function startSession(
  sessions: SessionCreator,
  user: UserRecord,
  responseHeaders: ResponseHeaders,
): Promise<Date> {
  const { token, session } = await sessions.createSession({
    userId: user.id,
    permissions: [...user.permissions],
    userAgent: null,
    ip: null,
    transport: "COOKIE",
  });
  // Checked before it reaches a header line, so a misbehaving session service cannot inject header text.
  if (
    token === undefined ||
    parseSessionToken(token) === null ||
    !Number.isSafeInteger(session.maxAgeSeconds) ||
    session.maxAgeSeconds <= 0
  ) {
    throw new Error("the session service returned a malformed session");
  }
  responseHeaders.append(SET_SESSION_HEADER, `${token}; max-age=${session.maxAgeSeconds}`);
  return new Date(session.expiresAt);
}
