import DataLoader from "dataloader";
import type { DocumentRecord, DocumentStore, OwnerPage } from "./store/document-store";

export interface DocumentLoaders {
  documentById: DataLoader<string, DocumentRecord | null>;
  /** Null where the page's `after` is not a document it may show. */
  documentsByOwner: DataLoader<OwnerPage, DocumentRecord[] | null, string>;
}

/** Per request: the cache must never outlive one caller's view of the data. */
export function createDocumentLoaders(store: DocumentStore): DocumentLoaders {
  return {
    documentById: new DataLoader((ids) => store.findByIds(ids)),
    // The same page asked for by many entities (one owner behind many documents) is read once.
    documentsByOwner: new DataLoader((pages) => Promise.all(pages.map((page) => store.listByOwner(page))), {
      cacheKeyFn: (page) => JSON.stringify([page.ownerId, page.first, page.after, page.publicOnly]),
    }),
  };
}
