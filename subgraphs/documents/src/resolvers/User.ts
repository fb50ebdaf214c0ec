import type { DocumentsContext } from "../context";
import { documentsPage, type PageArgs } from "./documents-page";

interface UserReference {
  id: string;
}

export const User = {
  __resolveReference({ id }: UserReference): UserReference {
    return { id };
  },

  /** Users sharing the same page arguments in one request read each owner's page once (DataLoader). */
  documents({ id }: UserReference, args: PageArgs, context: DocumentsContext) {
    return documentsPage(id, args, context);
  },
};
