import type { UserResolvers } from "../generated/graphql";
import { documentsPage } from "./documents-page";

export interface UserReference {
  id: string;
}

export const User: UserResolvers = {
  __resolveReference({ id }) {
    return { id };
  },

  /** Users sharing the same page arguments in one request read each owner's page once (DataLoader). */
  documents({ id }, args, context) {
    return documentsPage(id, args, context);
  },
};
