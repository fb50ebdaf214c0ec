/** A stored document; `createdAt` is epoch milliseconds and orders every listing, newest first. */
export interface DocumentRecord {
  id: string;
  ownerId: string;
  title: string;
  body: string;
  public: boolean;
  createdAt: number;
}

/** One page of an owner's documents. */
export interface OwnerPage {
  ownerId: string;
  /** At most this many documents. */
  first: number;
  /** Start after this document (the last of the previous page); null: from the newest. */
  after: string | null;
  /** Only public documents (another user is asking); `after` must then be public too. */
  publicOnly: boolean;
}

/** The documents port; the contract suite in test/document-store.contract.test.ts holds every adapter to it. */
export interface DocumentStore {
  /** False, and nothing stored, when the owner already has `maxPerOwner` documents (so no user grows without bound). */
  create(doc: DocumentRecord, maxPerOwner: number): Promise<boolean>;
  /** One entry per id, in the same order; null where no document has that id. */
  findByIds(ids: readonly string[]): Promise<(DocumentRecord | null)[]>;
  /** A page of the owner's documents, newest first; null when `after` is not one of the documents the page may show. */
  listByOwner(page: OwnerPage): Promise<DocumentRecord[] | null>;
  /** At most `first` public documents, newest first. */
  listPublic(first: number): Promise<DocumentRecord[]>;
  /** True when a document was deleted, false when none had that id. */
  delete(id: string): Promise<boolean>;
}

/** Newest first; equal timestamps fall back to the id, descending, which is how Redis orders equal scores. */
export function newestFirst(a: DocumentRecord, b: DocumentRecord): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  if (a.id === b.id) return 0;
  return a.id < b.id ? 1 : -1;
}
