import { useEffect } from "react";
import { useQuery } from "@apollo/client/react";
import { describeError } from "./errors";
import { ME } from "./operations";

interface ProfileProps {
  onSessionEnded(): void;
}

/** Who the server says I am, asked again on every visit: `me` is null, not an error, once the session has ended. */
export function Profile({ onSessionEnded }: ProfileProps) {
  const { data, error, loading } = useQuery(ME, { fetchPolicy: "network-only" });
  const ended = !loading && data !== undefined && data.me === null;

  useEffect(() => {
    if (ended) onSessionEnded();
  }, [ended, onSessionEnded]);

  return (
    <section aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      {error && (
        <p role="alert" className="error">
          {describeError(error)}
        </p>
      )}
      {data?.me && (
        <dl>
          <dt>Email</dt>
          <dd>{data.me.email}</dd>
          <dt>Permissions</dt>
          <dd>
            <ul className="tags">
              {data.me.permissions.map((permission) => (
                <li key={permission}>{permission}</li>
              ))}
            </ul>
          </dd>
        </dl>
      )}
    </section>
  );
}
