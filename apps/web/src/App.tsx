import { useEffect, useState } from "react";
import { ApolloProvider } from "@apollo/client/react";
import { createApolloClient } from "./apollo";
import { describeError } from "./errors";
import { Home } from "./Home";
import { ME, type User } from "./operations";
import { SignIn } from "./SignIn";

type AuthState =
  { status: "checking" } | { status: "signedOut"; notice: string | null } | { status: "signedIn"; user: User };

const SESSION_ENDED =
  "Your session has ended: it was signed out on another device, it expired, or the account was disabled. Sign in again.";

/**
 * Signed in or not is decided by the server alone: `me` on start, the payload of a sign-in, and any UNAUTHENTICATED
 * answer afterwards. The sign-in screen sends no query that needs a session, so an ended session cannot loop.
 */
export function App() {
  const [auth, setAuth] = useState<AuthState>({ status: "checking" });
  const [client] = useState(() =>
    createApolloClient(() =>
      setAuth((current) => (current.status === "signedIn" ? { status: "signedOut", notice: SESSION_ENDED } : current)),
    ),
  );

  useEffect(() => {
    client.query({ query: ME, fetchPolicy: "network-only" }).then(
      ({ data }) => setAuth(data?.me ? { status: "signedIn", user: data.me } : { status: "signedOut", notice: null }),
      (error: unknown) => setAuth({ status: "signedOut", notice: describeError(error) }),
    );
  }, [client]);

  // Whatever the previous user's screens cached goes with them; nothing is refetched (clearStore, not resetStore).
  useEffect(() => {
    if (auth.status === "signedOut") void client.clearStore();
  }, [auth.status, client]);

  return (
    <ApolloProvider client={client}>
      {auth.status === "checking" && <p className="loading">Loading…</p>}
      {auth.status === "signedOut" && (
        <SignIn notice={auth.notice} onSignedIn={(user) => setAuth({ status: "signedIn", user })} />
      )}
      {auth.status === "signedIn" && (
        <Home
          user={auth.user}
          onSignedOut={(notice) => setAuth({ status: "signedOut", notice })}
          onSessionEnded={() => setAuth({ status: "signedOut", notice: SESSION_ENDED })}
        />
      )}
    </ApolloProvider>
  );
}
