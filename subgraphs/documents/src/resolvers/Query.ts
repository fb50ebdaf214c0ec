import { requirePermission } from "@fedsession/subgraph-kit";
import type { QueryResolvers } from "../generated/graphql";
import { badUserInput } from "../errors";
import { PUBLIC_DOCUMENTS_MAX_FIRST } from "../limits";
import { DOCUMENTS_READ } from "../permissions";
import { findVisibleDocument } from "../visibility";
import { documentsPage } from "./documents-page";

export const Query: QueryResolvers = {
  publicDocuments(_parent, { first }, { store }) {
    if (first === null || first < 1 || first > PUBLIC_DOCUMENTS_MAX_FIRST) {
      throw badUserInput(`first must be from 1 to ${PUBLIC_DOCUMENTS_MAX_FIRST}`, "first");
    }
    return store.listPublic(first);
  },

  documents(_parent, args, context) {
    const user = requirePermission(context.identity, DOCUMENTS_READ);
    return documentsPage(user.userId, args, context);
  },

  document(_parent, { id }, context) {
    return findVisibleDocument(context, id);
  },
};
