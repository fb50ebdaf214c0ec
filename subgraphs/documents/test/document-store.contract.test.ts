import { Cluster } from "ioredis";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { connect } from "node:net";
import { connectTestRedis, type TestRedis } from "@fedsession/testing";
import type { DocumentRecord, DocumentStore } from "../src/store/document-store";
import { createMemoryDocumentStore } from "../src/store/memory";
import { createRedisDocumentStore } from "../src/store/redis";

interface Harness {
  store: DocumentStore;
  close(): Promise<void>;
}

const openMemory = async (): Promise<Harness> => ({ store: createMemoryDocumentStore(), close: async () => {} });
const openRedis = async (): Promise<Harness> => {
  const redis = await connectTestRedis();
  return { store: createRedisDocumentStore(redis.client), close: () => redis.close() };
};

let sequence = 0;
function documentFor(ownerId: string, overrides: Partial<DocumentRecord> = {}): DocumentRecord {
  sequence += 1;
  return {
    id: `doc-${randomUUID()}`,
    ownerId,
    title: `title ${sequence}`,
    body: `body ${sequence}`,
    public: false,
    createdAt: Date.UTC(2026, 0, 1) + sequence * 1000,
    ...overrides,
  };
}

/** Far above what any test here creates, for tests not about the cap. */
const NO_CAP = 1000;

/** Every document of each owner (no test here has more than 100), one list per owner in the order asked. */
const listByOwners = (store: DocumentStore, ownerIds: string[]) =>
  Promise.all(ownerIds.map((ownerId) => store.listByOwner({ ownerId, first: 100, after: null, publicOnly: false })));

const ids = (docs: readonly (DocumentRecord | null)[] | null) => docs?.map((doc) => doc?.id ?? null) ?? null;

describe.each([
  ["memory", openMemory],
  ["redis", openRedis],
])("document store contract: %s", (_adapter, open) => {
  let harness: Harness;
  let store: DocumentStore;

  beforeEach(async () => {
    harness = await open();
    store = harness.store;
  });
  afterEach(() => harness.close());

  it("finds created documents by id in the order asked, with null for unknown ids", async () => {
    const first = documentFor("u-alice", { public: true });
    const second = documentFor("u-bob");
    await store.create(first, NO_CAP);
    await store.create(second, NO_CAP);
    await expect(store.findByIds([second.id, "doc-missing", first.id])).resolves.toEqual([second, null, first]);
    await expect(store.findByIds([])).resolves.toEqual([]);
  });

  it("lists each owner's documents newest first, one list per owner in the order asked", async () => {
    const older = documentFor("u-alice", { createdAt: 1_000 });
    const newer = documentFor("u-alice", { createdAt: 3_000, public: true });
    const bobs = documentFor("u-bob", { createdAt: 2_000 });
    for (const doc of [newer, bobs, older]) await store.create(doc, NO_CAP);
    const lists = await listByOwners(store, ["u-bob", "u-nobody", "u-alice"]);
    expect(lists.map(ids)).toEqual([[bobs.id], [], [newer.id, older.id]]);
    expect(lists[2]).toEqual([newer, older]);
  });

  it("orders documents created in the same millisecond by id, descending, on every adapter", async () => {
    const a = documentFor("u-alice", { id: "doc-a", createdAt: 5_000, public: true });
    const b = documentFor("u-alice", { id: "doc-b", createdAt: 5_000, public: true });
    await store.create(a, NO_CAP);
    await store.create(b, NO_CAP);
    await expect(listByOwners(store, ["u-alice"])).resolves.toEqual([[b, a]]);
    await expect(store.listPublic(10)).resolves.toEqual([b, a]);
  });

  it("lists only public documents, newest first, at most `first` of them", async () => {
    const docs = [1, 2, 3, 4].map((n) =>
      documentFor(n % 2 === 0 ? "u-alice" : "u-bob", { createdAt: n * 1000, public: n !== 3 }),
    );
    for (const doc of docs) await store.create(doc, NO_CAP);
    const [one, two, , four] = docs;
    await expect(store.listPublic(10)).resolves.toEqual([four, two, one]);
    await expect(store.listPublic(2)).resolves.toEqual([four, two]);
    await expect(store.listPublic(0)).resolves.toEqual([]);
  });

  it("deletes a document from lookups and from both listings, and reports whether it existed", async () => {
    const kept = documentFor("u-alice", { public: true });
    const doomed = documentFor("u-alice", { public: true });
    await store.create(kept, NO_CAP);
    await store.create(doomed, NO_CAP);
    await expect(store.delete(doomed.id)).resolves.toBe(true);
    await expect(store.delete(doomed.id)).resolves.toBe(false);
    await expect(store.delete("doc-missing")).resolves.toBe(false);
    await expect(store.findByIds([doomed.id, kept.id])).resolves.toEqual([null, kept]);
    await expect(listByOwners(store, ["u-alice"])).resolves.toEqual([[kept]]);
    await expect(store.listPublic(10)).resolves.toEqual([kept]);
  });

  it("pages an owner's documents newest first: `first` of them, then the ones after the last id", async () => {
    const docs = [1, 2, 3, 4, 5].map((n) => documentFor("u-alice", { createdAt: n * 1000, public: n !== 4 }));
    for (const doc of docs) await store.create(doc, NO_CAP);
    const page = (first: number, after: string | null, publicOnly = false) =>
      store.listByOwner({ ownerId: "u-alice", first, after, publicOnly });
    const [d1, d2, d3, d4, d5] = docs as [
      DocumentRecord,
      DocumentRecord,
      DocumentRecord,
      DocumentRecord,
      DocumentRecord,
    ];
    await expect(page(2, null)).resolves.toEqual([d5, d4]);
    await expect(page(2, d4.id)).resolves.toEqual([d3, d2]);
    await expect(page(2, d2.id)).resolves.toEqual([d1]);
    await expect(page(2, d1.id)).resolves.toEqual([]);
    // Another user sees only the public ones, pages still full, and may not page from a private document.
    await expect(page(2, null, true)).resolves.toEqual([d5, d3]);
    await expect(page(2, d3.id, true)).resolves.toEqual([d2, d1]);
    await expect(page(2, d4.id, true)).resolves.toBeNull();
    await expect(page(2, "doc-missing")).resolves.toBeNull();
    await expect(
      store.listByOwner({ ownerId: "u-bob", first: 2, after: d5.id, publicOnly: false }),
    ).resolves.toBeNull();
  });

  it("refuses to store a document past the owner's cap, and counts only that owner's documents", async () => {
    const first = documentFor("u-alice");
    const second = documentFor("u-alice");
    await expect(store.create(first, 2)).resolves.toBe(true);
    await expect(store.create(second, 2)).resolves.toBe(true);
    const third = documentFor("u-alice", { public: true });
    await expect(store.create(third, 2)).resolves.toBe(false);
    await expect(store.findByIds([third.id])).resolves.toEqual([null]);
    await expect(store.listPublic(10)).resolves.toEqual([]);
    await expect(store.create(documentFor("u-bob"), 2)).resolves.toBe(true);
    await store.delete(first.id);
    await expect(store.create(third, 2)).resolves.toBe(true);
  });

  it("lets exactly one of two concurrent creates at the cap through", async () => {
    await store.create(documentFor("u-alice"), 2);
    const results = await Promise.all([
      store.create(documentFor("u-alice"), 2),
      store.create(documentFor("u-alice"), 2),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    await expect(listByOwners(store, ["u-alice"]).then(([list]) => list?.length)).resolves.toBe(2);
  });

  it("returns copies, so changing a returned record does not change the stored one", async () => {
    const doc = documentFor("u-alice");
    await store.create(doc, NO_CAP);
    const [found] = await store.findByIds([doc.id]);
    if (found) found.title = "changed";
    await expect(store.findByIds([doc.id])).resolves.toEqual([doc]);
  });
});

/**
 * MONITOR on a plain socket, calling `onCommand` with each command's server time and arguments; resolves once the
 * server has started it, with a function that stops it. Not ioredis's monitor(): it takes a monitored line that
 * arrives in the same chunk as MONITOR's own +OK for a reply to nothing ("Command queue state error"), which the
 * other suites' traffic on a shared server made happen in a Cluster run.
 */
async function monitor(
  host: string,
  port: number,
  onCommand: (time: number, args: string[]) => void,
): Promise<() => void> {
  const socket = connect(port, host);
  await once(socket, "connect");
  let buffered = "";
  const started = new Promise<void>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      for (let end = buffered.indexOf("\r\n"); end >= 0; end = buffered.indexOf("\r\n")) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (line === "+OK") resolve();
        else if (line.startsWith("+")) {
          // +<time> [<db> <client>] "<command>" "<arg>" …
          const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1] ?? "");
          onCommand(Number(line.slice(1, line.indexOf(" "))), args);
        }
      }
    });
  });
  socket.write("MONITOR\r\n");
  await started;
  return () => socket.destroy();
}

describe("redis document store: what Redis holds", () => {
  let redis: TestRedis;
  let store: DocumentStore;

  beforeEach(async () => {
    redis = await connectTestRedis();
    store = createRedisDocumentStore(redis.client);
  });
  afterEach(() => redis.close());

  it("keeps the document as JSON under a hash-tagged, prefixed key, indexed by owner and visibility, with no TTL", async () => {
    const doc = documentFor("u-alice", { public: true });
    await store.create(doc, NO_CAP);
    const documentKey = `${redis.keyPrefix}document:{${doc.id}}`;
    const ownerKey = `${redis.keyPrefix}owner-documents:{u-alice}`;
    const publicKey = `${redis.keyPrefix}public-documents`;
    expect((await redis.keys()).sort()).toEqual([documentKey, ownerKey, publicKey].sort());
    expect(JSON.parse((await redis.raw.get(documentKey)) ?? "null")).toEqual(doc);
    expect(await redis.raw.zscore(ownerKey, doc.id)).toBe(String(doc.createdAt));
    expect(await redis.raw.zscore(publicKey, doc.id)).toBe(String(doc.createdAt));
    for (const key of [documentKey, ownerKey, publicKey]) expect(await redis.raw.pttl(key)).toBe(-1);
  });

  it("leaves a private document out of the public index", async () => {
    const doc = documentFor("u-alice");
    await store.create(doc, NO_CAP);
    expect(await redis.raw.exists(`${redis.keyPrefix}public-documents`)).toBe(0);
  });

  it("leaves no index entry behind after a delete", async () => {
    const doc = documentFor("u-alice", { public: true });
    await store.create(doc, NO_CAP);
    await store.delete(doc.id);
    expect(await redis.keys()).toEqual([]);
  });

  it("writes the document before its index entries and deletes it before them", async () => {
    // MONITOR every node that serves keys (one server, or each master of a cluster) and order by server time.
    const nodes = redis.single ? [redis.single] : redis.raw instanceof Cluster ? redis.raw.nodes("master") : [];
    const seen: { time: number; command: string }[] = [];
    const monitors = await Promise.all(
      nodes.map((node) =>
        monitor(node.options.host ?? "127.0.0.1", node.options.port ?? 6379, (time, args) => {
          if (args.some((arg) => arg.startsWith(redis.keyPrefix)))
            seen.push({ time, command: args[0]?.toLowerCase() ?? "" });
        }),
      ),
    );
    const doc = documentFor("u-alice", { public: true });
    await store.create(doc, NO_CAP);
    await store.delete(doc.id);
    const deadline = Date.now() + 2000;
    while (seen.length < 8 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const stop of monitors) stop();
    const commands = seen.sort((a, b) => a.time - b.time).map((entry) => entry.command);
    expect(commands).toEqual(["set", "zadd", "zcard", "zadd", "get", "del", "zrem", "zrem"]);
  });

  it("skips index entries whose document is missing, still filling the requested page", async () => {
    const kept = [1, 2, 3].map((n) => documentFor("u-alice", { createdAt: n * 1000, public: true }));
    for (const doc of kept) await store.create(doc, NO_CAP);
    // What an interrupted delete leaves behind: index entries, newer than everything else, for a document that is gone.
    await redis.raw.zadd(`${redis.keyPrefix}owner-documents:{u-alice}`, 9_000, "doc-ghost");
    await redis.raw.zadd(`${redis.keyPrefix}public-documents`, 9_000, "doc-ghost");
    await expect(listByOwners(store, ["u-alice"])).resolves.toEqual([[kept[2], kept[1], kept[0]]]);
    await expect(store.listPublic(2)).resolves.toEqual([kept[2], kept[1]]);
    await expect(store.listPublic(10)).resolves.toEqual([kept[2], kept[1], kept[0]]);
  });
});
