import { hasPermission, type Identity } from "@fedsession/subgraph-kit";
import type { DocumentsContext } from "./context";
import { DOCUMENTS_READ } from "./permissions";
import type { DocumentRecord } from "./store/document-store";

/** Public documents are for everyone; a private one only for its owner, and only while they hold documents:read. */
export function canView(identity: Identity, doc: DocumentRecord): boolean {
  if (doc.public) return true;
  return identity.authenticated && identity.userId === doc.ownerId && hasPermission(identity, DOCUMENTS_READ);
}

/** Null both when the document is missing and when it is hidden, so a caller cannot probe for private ids. */
export async function findVisibleDocument(context: DocumentsContext, id: string): Promise<DocumentRecord | null> {
  const doc = await context.loaders.documentById.load(id);
  return doc !== null && canView(context.identity, doc) ? doc : null;
}
