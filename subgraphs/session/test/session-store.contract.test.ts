import { createHash, randomBytes, randomUUID } from "node:crypto";
import { parseSessionToken } from "@fedsession/session-client";
import { connectTestRedis, TestClock, type TestRedis } from "@fedsession/testing";
import { createSessionService } from "../src/sessions";
import { createMemorySessionStore } from "../src/store/memory";
import { createRedisSessionStore } from "../src/store/redis";
import type { SessionRecord, SessionStore } from "../src/store/session-store";

interface Fixture {
  store: SessionStore;
  now: () => Date;
  /** Lets time pass: the memory store's clock moves, while Redis expires keys in real time so the test waits. */
  elapse(milliseconds: number): Promise<void>;
  redis: TestRedis | null;
  close(): Promise<void>;
}

async function memoryFixture(): Promise<Fixture> {
  const clock = new TestClock();
  return {
    store: createMemorySessionStore(clock.now),
    now: clock.now,
    elapse: async (milliseconds) => clock.advance(milliseconds),
    redis: null,
    close: async () => {},
  };
}

async function redisFixture(): Promise<Fixture> {
  const redis = await connectTestRedis();
  const now = () => new Date();
  return {
    store: createRedisSessionStore(redis.client, now),
    now,
    elapse: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
    redis,
    close: () => redis.close(),
  };
}

const HOUR = 3_600_000;

function recordFor(userId: string, now: Date, lifetime: { idleMs?: number; absoluteMs?: number } = {}): SessionRecord {
  const at = now.getTime();
  return {
    id: randomBytes(16).toString("base64url"),
    userId,
    secretHash: createHash("sha256").update(randomBytes(32)).digest("hex"),
    permissions: ["documents:read"],
    createdAt: at,
    lastSeenAt: at,
    idleExpiresAt: at + (lifetime.idleMs ?? HOUR),
    absoluteExpiresAt: at + (lifetime.absoluteMs ?? 12 * HOUR),
    userAgent: "jest",
    ip: "127.0.0.1",
  };
}

describe.each([
  ["memory", memoryFixture],
  ["redis", redisFixture],
])("session store contract (%s)", (_name, makeFixture) => {
  let fixture: Fixture;
  let store: SessionStore;
  let user: string;

  beforeAll(async () => {
    fixture = await makeFixture();
    store = fixture.store;
  });
  afterAll(() => fixture.close());
  beforeEach(() => {
    user = `u-${randomUUID()}`;
  });

  /** What the Redis index really holds for a user, sorted; only called when the fixture is Redis. */
  const indexMembers = async (userId: string): Promise<string[]> =>
    fixture.redis
      ? (await fixture.redis.raw.zrange(`${fixture.redis.keyPrefix}user-sessions:{${userId}}`, 0, -1)).sort()
      : [];

  it("reads back a created session as written and forgets it after delete", async () => {
    const record = recordFor(user, fixture.now());
    await store.create(record);
    await expect(store.get(record.id)).resolves.toEqual(record);
    await expect(store.delete(record.id)).resolves.toEqual(record);
    await expect(store.get(record.id)).resolves.toBeNull();
    await expect(store.delete(record.id)).resolves.toBeNull();
    await expect(store.listByUser(user)).resolves.toEqual([]);
    if (fixture.redis) await expect(fixture.redis.keys()).resolves.not.toContainEqual(expect.stringContaining(user));
  });

  it("answers null for an unknown session id", async () => {
    await expect(store.get("no-such-session")).resolves.toBeNull();
  });

  it("keys carry the prefix and a hash tag per session and per user", async () => {
    const record = recordFor(user, fixture.now());
    await store.create(record);
    if (fixture.redis) {
      const prefix = fixture.redis.keyPrefix;
      const keys = (await fixture.redis.keys()).filter((key) => key.includes(user) || key.includes(record.id));
      expect(keys.sort()).toEqual([`${prefix}session:{${record.id}}`, `${prefix}user-sessions:{${user}}`].sort());
    }
    await store.delete(record.id);
  });

  it("forgets a session once its idle deadline passes", async () => {
    const record = recordFor(user, fixture.now(), { idleMs: 300 });
    await store.create(record);
    await expect(store.get(record.id)).resolves.toEqual(record);
    await fixture.elapse(450);
    await expect(store.get(record.id)).resolves.toBeNull();
    if (fixture.redis)
      await expect(fixture.redis.raw.exists(`${fixture.redis.keyPrefix}session:{${record.id}}`)).resolves.toBe(0);
  });

  it("forgets a session at its absolute deadline even when the idle deadline is later", async () => {
    const record = recordFor(user, fixture.now(), { idleMs: HOUR, absoluteMs: 300 });
    await store.create(record);
    await fixture.elapse(450);
    await expect(store.get(record.id)).resolves.toBeNull();
  });

  it("touch on a missing session is false and writes nothing", async () => {
    const record = recordFor(user, fixture.now());
    await expect(store.touch(record)).resolves.toBe(false);
    await expect(store.get(record.id)).resolves.toBeNull();
    if (fixture.redis)
      await expect(fixture.redis.keys()).resolves.not.toContainEqual(expect.stringContaining(record.id));
  });

  it("touch on a deleted session is false and does not bring it back", async () => {
    const record = recordFor(user, fixture.now());
    await store.create(record);
    await store.delete(record.id);
    await expect(store.touch({ ...record, lastSeenAt: record.lastSeenAt + 1 })).resolves.toBe(false);
    await expect(store.get(record.id)).resolves.toBeNull();
  });

  it("touch moves the idle deadline and keeps the session alive past the old one", async () => {
    const record = recordFor(user, fixture.now(), { idleMs: 300 });
    await store.create(record);
    const at = fixture.now().getTime();
    const touched = { ...record, lastSeenAt: at, idleExpiresAt: at + HOUR };
    await expect(store.touch(touched)).resolves.toBe(true);
    await fixture.elapse(450);
    await expect(store.get(record.id)).resolves.toEqual(touched);
    await expect(store.listByUser(user)).resolves.toEqual([touched]);
    if (fixture.redis) {
      const { raw, keyPrefix } = fixture.redis;
      expect(await raw.pttl(`${keyPrefix}session:{${record.id}}`)).toBeGreaterThan(HOUR - 5_000);
      expect(Number(await raw.zscore(`${keyPrefix}user-sessions:{${user}}`, record.id))).toBe(touched.idleExpiresAt);
    }
  });

  it("lists a user's live sessions only, oldest first, and prunes expired index entries", async () => {
    const short = recordFor(user, fixture.now(), { idleMs: 300 });
    await store.create(short);
    await fixture.elapse(5);
    const first = recordFor(user, fixture.now());
    await store.create(first);
    await fixture.elapse(5);
    const second = recordFor(user, fixture.now());
    await store.create(second);
    const stranger = recordFor(`${user}-other`, fixture.now());
    await store.create(stranger);
    if (fixture.redis) expect(await indexMembers(user)).toEqual([short.id, first.id, second.id].sort());

    await fixture.elapse(450);
    await expect(store.listByUser(user)).resolves.toEqual([first, second]);
    if (fixture.redis) expect(await indexMembers(user)).toEqual([first.id, second.id].sort());
  });

  it("drops a deleted session from the user's listing and index", async () => {
    const kept = recordFor(user, fixture.now());
    const gone = recordFor(user, fixture.now());
    await store.create(kept);
    await store.create(gone);
    await store.delete(gone.id);
    await expect(store.listByUser(user)).resolves.toEqual([kept]);
    if (fixture.redis) expect(await indexMembers(user)).toEqual([kept.id]);
  });

  it("keeps no raw secret, only its hash, and gives every key a TTL", async () => {
    const sessions = createSessionService({
      store,
      clock: fixture.now,
      idleTtlSeconds: 1800,
      absoluteTtlSeconds: 43_200,
    });
    const { token, record } = await sessions.create({
      userId: user,
      permissions: ["documents:read"],
      userAgent: null,
      ip: null,
    });
    const secret = parseSessionToken(token)?.secret as string;
    const stored = await store.get(record.id);
    expect(stored?.secretHash).toBe(createHash("sha256").update(secret).digest("hex"));
    expect(JSON.stringify(stored)).not.toContain(secret);
    if (fixture.redis) {
      const { raw } = fixture.redis;
      for (const key of await fixture.redis.keys()) {
        const type = await raw.type(key);
        const value = type === "string" ? await raw.get(key) : (await raw.zrange(key, 0, -1, "WITHSCORES")).join(" ");
        expect(value).not.toContain(secret);
        expect(await raw.pttl(key)).toBeGreaterThan(0);
      }
    }
  });
});
