import type { BaseContext } from "@apollo/server";
import type { ResponseHeaders } from "@fedsession/runtime";
import { signContext, type ClientInfo, type ContextSigningKey, type Identity } from "@fedsession/subgraph-kit";

export interface GatewayContext extends BaseContext {
  identity: Identity;
  client: ClientInfo;
  /** Echoed in the x-request-id header and in generic internal errors, so a report can be matched to the logs. */
  requestId: string;
  responseHeaders: ResponseHeaders;
  /** The signed context for one subgraph, signed at most once per request and audience. */
  signedContextFor(audience: string): Promise<string>;
}

export function createGatewayContext(
  fields: Omit<GatewayContext, "signedContextFor">,
  signingKey: ContextSigningKey,
): GatewayContext {
  const signed = new Map<string, Promise<string>>();
  return {
    ...fields,
    signedContextFor(audience) {
      let token = signed.get(audience);
      if (token === undefined) {
        token = signContext(fields.identity, audience, signingKey, new Date(), fields.client);
        signed.set(audience, token);
      }
      return token;
    },
  };
}
