import { newestFirst, type DocumentRecord, type DocumentStore } from "./document-store";

/** The embedded development store; records are copied in and out so callers never share mutable state with it. */
export function createMemoryDocumentStore(): DocumentStore {
  const documents = new Map<string, DocumentRecord>();
  const copy = (doc: DocumentRecord): DocumentRecord => ({ ...doc });
  const sorted = (predicate: (doc: DocumentRecord) => boolean) =>
    [...documents.values()].filter(predicate).sort(newestFirst).map(copy);

  return {
    async create(doc, maxPerOwner) {
      let owned = 0;
      for (const existing of documents.values()) if (existing.ownerId === doc.ownerId) owned++;
      if (owned >= maxPerOwner) return false;
      documents.set(doc.id, copy(doc));
      return true;
    },
    async findByIds(ids) {
      return ids.map((id) => {
        const doc = documents.get(id);
        return doc ? copy(doc) : null;
      });
    },
    async listByOwner({ ownerId, first, after, publicOnly }) {
      const visible = sorted((doc) => doc.ownerId === ownerId && (doc.public || !publicOnly));
      const start = after === null ? 0 : visible.findIndex((doc) => doc.id === after) + 1;
      if (start === 0 && after !== null) return null;
      return visible.slice(start, start + first);
    },
    async listPublic(first) {
      return sorted((doc) => doc.public).slice(0, first);
    },
    async delete(id) {
      return documents.delete(id);
    },
  };
}
