import type { DocumentsContext } from "../context";
import { canView } from "../visibility";

interface UserReference {
  id: string;
}

export const User = {
  __resolveReference({ id }: UserReference): UserReference {
    return { id };
  },

  /** One listByOwners call for every user in the request, then each list filtered for this caller. */
  async documents({ id }: UserReference, _args: unknown, { identity, loaders }: DocumentsContext) {
    const docs = await loaders.documentsByOwner.load(id);
    return docs.filter((doc) => canView(identity, doc));
  },
};
