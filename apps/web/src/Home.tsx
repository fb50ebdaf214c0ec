import { useEffect, useState } from "react";
import { useMutation } from "@apollo/client/react";
import { ChangePassword } from "./ChangePassword";
import { Devices } from "./Devices";
import { Documents } from "./Documents";
import { describeError } from "./errors";
import { LOGOUT, type User } from "./operations";
import { Profile } from "./Profile";

const VIEWS = [
  { hash: "#/profile", label: "Profile" },
  { hash: "#/documents", label: "Documents" },
  { hash: "#/devices", label: "Devices" },
  { hash: "#/password", label: "Password" },
] as const;

type View = (typeof VIEWS)[number]["hash"];

function currentView(): View {
  return VIEWS.find((view) => view.hash === window.location.hash)?.hash ?? "#/profile";
}

interface HomeProps {
  user: User;
  onSignedOut(notice: string): void;
  onSessionEnded(): void;
}

export function Home({ user, onSignedOut, onSessionEnded }: HomeProps) {
  const [view, setView] = useState<View>(currentView);
  const [error, setError] = useState<string | null>(null);
  const [logout, logoutState] = useMutation(LOGOUT);

  useEffect(() => {
    const onHashChange = () => setView(currentView());
    window.addEventListener("hashchange", onHashChange);
    return () => window.removeEventListener("hashchange", onHashChange);
  }, []);

  const signOut = async () => {
    setError(null);
    try {
      await logout();
      onSignedOut("You signed out.");
    } catch (caught) {
      setError(describeError(caught));
    }
  };

  return (
    <div className="layout">
      <header>
        <strong className="brand">fedsession</strong>
        <nav aria-label="Main">
          {VIEWS.map((entry) => (
            <a key={entry.hash} href={entry.hash} aria-current={entry.hash === view ? "page" : undefined}>
              {entry.label}
            </a>
          ))}
        </nav>
        <span className="who">{user.email}</span>
        <button type="button" className="secondary" disabled={logoutState.loading} onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <main className="card">
        {view === "#/profile" && <Profile onSessionEnded={onSessionEnded} />}
        {view === "#/documents" && <Documents />}
        {view === "#/devices" && <Devices />}
        {view === "#/password" && <ChangePassword onSessionEnded={onSessionEnded} />}
      </main>
    </div>
  );
}
