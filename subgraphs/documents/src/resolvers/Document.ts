import type { DocumentResolvers } from "../generated/graphql";
import { findVisibleDocument } from "../visibility";

export const Document: DocumentResolvers = {
  /** Same visibility as Query.document: the router gets null for a document this caller may not see. */
  __resolveReference({ id }, context) {
    return findVisibleDocument(context, id);
  },

  owner(doc) {
    return { id: doc.ownerId };
  },

  createdAt(doc) {
    return new Date(doc.createdAt);
  },
};
