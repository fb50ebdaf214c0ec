import type { AuthContext } from "../context";
import type { UserRecord } from "../store/user-store";

export const Query = {
  me: (_parent: unknown, _args: unknown, context: AuthContext): Promise<UserRecord | null> | null =>
    context.identity.authenticated ? context.users.load(context.identity.userId) : null,
};
