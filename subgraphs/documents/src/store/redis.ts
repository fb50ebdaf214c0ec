import type { RedisClient } from "@fedsession/runtime";
import type { DocumentRecord, DocumentStore } from "./document-store";

// Hash tags keep each key in the slot of its own id; no command here touches two keys, so Redis Cluster is fine.
const documentKey = (id: string) => `document:{${id}}`;
const ownerIndexKey = (ownerId: string) => `owner-documents:{${ownerId}}`;
const PUBLIC_INDEX_KEY = "public-documents";

function parseDocument(text: string): DocumentRecord {
  const value = JSON.parse(text) as Partial<DocumentRecord>;
  if (
    typeof value.id !== "string" ||
    typeof value.ownerId !== "string" ||
    typeof value.title !== "string" ||
    typeof value.body !== "string" ||
    typeof value.public !== "boolean" ||
    typeof value.createdAt !== "number"
  ) {
    throw new Error("stored document is malformed");
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
 * an index entry without a document, which every reader skips.
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

  return {
    async create(doc) {
      await redis.set(documentKey(doc.id), JSON.stringify(doc));
      const indexes = [redis.zadd(ownerIndexKey(doc.ownerId), doc.createdAt, doc.id)];
      if (doc.public) indexes.push(redis.zadd(PUBLIC_INDEX_KEY, doc.createdAt, doc.id));
      await Promise.all(indexes);
    },

    findByIds,

    async listByOwners(ownerIds) {
      return Promise.all(
        ownerIds.map(async (ownerId) => present(await findByIds(await redis.zrevrange(ownerIndexKey(ownerId), 0, -1)))),
      );
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
}
