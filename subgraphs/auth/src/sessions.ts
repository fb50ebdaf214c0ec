import type { ResponseHeaders } from "@fedsession/runtime";
import {
  parseSessionToken,
  type CreateSessionRequest,
  type CreateSessionResponse,
  type RevocationEpochRequest,
  type RevokeUserSessionsRequest,
  type RevokeUserSessionsResponse,
  type SessionTransport,
  type TokenPair,
  type UpdateUserPermissionsRequest,
  type UpdateUserPermissionsResponse,
} from "@fedsession/session-client";
import { SET_SESSION_HEADER, type ClientInfo } from "@fedsession/subgraph-kit";
import type { UserRecord } from "./store/user-store";

/** The session-service calls auth makes; satisfied by `createSessionServiceClient` and by test doubles. */
export interface SessionService {
  createSession(request: CreateSessionRequest): Promise<CreateSessionResponse>;
  updateUserPermissions(request: UpdateUserPermissionsRequest): Promise<UpdateUserPermissionsResponse>;
  revokeUserSessions(request: RevokeUserSessionsRequest): Promise<RevokeUserSessionsResponse>;
  revocationEpoch(request: RevocationEpochRequest): Promise<string>;
}

export interface OpenedSession {
  /** The public session id (for the audit log and revoke-all-but-this). */
  id: string;
  expiresAt: Date;
  /** TOKEN transport only: what the native app keeps. */
  tokens: TokenPair | null;
  /**
   * COOKIE transport only: hands the token to the gateway in the internal header (turned into Set-Cookie and
   * stripped there). Separate from opening, so a caller can finish its other work before the cookie goes out.
   */
  deliverCookie(responseHeaders: ResponseHeaders): void;
}

const malformed = () => new Error("the session service returned a malformed session");

function checkTokens(tokens: TokenPair | undefined): TokenPair {
  if (
    tokens === undefined ||
    typeof tokens.accessToken !== "string" ||
    typeof tokens.refreshToken !== "string" ||
    Number.isNaN(new Date(tokens.accessTokenExpiresAt).getTime())
  ) {
    throw malformed();
  }
  return tokens;
}

/**
 * Opens a session for a user who just proved who they are, recording the client the gateway signed, and has the
 * session service end `replacesSessionId` (the caller's current session) once the new one exists. COOKIE: the
 * token only ever goes into the internal header, never a body or a log. TOKEN: no header; the tokens are returned
 * for the response body, which is how native apps receive them.
 */
export async function openSession(
  sessions: SessionService,
  user: UserRecord,
  client: ClientInfo,
  transport: SessionTransport,
  replacesSessionId: string | null,
  revocationEpoch: string,
): Promise<OpenedSession> {
  const { token, tokens, session } = await sessions.createSession({
    userId: user.id,
    permissions: [...user.permissions],
    userAgent: client.userAgent,
    ip: client.ip,
    transport,
    replacesSessionId,
    revocationEpoch,
  });
  const expiresAt = new Date(session.expiresAt);
  if (typeof session.id !== "string" || Number.isNaN(expiresAt.getTime())) throw malformed();
  if (transport === "TOKEN") {
    return { id: session.id, expiresAt, tokens: checkTokens(tokens), deliverCookie: () => {} };
  }
  // Checked before it reaches a header line, so a misbehaving session service cannot inject header text.
  if (
    token === undefined ||
    parseSessionToken(token) === null ||
    !Number.isSafeInteger(session.maxAgeSeconds) ||
    session.maxAgeSeconds <= 0
  ) {
    throw malformed();
  }
  return {
    id: session.id,
    expiresAt,
    tokens: null,
    deliverCookie: (responseHeaders) =>
      responseHeaders.append(SET_SESSION_HEADER, `${token}; max-age=${session.maxAgeSeconds}`),
  };
}
