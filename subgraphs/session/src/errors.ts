/** The session store failed (down, timed out, corrupt data): callers answer 503 and never guess an identity. */
export class SessionStoreUnavailable extends Error {
  constructor(options: { cause: unknown }) {
    super("the session store is unavailable", options);
    this.name = "SessionStoreUnavailable";
  }
}

/** A revoke-all of the user ran after the creator read its revocation epoch: the session was not kept. */
export class RevokedDuringCreate extends Error {
  constructor() {
    super("the user's sessions were revoked while this one was being created");
    this.name = "RevokedDuringCreate";
  }
}
