/** Who a request is for, as the gateway verified it. */
export type Identity =
  | { readonly authenticated: false }
  | {
      readonly authenticated: true;
      readonly userId: string;
      readonly permissions: readonly string[];
      /** The public session id, never the secret half of the token. */
      readonly sessionId: string;
    };

export const ANONYMOUS: Identity = Object.freeze({ authenticated: false });

/** The client as the gateway saw it (its socket, or a trusted proxy's X-Forwarded-For), for device lists. */
export interface ClientInfo {
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export const UNKNOWN_CLIENT: ClientInfo = Object.freeze({ ip: null, userAgent: null });

/** What a subgraph learns from a verified gateway request. */
export interface VerifiedContext {
  readonly identity: Identity;
  readonly client: ClientInfo;
}
