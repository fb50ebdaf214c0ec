import { useState, type FormEvent } from "react";
import { useApolloClient, useMutation } from "@apollo/client/react";
import { describeError, errorCodes } from "./errors";
import { CHANGE_PASSWORD, ME } from "./operations";

interface ChangePasswordProps {
  onSessionEnded(): void;
}

/** The server gives this browser a new session cookie and ends every other session of the account. */
export function ChangePassword({ onSessionEnded }: ChangePasswordProps) {
  const client = useApolloClient();
  const [changePassword, state] = useMutation(CHANGE_PASSWORD);
  const [currentPassword, setCurrentPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    setDone(false);
    try {
      await changePassword({ variables: { currentPassword, newPassword } });
      setCurrentPassword("");
      setNewPassword("");
      setDone(true);
    } catch (caught) {
      // UNAUTHENTICATED here is either a wrong current password or a session that has ended: ask the server which.
      if (errorCodes(caught).includes("UNAUTHENTICATED")) {
        const me = await client.query({ query: ME, fetchPolicy: "network-only" }).then(
          ({ data }) => data?.me,
          () => undefined,
        );
        if (me === null) return onSessionEnded();
      }
      setError(describeError(caught));
    }
  };

  return (
    <section aria-labelledby="password-heading">
      <h2 id="password-heading">Change password</h2>
      <form onSubmit={(event) => void onSubmit(event)}>
        <label>
          Current password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={currentPassword}
            onChange={(event) => setCurrentPassword(event.target.value)}
          />
        </label>
        <label>
          New password
          <input
            type="password"
            autoComplete="new-password"
            required
            value={newPassword}
            onChange={(event) => setNewPassword(event.target.value)}
          />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        {done && (
          <p role="status" className="notice">
            Password changed. Your other devices have been signed out.
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={state.loading}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}
