import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import Redis from "ioredis";
import { closeRedisClient, createRedisClient, generateKeyMaterial, importSigningKey } from "@fedsession/runtime";
import { startRedisProcess, type RedisProcess } from "@fedsession/testing";
import { createSessionService, type SessionService } from "../../subgraphs/session/src/sessions";
import { createRedisSessionStore } from "../../subgraphs/session/src/store/redis";
import { registerCleanup } from "../processes";
import { usedMemory } from "../redis-stats";
import { median, percentile } from "../stats";

/** What a desktop browser sends; the user agent is the largest free-form field of a stored session. */
const USER_AGENT =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const SEED_CONCURRENCY = 256;
const MEMORY_SESSIONS = 100_000;
const SMALL_STORE_SESSIONS = 1_000;
/** Cookie tokens kept per store to resolve during the latency runs. */
const SAMPLE_TOKENS = 1_000;

export interface SessionStoreFigures {
  memorySessions: number;
  /** (used_memory after − before) / sessions, each session with its own user (so its own index entry and key). */
  bytesPerSession: number;
  /** MEMORY USAGE of one session key and of one single-member user index, for the breakdown. */
  sessionKeyBytes: number;
  userIndexKeyBytes: number;
  smallStoreSessions: number;
  largeStoreSessions: number;
  /** Medians over rounds of the per-round median of one resolve at a time, in ms. */
  smallResolveP50Ms: number;
  largeResolveP50Ms: number;
  smallResolveP99Ms: number;
  largeResolveP99Ms: number;
  /** large p50 / small p50. */
  resolveRatio: number;
}

interface Store {
  redis: RedisProcess;
  raw: Redis;
  service: SessionService;
  close(): Promise<void>;
  sample: string[];
  size: number;
}

async function openStore(): Promise<Store> {
  const redis = await startRedisProcess();
  const unregister = registerCleanup(() => redis.kill());
  const client = createRedisClient({ kind: "single", url: redis.url, keyPrefix: "fedsession:" });
  const keys = await generateKeyMaterial(false);
  const service = createSessionService({
    store: createRedisSessionStore(client),
    clock: () => new Date(),
    idleTtlSeconds: 30 * 60,
    absoluteTtlSeconds: 12 * 60 * 60,
    accessTokenKey: await importSigningKey(keys, "session"),
    accessTokenTtlSeconds: 300,
  });
  const raw = new Redis(redis.url);
  return {
    redis,
    raw,
    service,
    sample: [],
    size: 0,
    close: async () => {
      await closeRedisClient(client);
      raw.disconnect();
      await redis.kill();
      unregister();
    },
  };
}

/** Creates sessions through the session service (so through the store adapter), each for a user of its own. */
async function seed(store: Store, upTo: number): Promise<void> {
  const keepEvery = Math.max(1, Math.floor(upTo / SAMPLE_TOKENS));
  let next = store.size;
  const worker = async () => {
    while (next < upTo) {
      const index = next++;
      const created = await store.service.create({
        userId: randomUUID(),
        permissions: ["documents:read", "documents:write"],
        userAgent: USER_AGENT,
        ip: "203.0.113.42",
        transport: "COOKIE",
        replacesSessionId: null,
        revocationEpoch: "0",
      });
      if (created.transport === "COOKIE" && index % keepEvery === 0 && store.sample.length < SAMPLE_TOKENS) {
        store.sample.push(created.token);
      }
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
  store.size = upTo;
}

/** One resolve at a time, so each latency is the service's own (parse, one GET, decode, hash compare). */
async function resolveLatencies(store: Store, count: number): Promise<{ p50: number; p99: number }> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const token = store.sample[i % store.sample.length] as string;
    const started = performance.now();
    const record = await store.service.resolve(token);
    latencies.push(performance.now() - started);
    if (record === null) throw new Error("a seeded session did not resolve");
  }
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function memoryUsage(raw: Redis, pattern: string): Promise<number> {
  const [, keys] = await raw.scan("0", "MATCH", pattern, "COUNT", 1000);
  const key = keys[0];
  if (key === undefined) return Number.NaN;
  return Number(await raw.call("MEMORY", "USAGE", key));
}

export async function measureSessionStore(options: {
  largeStoreSessions: number;
  rounds: number;
  resolvesPerRound: number;
  log: (line: string) => void;
}): Promise<SessionStoreFigures> {
  const stores: Store[] = [];
  try {
    const small = await openStore();
    stores.push(small);
    const large = await openStore();
    stores.push(large);
    await seed(small, SMALL_STORE_SESSIONS);
    const before = await usedMemory(large.raw);
    await seed(large, MEMORY_SESSIONS);
    const bytesPerSession = ((await usedMemory(large.raw)) - before) / MEMORY_SESSIONS;
    const sessionKeyBytes = await memoryUsage(large.raw, "fedsession:s:*");
    const userIndexKeyBytes = await memoryUsage(large.raw, "fedsession:u:*");
    options.log(
      `  ${MEMORY_SESSIONS} sessions: ${bytesPerSession.toFixed(0)} bytes each; seeding to ${options.largeStoreSessions}`,
    );
    if (options.largeStoreSessions > MEMORY_SESSIONS) await seed(large, options.largeStoreSessions);
    const results = { small: [] as { p50: number; p99: number }[], large: [] as { p50: number; p99: number }[] };
    await resolveLatencies(small, options.resolvesPerRound / 4);
    await resolveLatencies(large, options.resolvesPerRound / 4);
    // ABBA order, so whichever store goes first or second in a round is not always the same one.
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? (["small", "large"] as const) : (["large", "small"] as const);
      for (const which of order) {
        results[which].push(await resolveLatencies(which === "small" ? small : large, options.resolvesPerRound));
      }
    }
    const p50 = (list: { p50: number }[]) => median(list.map((entry) => entry.p50));
    const p99 = (list: { p99: number }[]) => median(list.map((entry) => entry.p99));
    return {
      memorySessions: MEMORY_SESSIONS,
      bytesPerSession,
      sessionKeyBytes,
      userIndexKeyBytes,
      smallStoreSessions: SMALL_STORE_SESSIONS,
      largeStoreSessions: options.largeStoreSessions,
      smallResolveP50Ms: p50(results.small),
      largeResolveP50Ms: p50(results.large),
      smallResolveP99Ms: p99(results.small),
      largeResolveP99Ms: p99(results.large),
      resolveRatio: p50(results.large) / p50(results.small),
    };
  } finally {
    for (const store of stores) await store.close();
  }
}
