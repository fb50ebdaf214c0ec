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
