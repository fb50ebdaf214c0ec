import { newestFirst, type DocumentRecord, type DocumentStore } from "./document-store";

/** The embedded development store; records are copied in and out so callers never share mutable state with it. */
export function createMemoryDocumentStore(): DocumentStore {
  const documents = new Map<string, DocumentRecord>();
  const copy = (doc: DocumentRecord): DocumentRecord => ({ ...doc });
  const sorted = (predicate: (doc: DocumentRecord) => boolean) =>
    [...documents.values()].filter(predicate).sort(newestFirst).map(copy);

  return {
    async create(doc) {
      documents.set(doc.id, copy(doc));
    },
    async findByIds(ids) {
      return ids.map((id) => {
        const doc = documents.get(id);
        return doc ? copy(doc) : null;
      });
    },
    async listByOwners(ownerIds) {
      return ownerIds.map((ownerId) => sorted((doc) => doc.ownerId === ownerId));
    },
    async listPublic(first) {
      return sorted((doc) => doc.public).slice(0, first);
    },
    async delete(id) {
      return documents.delete(id);
    },
  };
}
