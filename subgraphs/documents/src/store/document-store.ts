/** A stored document; `createdAt` is epoch milliseconds and orders every listing, newest first. */
export interface DocumentRecord {
  id: string;
  ownerId: string;
  title: string;
  body: string;
  public: boolean;
  createdAt: number;
}

/** The documents port; the contract suite in test/document-store.contract.test.ts holds every adapter to it. */
export interface DocumentStore {
  create(doc: DocumentRecord): Promise<void>;
  /** One entry per id, in the same order; null where no document has that id. */
  findByIds(ids: readonly string[]): Promise<(DocumentRecord | null)[]>;
  /** One list per owner, in the same order as ownerIds; each list newest first. */
  listByOwners(ownerIds: readonly string[]): Promise<DocumentRecord[][]>;
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
