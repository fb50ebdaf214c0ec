import type { Identity } from "@fedsession/subgraph-kit";
import type { DocumentLoaders } from "./loaders";
import type { DocumentStore } from "./store/document-store";

export interface DocumentsContext {
  /** Verified from the gateway's signed context; the only source of who is asking. */
  identity: Identity;
  store: DocumentStore;
  loaders: DocumentLoaders;
  clock: () => Date;
  generateId: () => string;
  /** MAX_DOCUMENTS_PER_USER. */
  maxDocumentsPerUser: number;
}
