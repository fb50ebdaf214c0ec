import { requirePermission } from "@fedsession/subgraph-kit";
import type { DocumentsContext } from "../context";
import { badUserInput } from "../errors";
import { PUBLIC_DOCUMENTS_MAX_FIRST } from "../limits";
import { DOCUMENTS_READ } from "../permissions";
import { findVisibleDocument } from "../visibility";
import { documentsPage, type PageArgs } from "./documents-page";

export const Query = {
  publicDocuments(_parent: unknown, { first }: { first: number | null }, { store }: DocumentsContext) {
    if (first === null || first < 1 || first > PUBLIC_DOCUMENTS_MAX_FIRST) {
      throw badUserInput(`first must be from 1 to ${PUBLIC_DOCUMENTS_MAX_FIRST}`, "first");
    }
    return store.listPublic(first);
  },

  documents(_parent: unknown, args: PageArgs, context: DocumentsContext) {
    const user = requirePermission(context.identity, DOCUMENTS_READ);
    return documentsPage(user.userId, args, context);
  },

  document(_parent: unknown, { id }: { id: string }, context: DocumentsContext) {
    return findVisibleDocument(context, id);
  },
};
