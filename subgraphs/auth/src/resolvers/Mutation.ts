import { startSession } from "../sessions";
import type { AuthContext } from "../context";
import type { UserRecord } from "../store/user-store";
import { toGraphQLError } from "./errors";

interface Credentials {
  email: string;
  password: string;
}

interface AuthPayload {
  user: UserRecord;
  expiresAt: Date;
}

async function signIn(context: AuthContext, authenticate: () => Promise<UserRecord>): Promise<AuthPayload> {
  try {
    const user = await authenticate();
    const expiresAt = await startSession(context.sessions, user, context.responseHeaders);
    context.provenUserIds.add(user.id);
    context.logger.info("signed_in", { userId: user.id });
    return { user, expiresAt };
  } catch (error) {
    throw toGraphQLError(error, context);
  }
}

export const Mutation = {
  signUp: (_parent: unknown, { email, password }: Credentials, context: AuthContext) =>
    signIn(context, () => context.accounts.signUp(email, password)),
  login: (_parent: unknown, { email, password }: Credentials, context: AuthContext) =>
    signIn(context, () => context.accounts.login(email, password)),
};
