import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@apollo/client/react";
import { describeError } from "./errors";
import { CREATE_DOCUMENT, MY_DOCUMENTS } from "./operations";
import { formatTime } from "./time";

/** My documents (the `documents` root query: all of mine, newest first) and a form to write a new one. */
export function Documents() {
  const { data, error, refetch } = useQuery(MY_DOCUMENTS, { fetchPolicy: "network-only" });
  const [createDocument, createState] = useMutation(CREATE_DOCUMENT);
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [isPublic, setIsPublic] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFormError(null);
    try {
      await createDocument({ variables: { title, body, public: isPublic } });
      setTitle("");
      setBody("");
      setIsPublic(false);
      await refetch();
    } catch (caught) {
      setFormError(describeError(caught));
    }
  };

  return (
    <section aria-labelledby="documents-heading">
      <h2 id="documents-heading">Documents</h2>
      {error && (
        <p role="alert" className="error">
          {describeError(error)}
        </p>
      )}
      {data && data.documents.length === 0 && <p>No documents yet.</p>}
      {data && data.documents.length > 0 && (
        <ul className="rows" aria-label="My documents">
          {data.documents.map((document) => (
            <li key={document.id}>
              <strong>{document.title}</strong>
              <span className={document.public ? "badge" : "badge muted"}>
                {document.public ? "Public" : "Private"}
              </span>
              <span className="meta">{formatTime(document.createdAt)}</span>
              <p>{document.body}</p>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={(event) => void onSubmit(event)}>
        <h3>New document</h3>
        <label>
          Title
          <input required value={title} onChange={(event) => setTitle(event.target.value)} />
        </label>
        <label>
          Body
          <textarea rows={4} value={body} onChange={(event) => setBody(event.target.value)} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={isPublic} onChange={(event) => setIsPublic(event.target.checked)} />
          Public
        </label>
        {formError && (
          <p role="alert" className="error">
            {formError}
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={createState.loading}>
            Create document
          </button>
        </div>
      </form>
    </section>
  );
}
