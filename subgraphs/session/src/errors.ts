/** The session store failed (down, timed out, corrupt data): callers answer 503 and never guess an identity. */
export class SessionStoreUnavailable extends Error {
  constructor(options: { cause: unknown }) {
    super("the session store is unavailable", options);
    this.name = "SessionStoreUnavailable";
  }
}
