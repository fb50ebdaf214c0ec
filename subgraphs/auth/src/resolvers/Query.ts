import type { AuthContext } from "../context";
import type { UserRecord } from "../store/user-store";
import { orUnavailable } from "./errors";

export const Query = {
  me: (_parent: unknown, _args: unknown, context: AuthContext): Promise<UserRecord | null> | null =>
    context.identity.authenticated ? orUnavailable(context.users.load(context.identity.userId), context) : null,
};
