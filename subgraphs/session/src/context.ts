import type { ResponseHeaders } from "@fedsession/runtime";
import type { Identity } from "@fedsession/subgraph-kit";
import type { SessionService } from "./sessions";

export interface SessionContext {
  identity: Identity;
  sessions: SessionService;
  responseHeaders: ResponseHeaders;
}
