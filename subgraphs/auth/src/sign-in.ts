import { SessionRevokedDuringCreate, type SessionTransport, type TokenPair } from "@fedsession/session-client";
import type { AuthContext } from "./context";
import { InvalidCredentials } from "./errors";
import { openSession, type OpenedSession } from "./sessions";
import type { UserRecord } from "./store/user-store";

export interface SignedIn {
  user: UserRecord;
  session: OpenedSession;
}

/**
 * Opens a session for a user who proved their password, ending the session the caller already had, whoever it
 * belonged to (ASVS 7.2.4: a new login terminates the current session). `revocationEpoch` must have been read before
 * the password hash that was checked (accounts.login); signUp and changePassword, whose credential is the write they
 * just made, read it here. The session service refuses the create when a revoke-all ran since, so a password change,
 * disable or revoke-all racing this sign-in never leaves it a session (docs/security.md, "Revocation invariant").
 * Then reads the user again: an administrator may have changed their permissions while the password was being
 * checked, after the session service had already been told; whichever order the two writes landed in, the new
 * session ends up up to date. A changed hash or a disable seen here fails the sign-in too (the revoke-all that
 * follows such a change ends the session).
 */
export async function signIn(
  context: AuthContext,
  user: UserRecord,
  transport: SessionTransport,
  revocationEpoch?: string,
): Promise<SignedIn> {
  const callerSessionId = context.identity.authenticated ? context.identity.sessionId : null;
  const epoch = revocationEpoch ?? (await context.sessions.revocationEpoch({ userId: user.id }));
  let session: OpenedSession;
  try {
    session = await openSession(context.sessions, user, context.client, transport, callerSessionId, epoch);
  } catch (error) {
    if (error instanceof SessionRevokedDuringCreate) throw new InvalidCredentials("revoked", user.id);
    throw error;
  }
  const current = await context.accounts.find(user.id);
  if (current === null || current.disabled) {
    await context.sessions.revokeUserSessions({ userId: user.id, exceptSessionId: null });
    throw new InvalidCredentials("disabled", user.id);
  }
  if (current.passwordHash !== user.passwordHash) throw new InvalidCredentials("revoked", user.id);
  if (current.permissions.join(",") !== user.permissions.join(",")) {
    await context.sessions.updateUserPermissions({ userId: user.id, permissions: current.permissions });
  }
  return { user: current, session };
}

export interface AuthPayload {
  user: UserRecord;
  expiresAt: Date;
  accessToken: string | null;
  accessTokenExpiresAt: Date | null;
  refreshToken: string | null;
}

export function authPayload({ user, session }: SignedIn): AuthPayload {
  const tokens: TokenPair | null = session.tokens;
  return {
    user,
    expiresAt: session.expiresAt,
    accessToken: tokens?.accessToken ?? null,
    accessTokenExpiresAt: tokens ? new Date(tokens.accessTokenExpiresAt) : null,
    refreshToken: tokens?.refreshToken ?? null,
  };
}
