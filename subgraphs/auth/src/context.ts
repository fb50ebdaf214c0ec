import type { BaseContext } from "@apollo/server";
import type { Logger, ResponseHeaders } from "@fedsession/runtime";
import type { ClientInfo, Identity } from "@fedsession/subgraph-kit";
import type DataLoader from "dataloader";
import type { Accounts } from "./accounts";
import type { Audit } from "./audit";
import type { SessionService } from "./sessions";
import type { UserRecord } from "./store/user-store";

export interface AuthContext extends BaseContext {
  identity: Identity;
  /** The client's IP and user agent as the gateway signed them: for throttling, new sessions and the audit log. */
  client: ClientInfo;
  responseHeaders: ResponseHeaders;
  accounts: Accounts;
  sessions: SessionService;
  /** Per request: batches and caches user lookups for `me` and `_entities`. */
  users: DataLoader<string, UserRecord | null>;
  /** Users who proved their password in this request (signUp/login), so the payload can show them their own fields. */
  provenUserIds: Set<string>;
  logger: Logger;
  audit: Audit;
}
