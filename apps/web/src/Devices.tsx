import { useState } from "react";
import { useMutation, useQuery } from "@apollo/client/react";
import { describeError } from "./errors";
import { MY_SESSIONS, REVOKE_OTHER_SESSIONS, REVOKE_SESSION } from "./operations";
import { formatTime } from "./time";
import { describeUserAgent } from "./user-agent";

/** Every live session of mine, asked fresh on each visit; the current one is marked and cannot be revoked here. */
export function Devices() {
  const { data, error, refetch } = useQuery(MY_SESSIONS, { fetchPolicy: "network-only" });
  const [revokeSession] = useMutation(REVOKE_SESSION);
  const [revokeOthers, revokeOthersState] = useMutation(REVOKE_OTHER_SESSIONS);
  const [message, setMessage] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  // This device first, then the others newest first (the order the server lists them in).
  const sessions = [...(data?.mySessions ?? [])].sort((a, b) => Number(b.current) - Number(a.current));
  const others = sessions.filter((session) => !session.current).length;

  const act = async (action: () => Promise<string>) => {
    setMessage(null);
    setActionError(null);
    try {
      const outcome = await action();
      await refetch();
      setMessage(outcome);
    } catch (caught) {
      setActionError(describeError(caught));
    }
  };

  const revoke = (id: string) =>
    act(async () => {
      const result = await revokeSession({ variables: { id } });
      return result.data?.revokeSession ? "The device was signed out." : "That device had already signed out.";
    });

  const revokeAllOthers = () =>
    act(async () => {
      const count = (await revokeOthers()).data?.revokeOtherSessions ?? 0;
      return `Signed out ${count} other device${count === 1 ? "" : "s"}.`;
    });

  return (
    <section aria-labelledby="devices-heading">
      <h2 id="devices-heading">Devices</h2>
      <p className="meta">Every browser and app signed in to your account.</p>
      {error && (
        <p role="alert" className="error">
          {describeError(error)}
        </p>
      )}
      {actionError && (
        <p role="alert" className="error">
          {actionError}
        </p>
      )}
      {message && (
        <p role="status" className="notice">
          {message}
        </p>
      )}
      {sessions.length > 0 && (
        <ul className="rows" aria-label="Signed-in devices">
          {sessions.map((session) => (
            <li key={session.id} className={session.current ? "current" : undefined}>
              <div className="row-head">
                <strong title={session.userAgent ?? undefined}>{describeUserAgent(session.userAgent)}</strong>
                {session.current && <span className="badge">This device</span>}
              </div>
              <dl className="facts">
                <dt>IP</dt>
                <dd>{session.ip ?? "unknown"}</dd>
                <dt>Last seen</dt>
                <dd>{formatTime(session.lastSeenAt)}</dd>
                <dt>Expires</dt>
                <dd>{formatTime(session.expiresAt)}</dd>
              </dl>
              {!session.current && (
                <button type="button" className="secondary" onClick={() => void revoke(session.id)}>
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button
          type="button"
          disabled={others === 0 || revokeOthersState.loading}
          onClick={() => void revokeAllOthers()}
        >
          Sign out other devices
        </button>
      </div>
    </section>
  );
}
