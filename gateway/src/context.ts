import type { BaseContext } from "@apollo/server";
import type { ResponseHeaders } from "@fedsession/runtime";
import { signContext, type ClientInfo, type ContextSigningKey, type Identity } from "@fedsession/subgraph-kit";

export interface GatewayContext extends BaseContext {
  identity: Identity;
  responseHeaders: ResponseHeaders;
  /** The signed context for one subgraph, signed at most once per request and audience. */
  signedContextFor(audience: string): Promise<string>;
}

export function createGatewayContext(
  identity: Identity,
  client: ClientInfo,
  responseHeaders: ResponseHeaders,
  signingKey: ContextSigningKey,
): GatewayContext {
  const signed = new Map<string, Promise<string>>();
  return {
    identity,
    responseHeaders,
    signedContextFor(audience) {
      let token = signed.get(audience);
      if (token === undefined) {
        token = signContext(identity, audience, signingKey, new Date(), client);
        signed.set(audience, token);
      }
      return token;
    },
  };
}
