import { requirePermission } from "@fedsession/subgraph-kit";
import type { DocumentsContext } from "../context";
import { badUserInput } from "../errors";
import { PUBLIC_DOCUMENTS_MAX_FIRST } from "../limits";
import { DOCUMENTS_READ } from "../permissions";
import { findVisibleDocument } from "../visibility";

export const Query = {
  publicDocuments(_parent: unknown, { first }: { first: number | null }, { store }: DocumentsContext) {
    if (first === null || first < 1 || first > PUBLIC_DOCUMENTS_MAX_FIRST) {
      throw badUserInput(`first must be from 1 to ${PUBLIC_DOCUMENTS_MAX_FIRST}`, "first");
    }
    return store.listPublic(first);
  },

  documents(_parent: unknown, _args: unknown, { identity, loaders }: DocumentsContext) {
    const user = requirePermission(identity, DOCUMENTS_READ);
    return loaders.documentsByOwner.load(user.userId);
  },

  document(_parent: unknown, { id }: { id: string }, context: DocumentsContext) {
    return findVisibleDocument(context, id);
  },
};
