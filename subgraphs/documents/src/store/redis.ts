import type { RedisClient } from "@fedsession/runtime";
import { failuresAs, ServiceUnavailable } from "@fedsession/subgraph-kit";
import type { DocumentRecord, DocumentStore } from "./document-store";

// Hash tags keep each key in the slot of its own id; no command here touches two keys, so Redis Cluster is fine.
const documentKey = (id: string) => `document:{${id}}`;
const ownerIndexKey = (ownerId: string) => `owner-documents:{${ownerId}}`;
const PUBLIC_INDEX_KEY = "public-documents";

/** A stored value that is no document: corrupt data, which no retry mends, so it is a bug to the client, not an outage. */
class MalformedDocument extends Error {
  constructor() {
    super("stored document is malformed");
    this.name = "MalformedDocument";
  }
}

function parseDocument(text: string): DocumentRecord {
  let value: Partial<DocumentRecord>;
  try {
    value = JSON.parse(text) as Partial<DocumentRecord>;
  } catch {
    throw new MalformedDocument();
  }
  if (
    typeof value.id !== "string" ||
    typeof value.ownerId !== "string" ||
    typeof value.title !== "string" ||
    typeof value.body !== "string" ||
    typeof value.public !== "boolean" ||
    typeof value.createdAt !== "number"
  ) {
    throw new MalformedDocument();
  }
  return {
    id: value.id,
    ownerId: value.ownerId,
    title: value.title,
    body: value.body,
    public: value.public,
    createdAt: value.createdAt,
  };
}

const present = (docs: (DocumentRecord | null)[]): DocumentRecord[] => docs.filter((doc) => doc !== null);

/**
 * Documents as JSON under `document:{id}`, indexed by owner and by visibility in sorted sets scored by createdAt.
 * The document is written before its index entries and deleted before them, so an interrupted write can leave at most
 * an index entry without a document, which every reader skips. Every failure but a malformed document is an outage
 * to the client (SERVICE_UNAVAILABLE, retry later).
 */
export function createRedisDocumentStore(redis: RedisClient): DocumentStore {
  // Separate GETs rather than MGET: the ids hash to different slots, and auto-pipelining sends them in one round trip.
  const findByIds = (ids: readonly string[]) =>
    Promise.all(
      ids.map(async (id) => {
        const text = await redis.get(documentKey(id));
        return text === null ? null : parseDocument(text);
      }),
    );

  const store: DocumentStore = {
    async create(doc, maxPerOwner) {
      await redis.set(documentKey(doc.id), JSON.stringify(doc));
      const ownerIndex = ownerIndexKey(doc.ownerId);
      // ZADD and ZCARD in one transaction: of concurrent creates at the cap, each sees the count its own add made,
      // so exactly the ones past the cap undo themselves.
      const replies = await redis.multi().zadd(ownerIndex, doc.createdAt, doc.id).zcard(ownerIndex).exec();
      const owned = replies?.[1]?.[1];
      if (typeof owned !== "number" || owned > maxPerOwner) {
        await redis.zrem(ownerIndex, doc.id);
        await redis.del(documentKey(doc.id));
        if (typeof owned !== "number") throw new Error("document index transaction failed");
        return false;
      }
      if (doc.public) await redis.zadd(PUBLIC_INDEX_KEY, doc.createdAt, doc.id);
      return true;
    },

    findByIds,

    async listByOwner({ ownerId, first, after, publicOnly }) {
      const index = ownerIndexKey(ownerId);
      let offset = 0;
      if (after !== null) {
        const [rank, [cursor]] = await Promise.all([redis.zrevrank(index, after), findByIds([after])]);
        if (rank === null || !cursor || (publicOnly && !cursor.public)) return null;
        offset = rank + 1;
      }
      const page: DocumentRecord[] = [];
      // Usually one batch; more only when hidden (private) documents or index entries without a document were
      // skipped. Bounded: an owner has at most MAX_DOCUMENTS_PER_USER documents.
      const batch = Math.max(first, 50);
      while (page.length < first) {
        const ids = await redis.zrevrange(index, offset, offset + batch - 1);
        offset += ids.length;
        for (const doc of present(await findByIds(ids))) {
          if ((doc.public || !publicOnly) && page.length < first) page.push(doc);
        }
        if (ids.length < batch) break;
      }
      return page;
    },

    async listPublic(first) {
      const found = new Map<string, DocumentRecord>();
      let offset = 0;
      // Usually one page; more only when index entries without a document had to be skipped.
      while (found.size < first) {
        const wanted = first - found.size;
        const ids = await redis.zrevrange(PUBLIC_INDEX_KEY, offset, offset + wanted - 1);
        offset += ids.length;
        for (const doc of present(await findByIds(ids))) found.set(doc.id, doc);
        if (ids.length < wanted) break;
      }
      return [...found.values()];
    },

    async delete(id) {
      const text = await redis.get(documentKey(id));
      if (text === null) return false;
      const doc = parseDocument(text);
      // DEL's count decides the answer, so of two concurrent deletes exactly one reports true.
      const deleted = await redis.del(documentKey(id));
      await Promise.all([redis.zrem(ownerIndexKey(doc.ownerId), id), redis.zrem(PUBLIC_INDEX_KEY, id)]);
      return deleted === 1;
    },
  };
  return failuresAs(
    store,
    (cause) => new ServiceUnavailable("documents", { cause }),
    (error) => error instanceof MalformedDocument,
  );
}
