import type { ResponseHeaders } from "@fedsession/runtime";
import type { ClientInfo, Identity } from "@fedsession/subgraph-kit";
import type { Audit } from "./audit";
import type { SessionService } from "./sessions";

export interface SessionContext {
  identity: Identity;
  /** The caller's IP and user agent as the gateway signed them, for the audit log. */
  client: ClientInfo;
  sessions: SessionService;
  audit: Audit;
  responseHeaders: ResponseHeaders;
}
