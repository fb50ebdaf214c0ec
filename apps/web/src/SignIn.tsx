import { useState, type FormEvent } from "react";
import { useMutation } from "@apollo/client/react";
import { describeError } from "./errors";
import { LOGIN, SIGN_UP, type User } from "./operations";

interface SignInProps {
  /** Why the person is here again (session ended elsewhere, signed out), if there is a reason. */
  notice: string | null;
  onSignedIn(user: User): void;
}

export function SignIn({ notice, onSignedIn }: SignInProps) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [login, loginState] = useMutation(LOGIN);
  const [signUp, signUpState] = useMutation(SIGN_UP);
  const busy = loginState.loading || signUpState.loading;

  const submit = async (action: "login" | "signUp") => {
    setError(null);
    try {
      const variables = { email, password };
      const user =
        action === "login"
          ? (await login({ variables })).data?.login.user
          : (await signUp({ variables })).data?.signUp.user;
      if (user) onSignedIn(user);
    } catch (caught) {
      setError(describeError(caught));
    }
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void submit("login");
  };

  return (
    <main className="card narrow">
      <h1>Sign in</h1>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <form onSubmit={onSubmit}>
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={busy}>
            Sign in
          </button>
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={(event) => {
              if (event.currentTarget.form?.reportValidity()) void submit("signUp");
            }}
          >
            Create account
          </button>
        </div>
      </form>
    </main>
  );
}
