import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { ErrorLink } from "@apollo/client/link/error";
import { CREDENTIAL_OPERATIONS } from "./operations";
import { errorCodes } from "./errors";

/**
 * The app's Apollo Client. `credentials: "same-origin"`: the HttpOnly session cookie travels with every request to
 * `/graphql` on this origin and nowhere else; the app itself never reads or stores a token.
 *
 * `onSessionEnded` runs when a request that relied on the session is answered UNAUTHENTICATED: the session was
 * revoked on another device, expired, or the account was disabled. The gateway has already cleared the cookie.
 */
export function createApolloClient(onSessionEnded: () => void): ApolloClient {
  const sessionEnded = new ErrorLink(({ error, operation }) => {
    if (CREDENTIAL_OPERATIONS.has(operation.operationName ?? "")) return;
    if (errorCodes(error).includes("UNAUTHENTICATED")) onSessionEnded();
  });
  return new ApolloClient({
    link: ApolloLink.from([sessionEnded, new HttpLink({ uri: "/graphql", credentials: "same-origin" })]),
    cache: new InMemoryCache(),
    defaultOptions: { watchQuery: { fetchPolicy: "cache-and-network" } },
  });
}
