import DataLoader from "dataloader";
import type { DocumentRecord, DocumentStore } from "./store/document-store";

export interface DocumentLoaders {
  documentById: DataLoader<string, DocumentRecord | null>;
  documentsByOwner: DataLoader<string, DocumentRecord[]>;
}

/** Per request: the cache must never outlive one caller's view of the data. */
export function createDocumentLoaders(store: DocumentStore): DocumentLoaders {
  return {
    documentById: new DataLoader((ids) => store.findByIds(ids)),
    documentsByOwner: new DataLoader((ownerIds) => store.listByOwners(ownerIds)),
  };
}
