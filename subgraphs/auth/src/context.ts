import type { BaseContext } from "@apollo/server";
import type { Logger, ResponseHeaders } from "@fedsession/runtime";
import type { Identity } from "@fedsession/subgraph-kit";
import type { Accounts } from "./accounts";
import type DataLoader from "dataloader";
import type { SessionCreator } from "./sessions";
import type { UserRecord } from "./store/user-store";

export interface AuthContext extends BaseContext {
  identity: Identity;
  responseHeaders: ResponseHeaders;
  accounts: Accounts;
  sessions: SessionCreator;
  /** Per request: batches and caches user lookups for `me` and `_entities`. */
  users: DataLoader<string, UserRecord | null>;
  /** Users who proved their password in this request (signUp/login), so the payload can show them their own fields. */
  provenUserIds: Set<string>;
  logger: Logger;
}
