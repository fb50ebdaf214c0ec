import { GraphQLError } from "graphql";
import { hasPermission } from "@fedsession/subgraph-kit";
import type { AuthContext } from "../context";
import type { UserResolvers } from "../generated/graphql";
import type { UserRecord } from "../store/user-store";
import { orUnavailable } from "./errors";

/** A user's own fields are theirs and the administrators'; other subgraphs reference users (e.g. `owner: User!`) freely. */
function assertMayReadPrivateFields(user: UserRecord, context: AuthContext): void {
  const { identity } = context;
  const self = (identity.authenticated && identity.userId === user.id) || context.provenUserIds.has(user.id);
  if (!self && !hasPermission(identity, "users:admin")) {
    throw new GraphQLError("Only this user and administrators can see this field", {
      extensions: { code: "FORBIDDEN" },
    });
  }
}

export const User: UserResolvers = {
  __resolveReference: (reference, context) => orUnavailable(context.users.load(reference.id), context),
  email: (user, _args, context) => {
    assertMayReadPrivateFields(user, context);
    return user.email;
  },
  permissions: (user, _args, context) => {
    assertMayReadPrivateFields(user, context);
    return user.permissions;
  },
  disabled: (user, _args, context) => {
    assertMayReadPrivateFields(user, context);
    return user.disabled;
  },
};
