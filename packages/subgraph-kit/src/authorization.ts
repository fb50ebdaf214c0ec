import { GraphQLError } from "graphql";
import type { Identity } from "./identity";
import type { GatewayRequestRejected } from "./request";

export type AuthenticatedIdentity = Extract<Identity, { authenticated: true }>;

/** Throws UNAUTHENTICATED unless a user is signed in; narrows the identity for the caller. */
export function requireUser(identity: Identity): AuthenticatedIdentity {
  if (!identity.authenticated) {
    throw new GraphQLError("You must be signed in", { extensions: { code: "UNAUTHENTICATED" } });
  }
  return identity;
}

/** Throws UNAUTHENTICATED when anonymous and FORBIDDEN when the user lacks the permission. */
export function requirePermission(identity: Identity, permission: string): AuthenticatedIdentity {
  const user = requireUser(identity);
  if (!user.permissions.includes(permission)) {
    throw new GraphQLError(`Missing permission ${permission}`, { extensions: { code: "FORBIDDEN" } });
  }
  return user;
}

export function hasPermission(identity: Identity, permission: string): boolean {
  return identity.authenticated && identity.permissions.includes(permission);
}

/** The error a subgraph returns (HTTP 401) for a request that did not provably come from the gateway. */
export function rejectionError(rejection: GatewayRequestRejected): GraphQLError {
  return new GraphQLError(`Request refused: ${rejection.message}`, {
    extensions: { code: "UNAUTHENTICATED", reason: rejection.reason, http: { status: 401 } },
  });
}
