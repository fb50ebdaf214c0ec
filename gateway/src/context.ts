import type { BaseContext } from "@apollo/server";
import type { ResponseHeaders } from "@fedsession/runtime";
import type { ClientInfo, Identity } from "@fedsession/subgraph-kit";
import type { ContextSigner } from "./context-signer";

export interface GatewayContext extends BaseContext {
  identity: Identity;
  client: ClientInfo;
  /** Echoed in the x-request-id header and in generic internal errors, so a report can be matched to the logs. */
  requestId: string;
  responseHeaders: ResponseHeaders;
  /** The signed context for one subgraph. */
  signedContextFor(audience: string): Promise<string>;
}

export function createGatewayContext(
  fields: Omit<GatewayContext, "signedContextFor">,
  sign: ContextSigner,
): GatewayContext {
  return { ...fields, signedContextFor: (audience) => sign(fields.identity, fields.client, audience) };
}
