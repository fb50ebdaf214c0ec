import { createContextTokenVerifier, ContextTokenError, type ContextTokenVerifierOptions } from "./context-token";
import {
  GATEWAY_CONTEXT_HEADER,
  IDENTITY_HEADERS,
  SESSION_ID_HEADER,
  USER_ID_HEADER,
  USER_PERMISSIONS_HEADER,
} from "./headers";
import type { Identity, VerifiedContext } from "./identity";

export type RejectionReason =
  "missing-context" | "invalid-context" | "expired-context" | "duplicate-header" | "header-mismatch";

/** The request did not provably come from the gateway; subgraphs answer 401 and run nothing. */
export class GatewayRequestRejected extends Error {
  constructor(
    readonly reason: RejectionReason,
    message: string,
  ) {
    super(message);
    this.name = "GatewayRequestRejected";
  }
}

/** Collects identity headers from Node's rawHeaders, where a repeated header stays visible instead of being joined. */
function identityHeaderValues(rawHeaders: readonly string[]): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    if (!(IDENTITY_HEADERS as readonly string[]).includes(name)) continue;
    values.set(name, [...(values.get(name) ?? []), rawHeaders[i + 1] as string]);
  }
  return values;
}

function expectedPlainHeaders(identity: Identity): Record<string, string | undefined> {
  if (!identity.authenticated)
    return { [USER_ID_HEADER]: undefined, [USER_PERMISSIONS_HEADER]: undefined, [SESSION_ID_HEADER]: undefined };
  return {
    [USER_ID_HEADER]: identity.userId,
    [USER_PERMISSIONS_HEADER]: identity.permissions.join(","),
    [SESSION_ID_HEADER]: identity.sessionId,
  };
}

/**
 * Verifies that a request came from the gateway: exactly one signed context for this subgraph, and plain identity
 * headers that say exactly what the signature says (absent when anonymous).
 *
 * @example
 * const verify = createGatewayRequestVerifier({ jwks: gatewayJwks, audience: "documents" });
 * const { identity, client } = await verify(req.rawHeaders); // throws GatewayRequestRejected
 */
export function createGatewayRequestVerifier(options: ContextTokenVerifierOptions) {
  const verifyToken = createContextTokenVerifier(options);
  return async (rawHeaders: readonly string[]): Promise<VerifiedContext> => {
    const headers = identityHeaderValues(rawHeaders);
    for (const [name, values] of headers) {
      if (values.length > 1) throw new GatewayRequestRejected("duplicate-header", `${name} appears more than once`);
    }
    const token = headers.get(GATEWAY_CONTEXT_HEADER)?.[0];
    if (token === undefined)
      throw new GatewayRequestRejected("missing-context", "requests must come through the gateway");
    let verified: VerifiedContext;
    try {
      verified = await verifyToken(token);
    } catch (error) {
      if (error instanceof ContextTokenError) {
        throw new GatewayRequestRejected(
          error.reason === "expired" ? "expired-context" : "invalid-context",
          error.message,
        );
      }
      throw error;
    }
    for (const [name, expected] of Object.entries(expectedPlainHeaders(verified.identity))) {
      if (headers.get(name)?.[0] !== expected)
        throw new GatewayRequestRejected("header-mismatch", `${name} does not match the signed context`);
    }
    return verified;
  };
}
