import type { SessionTransport } from "@fedsession/session-client";
import { requirePermission, requireUser } from "@fedsession/subgraph-kit";
import type { AuthContext } from "../context";
import type { MutationResolvers } from "../generated/graphql";
import { AccountError, InvalidCredentials, LoginThrottled, SignUpThrottled } from "../errors";
import { authPayload, signIn, type AuthPayload } from "../sign-in";
import type { UserRecord } from "../store/user-store";
import { toGraphQLError } from "./errors";

/** Failed and throttled attempts go to the audit log with their internal reason; the response never carries it. */
function auditLoginFailure(error: unknown, context: AuthContext): void {
  const { ip } = context.client;
  if (error instanceof InvalidCredentials)
    context.audit.loginFailed({ userId: error.userId, reason: error.reason, ip });
  if (error instanceof LoginThrottled) {
    context.audit.loginThrottled({ scope: error.scope, retryAfterSeconds: error.retryAfterSeconds, ip });
  }
}

async function completeSignIn(
  context: AuthContext,
  user: UserRecord,
  transport: SessionTransport,
  record: AuthContext["audit"]["signedUp"],
  revocationEpoch?: string,
): Promise<AuthPayload> {
  const signedIn = await signIn(context, user, transport, revocationEpoch);
  signedIn.session.deliverCookie(context.responseHeaders);
  context.provenUserIds.add(user.id);
  record({ userId: user.id, sessionId: signedIn.session.id, ip: context.client.ip, transport });
  return authPayload(signedIn);
}

export const Mutation: MutationResolvers = {
  signUp: async (_parent, { email, password, transport }, context) => {
    const { ip } = context.client;
    try {
      const user = await context.accounts.signUp(email, password, ip);
      return await completeSignIn(context, user, transport, context.audit.signedUp);
    } catch (error) {
      if (error instanceof SignUpThrottled && ip !== null) {
        context.audit.signUpThrottled({ retryAfterSeconds: error.retryAfterSeconds, ip });
      }
      throw toGraphQLError(error, context);
    }
  },

  login: async (_parent, { email, password, transport }, context) => {
    try {
      const { user, revocationEpoch } = await context.accounts.login(email, password, context.client.ip);
      return await completeSignIn(context, user, transport, context.audit.loginSucceeded, revocationEpoch);
    } catch (error) {
      auditLoginFailure(error, context);
      throw toGraphQLError(error, context);
    }
  },

  /**
   * The caller gets a new COOKIE session and every other session of the user ends, the caller's old one included,
   * so a thief holding an old cookie or token is out. Native apps (TOKEN transport) therefore must log in again
   * after a password change: their access and refresh tokens belonged to a session that is now revoked.
   */
  changePassword: async (_parent, { currentPassword, newPassword }, context) => {
    const caller = requireUser(context.identity);
    const { ip } = context.client;
    try {
      const user = await context.accounts.changePassword(caller.userId, currentPassword, newPassword, ip);
      const { session } = await signIn(context, user, "COOKIE");
      const { revoked } = await context.sessions.revokeUserSessions({ userId: user.id, exceptSessionId: session.id });
      // Only once the old sessions are gone does the new cookie go out.
      session.deliverCookie(context.responseHeaders);
      context.audit.passwordChanged({
        userId: user.id,
        sessionId: session.id,
        previousSessionId: caller.sessionId,
        revokedSessions: revoked,
        ip,
      });
      return true;
    } catch (error) {
      if (error instanceof AccountError && error.code === "wrong-current-password") {
        context.audit.passwordChangeFailed({ userId: caller.userId, sessionId: caller.sessionId, ip });
      }
      auditLoginFailure(error, context);
      throw toGraphQLError(error, context);
    }
  },

  setUserPermissions: async (_parent, { userId, permissions }, context) => {
    const admin = requirePermission(context.identity, "users:admin");
    try {
      const { user, previous } = await context.accounts.setPermissions(userId, permissions);
      // Every live session picks the change up on its next request, through any gateway replica.
      const { updated } = await context.sessions.updateUserPermissions({ userId, permissions: user.permissions });
      context.audit.permissionsChanged({
        actorId: admin.userId,
        targetUserId: userId,
        oldPermissions: previous,
        newPermissions: user.permissions,
        updatedSessions: updated,
        ip: context.client.ip,
      });
      return user;
    } catch (error) {
      throw toGraphQLError(error, context);
    }
  },

  setUserDisabled: async (_parent, { userId, disabled }, context) => {
    const admin = requirePermission(context.identity, "users:admin");
    const { ip } = context.client;
    try {
      const user = await context.accounts.setDisabled(admin.userId, userId, disabled);
      if (disabled) {
        const { revoked } = await context.sessions.revokeUserSessions({ userId, exceptSessionId: null });
        context.audit.accountDisabled({ actorId: admin.userId, targetUserId: userId, revokedSessions: revoked, ip });
      } else {
        // Old sessions were revoked when the account was disabled; nothing revives them.
        context.audit.accountEnabled({ actorId: admin.userId, targetUserId: userId, ip });
      }
      return user;
    } catch (error) {
      throw toGraphQLError(error, context);
    }
  },
};
