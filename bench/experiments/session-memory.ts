/**
 * Issue 10, item 5: where a session's Redis memory goes, and what a layout would need to reach 512 bytes.
 *
 *   npx tsx bench/experiments/session-memory.ts [--sessions 100000]
 *
 * On a private Redis, for one and for four sessions per user:
 * - sessions created through the real service and Redis adapter (as bench/experiments/session-store.ts does, with
 *   the same desktop user agent), and the used_memory delta per session broken down into the session key, the
 *   user's index, the key and expiry tables, and what no key accounts for;
 * - the same keys (a string with a TTL per session, a sorted set with a TTL per user) written directly with other
 *   record shapes, which prices a layout without building it. Its first row holds today's record, so it checks
 *   the replica against the service.
 * Prints markdown tables (bytes per session).
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import Redis from "ioredis";
import { closeRedisClient, createRedisClient, generateKeyMaterial, importSigningKey } from "@fedsession/runtime";
import { startRedisProcess } from "@fedsession/testing";
import { createSessionService } from "../../subgraphs/session/src/sessions";
import { createRedisSessionStore } from "../../subgraphs/session/src/store/redis";
import { usedMemory } from "../redis-stats";

const USER_AGENT =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const KEY_PREFIX = "fedsession:";
const PERMISSIONS = ["documents:read", "documents:write"];
const IDLE_MS = 30 * 60_000;
const ABSOLUTE_MS = 12 * 3_600_000;
const SEED_CONCURRENCY = 256;
const PIPELINE_SIZE = 1_000;
const PER_USER = [1, 4] as const;
/** What a Redis 7.0 key costs beside its name and value: its robj and its dict entry (MEMORY USAGE counts both). */
const KEY_OBJECT_BYTES = 16 + 24;

const args = process.argv.slice(2);
const sessionsIndex = args.indexOf("--sessions");
const SESSIONS = sessionsIndex >= 0 ? Number(args[sessionsIndex + 1]) : 100_000;

interface Breakdown {
  perSession: number;
  sessionKey: number;
  userIndexShare: number;
  tables: number;
  rest: number;
  /** One stored record, as Redis holds it. */
  record: string;
  sessionKeyName: string;
  userIndexKeyName: string;
  userIndexEncoding: string;
}

/** How a layout names its keys, and SCAN patterns that find each kind. */
interface KeyNames {
  session: (id: string) => string;
  user: (userId: string) => string;
  patterns: { session: string; user: string };
}

interface Layout {
  name: string;
  record: string;
  keys: KeyNames;
}

const TODAYS_KEYS: KeyNames = {
  session: (id) => `${KEY_PREFIX}s:{${id}}`,
  user: (userId) => `${KEY_PREFIX}u:{${userId}}`,
  patterns: { session: `${KEY_PREFIX}s:{*`, user: `${KEY_PREFIX}u:{*` },
};
const digest = (text: string) => createHash("sha256").update(text).digest().subarray(0, 16).toString("base64url");
/** Names one allocation class smaller: no colon, and users named by a 16-byte digest of their id. */
const SHORT_KEYS: KeyNames = {
  session: (id) => `${KEY_PREFIX}s{${id}}`,
  user: (userId) => `${KEY_PREFIX}u{${digest(userId)}}`,
  patterns: { session: `${KEY_PREFIX}s{*`, user: `${KEY_PREFIX}u{*` },
};

const newSessionId = () => randomBytes(16).toString("base64url");
const userFor = (users: string[], index: number, perUser: number) => users[Math.floor(index / perUser)] as string;
const newUsers = (perUser: number) => Array.from({ length: Math.ceil(SESSIONS / perUser) }, () => randomUUID());

async function dbTables(raw: Redis): Promise<number> {
  const stats: unknown = await raw.call("MEMORY", "STATS");
  const flat = Array.isArray(stats) ? stats : [];
  const db = flat[flat.indexOf("db.0") + 1];
  const fields: unknown[] = Array.isArray(db) ? db : [];
  const field = (name: string) => Number(fields[fields.indexOf(name) + 1]);
  return field("overhead.hashtable.main") + field("overhead.hashtable.expires");
}

async function firstKey(raw: Redis, pattern: string): Promise<string> {
  let cursor = "0";
  do {
    const [next, keys] = await raw.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    if (keys[0] !== undefined) return keys[0];
    cursor = next;
  } while (cursor !== "0");
  throw new Error(`no key matches ${pattern}`);
}

const memoryUsage = async (raw: Redis, key: string) => Number(await raw.call("MEMORY", "USAGE", key, "SAMPLES", "0"));

/** Seeds through `write`, then splits the used_memory delta per session. */
async function measure(
  raw: Redis,
  perUser: number,
  patterns: { session: string; user: string },
  write: () => Promise<void>,
): Promise<Breakdown> {
  await raw.flushall();
  const before = await usedMemory(raw);
  await write();
  const delta = (await usedMemory(raw)) - before;
  const sessionKeyName = await firstKey(raw, patterns.session);
  const userIndexKeyName = await firstKey(raw, patterns.user);
  const sessionKey = await memoryUsage(raw, sessionKeyName);
  const userIndexShare = (await memoryUsage(raw, userIndexKeyName)) / perUser;
  const keys = await raw.dbsize();
  // The tables' entries and robjs are in MEMORY USAGE already; what is left is the expiry entries and the buckets.
  const tables = ((await dbTables(raw)) - KEY_OBJECT_BYTES * keys) / SESSIONS;
  const perSession = delta / SESSIONS;
  return {
    perSession,
    sessionKey,
    userIndexShare,
    tables,
    rest: perSession - sessionKey - userIndexShare - tables,
    record: (await raw.get(sessionKeyName)) ?? "",
    sessionKeyName,
    userIndexKeyName,
    userIndexEncoding: String(await raw.call("OBJECT", "ENCODING", userIndexKeyName)),
  };
}

async function throughService(raw: Redis, url: string, perUser: number): Promise<Breakdown> {
  const client = createRedisClient({ kind: "single", url, keyPrefix: KEY_PREFIX });
  try {
    const service = createSessionService({
      store: createRedisSessionStore(client),
      clock: () => new Date(),
      idleTtlSeconds: IDLE_MS / 1000,
      absoluteTtlSeconds: ABSOLUTE_MS / 1000,
      accessTokenKey: await importSigningKey(await generateKeyMaterial(false), "session"),
      accessTokenTtlSeconds: 300,
    });
    const users = newUsers(perUser);
    return await measure(raw, perUser, TODAYS_KEYS.patterns, async () => {
      let next = 0;
      const worker = async () => {
        while (next < SESSIONS) {
          const index = next++;
          await service.create({
            userId: userFor(users, index, perUser),
            permissions: PERMISSIONS,
            userAgent: USER_AGENT,
            ip: "203.0.113.42",
            transport: "COOKIE",
            replacesSessionId: null,
            revocationEpoch: "0",
          });
        }
      };
      await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
    });
  } finally {
    await closeRedisClient(client);
  }
}

/** The adapter's keys written directly: the record with its TTL, and each user's index with its TTL. */
async function replica(raw: Redis, layout: Layout, perUser: number): Promise<Breakdown> {
  const users = newUsers(perUser);
  const deadline = Date.now() + ABSOLUTE_MS;
  return measure(raw, perUser, layout.keys.patterns, async () => {
    for (let start = 0; start < SESSIONS; start += PIPELINE_SIZE) {
      const pipeline = raw.pipeline();
      for (let index = start; index < Math.min(start + PIPELINE_SIZE, SESSIONS); index++) {
        const id = newSessionId();
        const userKey = layout.keys.user(userFor(users, index, perUser));
        pipeline.set(layout.keys.session(id), layout.record, "PX", ABSOLUTE_MS);
        pipeline.zadd(userKey, deadline, id);
        pipeline.pexpire(userKey, ABSOLUTE_MS);
      }
      await pipeline.exec();
    }
  });
}

/** Candidate records, derived from one the service stored, so they differ from it only where the layout says. */
function layouts(record: string): Layout[] {
  const today: Record<string, unknown> = JSON.parse(record);
  const shape = (changes: Record<string, unknown>) => JSON.stringify({ ...today, ...changes });
  const uaReference = (length: number) => digest(USER_AGENT).slice(0, length);
  const denser = shape({ v: undefined, p: PERMISSIONS, g: uaReference(16) });
  return [
    { name: "today's record (replica of the row above)", record, keys: TODAYS_KEYS },
    { name: "no user agent in the record", record: shape({ g: undefined }), keys: TODAYS_KEYS },
    {
      name: "user agent in a shared table, record keeps a 22-char reference",
      record: shape({ g: uaReference(22) }),
      keys: TODAYS_KEYS,
    },
    {
      name: "16-char reference, no `v` (version in key names), permissions as an array",
      record: denser,
      keys: TODAYS_KEYS,
    },
    { name: "the same with shorter key names", record: denser, keys: SHORT_KEYS },
    ...[124, 156, 188].flatMap((length) => [
      { name: `any record of ${length} chars`, record: "x".repeat(length), keys: TODAYS_KEYS },
      { name: `any record of ${length} chars, shorter key names`, record: "x".repeat(length), keys: SHORT_KEYS },
    ]),
  ];
}

const bytes = (value: number) => value.toFixed(0);

async function main() {
  const redis = await startRedisProcess();
  const raw = new Redis(redis.url);
  try {
    const service = new Map<number, Breakdown>();
    for (const perUser of PER_USER) service.set(perUser, await throughService(raw, redis.url, perUser));
    const one = service.get(1) as Breakdown;
    console.log(`${SESSIONS} sessions, Redis ${/redis_version:(\S+)/.exec(await raw.info("server"))?.[1] ?? "?"}`);
    console.log(`session key ${one.sessionKeyName.length} chars, record ${one.record.length} chars: ${one.record}`);
    console.log(`user index key ${one.userIndexKeyName.length} chars, ${one.userIndexEncoding}\n`);
    console.log(
      "| sessions per user | per session | session key | user index share | expiry entries + buckets | rest |",
    );
    console.log("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const [perUser, figures] of service) {
      console.log(
        `| ${perUser} | ${bytes(figures.perSession)} | ${figures.sessionKey} | ${bytes(figures.userIndexShare)} | ` +
          `${bytes(figures.tables)} | ${bytes(figures.rest)} |`,
      );
    }
    console.log("\n| layout (written directly) | record chars | one per user | four per user | session key |");
    console.log("| --- | ---: | ---: | ---: | ---: |");
    for (const layout of layouts(one.record)) {
      const single = await replica(raw, layout, 1);
      const shared = await replica(raw, layout, 4);
      console.log(
        `| ${layout.name} | ${layout.record.length} | ${bytes(single.perSession)} | ${bytes(shared.perSession)} | ` +
          `${single.sessionKey} |`,
      );
    }
  } finally {
    raw.disconnect();
    await redis.kill();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
