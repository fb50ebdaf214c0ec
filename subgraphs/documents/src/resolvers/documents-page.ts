import { hasPermission, type Identity } from "@fedsession/subgraph-kit";
import type { DocumentsContext } from "../context";
import { badUserInput } from "../errors";
import { DOCUMENTS_PAGE_MAX_FIRST } from "../limits";
import { DOCUMENTS_READ } from "../permissions";
import type { QueryDocumentsArgs } from "../generated/graphql";
import type { DocumentRecord } from "../store/document-store";

/** Query.documents and User.documents take the same paging arguments. */
type PageArgs = QueryDocumentsArgs;

/** Only the owner (with documents:read) sees their private documents; for anyone else a page holds public ones. */
const seesPrivate = (identity: Identity, ownerId: string) =>
  identity.authenticated && identity.userId === ownerId && hasPermission(identity, DOCUMENTS_READ);

/** A page of an owner's documents as the caller may see them, shared by User.documents and Query.documents. */
export async function documentsPage(
  ownerId: string,
  { first, after }: PageArgs,
  { identity, loaders }: DocumentsContext,
): Promise<DocumentRecord[]> {
  if (typeof first !== "number" || !Number.isInteger(first) || first < 1 || first > DOCUMENTS_PAGE_MAX_FIRST) {
    throw badUserInput(`first must be from 1 to ${DOCUMENTS_PAGE_MAX_FIRST}`, "first");
  }
  const page = await loaders.documentsByOwner.load({
    ownerId,
    first,
    after: after ?? null,
    publicOnly: !seesPrivate(identity, ownerId),
  });
  if (page === null) throw badUserInput("after must be the id of a document of a previous page", "after");
  return page;
}
