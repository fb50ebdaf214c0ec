import type { DocumentsContext } from "../context";
import type { DocumentRecord } from "../store/document-store";
import { findVisibleDocument } from "../visibility";

export const Document = {
  /** Same visibility as Query.document: the router gets null for a document this caller may not see. */
  __resolveReference({ id }: { id: string }, context: DocumentsContext) {
    return findVisibleDocument(context, id);
  },

  owner(doc: DocumentRecord) {
    return { __typename: "User", id: doc.ownerId };
  },

  createdAt(doc: DocumentRecord) {
    return new Date(doc.createdAt);
  },
};
