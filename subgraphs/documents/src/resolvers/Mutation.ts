import { requirePermission } from "@fedsession/subgraph-kit";
import type { MutationCreateDocumentArgs, MutationResolvers } from "../generated/graphql";
import { badUserInput, forbidden } from "../errors";
import { BODY_MAX_CHARACTERS, TITLE_MAX_CHARACTERS, characterCount } from "../limits";
import { DOCUMENTS_WRITE } from "../permissions";
import type { DocumentRecord } from "../store/document-store";

function validateDocumentInput({ title, body }: MutationCreateDocumentArgs): void {
  if (title.trim() === "" || characterCount(title) > TITLE_MAX_CHARACTERS) {
    throw badUserInput(`title must be 1 to ${TITLE_MAX_CHARACTERS} characters and not blank`, "title");
  }
  if (characterCount(body) > BODY_MAX_CHARACTERS) {
    throw badUserInput(`body must be at most ${BODY_MAX_CHARACTERS} characters`, "body");
  }
}

export const Mutation: MutationResolvers = {
  async createDocument(_parent, args, { identity, store, loaders, clock, generateId, maxDocumentsPerUser }) {
    const user = requirePermission(identity, DOCUMENTS_WRITE);
    validateDocumentInput(args);
    const doc: DocumentRecord = {
      id: generateId(),
      ownerId: user.userId,
      title: args.title,
      body: args.body,
      public: args.public ?? false,
      createdAt: clock().getTime(),
    };
    if (!(await store.create(doc, maxDocumentsPerUser))) {
      throw forbidden(`You have ${maxDocumentsPerUser} documents, the most one user may keep; delete some first`, {
        limit: maxDocumentsPerUser,
      });
    }
    loaders.documentById.prime(doc.id, doc);
    loaders.documentsByOwner.clearAll();
    return doc;
  },

  async deleteDocument(_parent, { id }, { identity, store, loaders }) {
    const user = requirePermission(identity, DOCUMENTS_WRITE);
    const doc = await loaders.documentById.load(id);
    if (doc === null) return false;
    if (doc.ownerId !== user.userId) throw forbidden("You can delete only your own documents");
    const deleted = await store.delete(id);
    loaders.documentById.clear(id);
    loaders.documentsByOwner.clearAll();
    return deleted;
  },
};
