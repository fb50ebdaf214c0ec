import { createHash, randomBytes, randomUUID } from "node:crypto";
import { generateKeyMaterial, importSigningKey } from "@fedsession/runtime";
import { parseSessionToken } from "@fedsession/session-client";
import { connectTestRedis, TestClock, type TestRedis } from "@fedsession/testing";
import { createSessionService } from "../src/sessions";
import { createMemorySessionStore } from "../src/store/memory";
import { createRedisSessionStore, epochKey, sessionKey, usedHashesKey, userIndexKey } from "../src/store/redis";
import {
  DEFAULT_MAX_SESSIONS_PER_USER,
  REFRESH_RETRY_GRACE_MS,
  type SessionRecord,
  type SessionStore,
} from "../src/store/session-store";

interface Fixture {
  store: SessionStore;
  /** Another store on the same backend, with a different cap on sessions per user. */
  storeWithCap(maxSessionsPerUser: number): SessionStore;
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
    storeWithCap: (maxSessionsPerUser) => createMemorySessionStore(clock.now, { maxSessionsPerUser }),
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
    store: createRedisSessionStore(redis.client, { now }),
    storeWithCap: (maxSessionsPerUser) => createRedisSessionStore(redis.client, { now, maxSessionsPerUser }),
    now,
    elapse: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
    redis,
    close: () => redis.close(),
  };
}

const HOUR = 3_600_000;
const LIMITS = { maxRotations: 1000 };
const ALL = DEFAULT_MAX_SESSIONS_PER_USER;
const hash = () => createHash("sha256").update(randomBytes(32)).digest("hex");

function recordFor(
  userId: string,
  now: Date,
  lifetime: { idleMs?: number; absoluteMs?: number } = {},
  transport: SessionRecord["transport"] = "COOKIE",
): SessionRecord {
  const at = now.getTime();
  const idleMs = lifetime.idleMs ?? HOUR;
  return {
    id: randomBytes(16).toString("base64url"),
    userId,
    transport,
    secretHash: transport === "COOKIE" ? hash() : null,
    refreshHash: transport === "TOKEN" ? hash() : null,
    permissions: ["documents:read"],
    data: {},
    createdAt: at,
    lastSeenAt: at,
    idleExpiresAt: at + idleMs,
    absoluteExpiresAt: at + (lifetime.absoluteMs ?? 12 * HOUR),
    idleTtlMs: idleMs,
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
      ? (await fixture.redis.raw.zrange(`${fixture.redis.keyPrefix}${userIndexKey(userId)}`, 0, -1)).sort()
      : [];

  /** The session key's remaining TTL in Redis (ms); only called when the fixture is Redis. */
  const pttlOf = (id: string) => fixture.redis?.raw.pttl(`${fixture.redis.keyPrefix}${sessionKey(id)}`);
  const existsInRedis = async (id: string) =>
    (await fixture.redis?.raw.exists(`${fixture.redis.keyPrefix}${sessionKey(id)}`)) === 1;

  describe("basics", () => {
    it("reads back a created session as written and forgets it after delete", async () => {
      const record = recordFor(user, fixture.now());
      await store.create(record);
      await expect(store.get(record.id)).resolves.toEqual(record);
      await expect(store.delete(record.id)).resolves.toEqual(record);
      await expect(store.get(record.id)).resolves.toBeNull();
      await expect(store.delete(record.id)).resolves.toBeNull();
      await expect(store.listByUser(user, ALL)).resolves.toEqual([]);
      if (fixture.redis) await expect(fixture.redis.keys()).resolves.not.toContainEqual(expect.stringContaining(user));
    });

    it("answers null for an unknown session id", async () => {
      await expect(store.get("no-such-session")).resolves.toBeNull();
    });

    it("getMany reads many sessions in one call, in order, null for unknown, ended and repeated-but-gone ones", async () => {
      const first = recordFor(user, fixture.now());
      const second = recordFor(user, fixture.now());
      const ended = recordFor(user, fixture.now());
      for (const record of [first, second, ended]) await store.create(record);
      await store.delete(ended.id);
      await expect(store.getMany([second.id, "no-such-session", first.id, ended.id, second.id])).resolves.toEqual([
        { record: second },
        { record: null },
        { record: first },
        { record: null },
        { record: second },
      ]);
      await expect(store.getMany([])).resolves.toEqual([]);
    });

    it("getMany fails only the read of a record that cannot be decoded", async () => {
      if (!fixture.redis) return;
      const good = recordFor(user, fixture.now());
      await store.create(good);
      const corruptId = randomBytes(16).toString("base64url");
      await fixture.redis.raw.set(`${fixture.redis.keyPrefix}${sessionKey(corruptId)}`, '{"v":3,"u":7}', "PX", 60_000);
      const [corrupt, read] = await store.getMany([corruptId, good.id]);
      expect(corrupt).toEqual({ error: expect.any(Error) });
      expect(read).toEqual({ record: good });
    });

    it("keys carry the prefix and a hash tag per session and per user", async () => {
      const record = recordFor(user, fixture.now());
      await store.create(record);
      if (fixture.redis) {
        const prefix = fixture.redis.keyPrefix;
        const keys = (await fixture.redis.keys()).filter((key) => key.includes(user) || key.includes(record.id));
        expect(keys.sort()).toEqual([`${prefix}s:{${record.id}}`, `${prefix}u:{${user}}`].sort());
      }
      await store.delete(record.id);
    });
  });

  describe("expiry", () => {
    it("forgets a session once its idle deadline passes (Redis: the key's own TTL removes it)", async () => {
      const record = recordFor(user, fixture.now(), { idleMs: 300 });
      await store.create(record);
      await expect(store.get(record.id)).resolves.toEqual(record);
      await fixture.elapse(450);
      await expect(store.get(record.id)).resolves.toBeNull();
      if (fixture.redis) await expect(existsInRedis(record.id)).resolves.toBe(false);
    });

    it("forgets a session at its absolute deadline even when the idle deadline is later", async () => {
      const record = recordFor(user, fixture.now(), { idleMs: HOUR, absoluteMs: 300 });
      await store.create(record);
      await fixture.elapse(450);
      await expect(store.get(record.id)).resolves.toBeNull();
      if (fixture.redis) await expect(existsInRedis(record.id)).resolves.toBe(false);
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

    it("touch moves the idle deadline and the TTL, keeping the session alive past the old deadline", async () => {
      const record = recordFor(user, fixture.now(), { idleMs: 300 });
      await store.create(record);
      const at = fixture.now().getTime();
      const touched = { ...record, lastSeenAt: at, idleExpiresAt: at + HOUR };
      await expect(store.touch(touched)).resolves.toBe(true);
      await fixture.elapse(450);
      await expect(store.get(record.id)).resolves.toEqual(touched);
      await expect(store.listByUser(user, ALL)).resolves.toEqual([touched]);
      if (fixture.redis) {
        expect(await pttlOf(record.id)).toBeGreaterThan(HOUR - 5_000);
        // The index is scored by the absolute deadline, which never moves, so sliding writes only the session key.
        const score = await fixture.redis.raw.zscore(`${fixture.redis.keyPrefix}${userIndexKey(user)}`, record.id);
        expect(Number(score)).toBe(record.absoluteExpiresAt);
      }
    });

    it("touch rewrites only the sliding fields, never undoing a concurrent change", async () => {
      const record = recordFor(user, fixture.now(), {}, "TOKEN");
      await store.create(record);
      await store.setData(record.id, { theme: "dark" });
      const rotated = await store.rotateRefresh(
        record.id,
        record.refreshHash ?? "",
        hash(),
        fixture.now().getTime(),
        LIMITS,
      );
      await store.updatePermissionsByUser(user, ["sessions:admin"]);
      const at = fixture.now().getTime() + 1;
      // A resolve that read the record before those changes now slides its stale copy.
      await expect(store.touch({ ...record, lastSeenAt: at, idleExpiresAt: at + HOUR })).resolves.toBe(true);
      await expect(store.get(record.id)).resolves.toMatchObject({
        data: { theme: "dark" },
        refreshHash: rotated.outcome === "rotated" ? rotated.record.refreshHash : "",
        permissions: ["sessions:admin"],
        lastSeenAt: at,
      });
    });
  });

  describe("per-user index", () => {
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
      await expect(store.listByUser(user, ALL)).resolves.toEqual([second, first]);
      if (fixture.redis) expect(await indexMembers(user)).toEqual([first.id, second.id].sort());
    });

    it("drops index entries past their absolute deadline when another session is created", async () => {
      const short = recordFor(user, fixture.now(), { idleMs: 300, absoluteMs: 300 });
      await store.create(short);
      await fixture.elapse(450);
      const fresh = recordFor(user, fixture.now());
      await store.create(fresh);
      if (fixture.redis) expect(await indexMembers(user)).toEqual([fresh.id]);
      await expect(store.listByUser(user, ALL)).resolves.toEqual([fresh]);
    });

    it("drops a deleted session from the user's listing and index", async () => {
      const kept = recordFor(user, fixture.now());
      const gone = recordFor(user, fixture.now());
      await store.create(kept);
      await store.create(gone);
      await store.delete(gone.id);
      await expect(store.listByUser(user, ALL)).resolves.toEqual([kept]);
      if (fixture.redis) expect(await indexMembers(user)).toEqual([kept.id]);
    });

    it("deleteByUser ends every live session of the user but the one kept, and no one else's", async () => {
      const kept = recordFor(user, fixture.now());
      const others = [recordFor(user, fixture.now()), recordFor(user, fixture.now(), {}, "TOKEN")];
      const expiring = recordFor(user, fixture.now(), { idleMs: 300 });
      const stranger = recordFor(`${user}-other`, fixture.now());
      for (const record of [kept, ...others, expiring, stranger]) await store.create(record);
      await fixture.elapse(450);
      await expect(store.deleteByUser(user, kept.id)).resolves.toBe(2);
      if (fixture.redis) {
        expect(await indexMembers(user)).toEqual([kept.id]);
        for (const record of others) await expect(existsInRedis(record.id)).resolves.toBe(false);
      }
      await expect(store.listByUser(user, ALL)).resolves.toEqual([kept]);
      await expect(store.get(stranger.id)).resolves.toEqual(stranger);
      await expect(store.deleteByUser(user, null)).resolves.toBe(1);
      await expect(store.get(kept.id)).resolves.toBeNull();
      await expect(store.deleteByUser(user, null)).resolves.toBe(0);
    });
  });

  describe("revocation epoch, cap and pages", () => {
    it("refuses a create whose epoch was read before a revoke-all of the user, and keeps nothing of it", async () => {
      const epoch = await store.revocationEpoch(user);
      const before = recordFor(user, fixture.now());
      await expect(store.create(before, epoch)).resolves.toEqual({ created: true, evicted: [] });
      await store.deleteByUser(user, null);
      const late = recordFor(user, fixture.now());
      await expect(store.create(late, epoch)).resolves.toEqual({ created: false });
      await expect(store.get(late.id)).resolves.toBeNull();
      await expect(store.listByUser(user, ALL)).resolves.toEqual([]);
      if (fixture.redis) await expect(existsInRedis(late.id)).resolves.toBe(false);
      // A create that read the epoch after the revoke-all goes through, and another user's epoch never moved.
      const fresh = recordFor(user, fixture.now());
      await expect(store.create(fresh, await store.revocationEpoch(user))).resolves.toMatchObject({ created: true });
      const stranger = recordFor(`${user}-other`, fixture.now());
      await expect(store.create(stranger, epoch)).resolves.toMatchObject({ created: true });
    });

    it("moves the epoch on with every revoke-all, even one that ends nothing, and with nothing else", async () => {
      const first = await store.revocationEpoch(user);
      const record = recordFor(user, fixture.now());
      await store.create(record);
      await store.updatePermissionsByUser(user, []);
      await store.delete(record.id);
      await expect(store.revocationEpoch(user)).resolves.toBe(first);
      await store.deleteByUser(user, null);
      const second = await store.revocationEpoch(user);
      expect(second).not.toBe(first);
      await store.deleteByUser(user, "some-kept-id");
      await expect(store.revocationEpoch(user)).resolves.not.toBe(second);
      if (fixture.redis)
        expect(await fixture.redis.raw.pttl(`${fixture.redis.keyPrefix}${epochKey(user)}`)).toBeGreaterThan(0);
    });

    it("ends the oldest session when a user goes past the cap, and names it", async () => {
      const capped = fixture.storeWithCap(3);
      const records: SessionRecord[] = [];
      for (let i = 0; i < 3; i += 1) {
        records.push(recordFor(user, fixture.now()));
        await expect(capped.create(records[i] as SessionRecord)).resolves.toEqual({ created: true, evicted: [] });
        await fixture.elapse(2);
      }
      const newest = recordFor(user, fixture.now());
      await expect(capped.create(newest)).resolves.toEqual({ created: true, evicted: [records[0]?.id] });
      await expect(capped.get(records[0]?.id ?? "")).resolves.toBeNull();
      await expect(capped.listByUser(user, ALL)).resolves.toEqual([newest, records[2], records[1]]);
      if (fixture.redis) expect(await indexMembers(user)).toEqual([newest.id, records[1]?.id, records[2]?.id].sort());
    });

    it("lists at most the asked number of sessions, newest first", async () => {
      const records: SessionRecord[] = [];
      for (let i = 0; i < 4; i += 1) {
        records.push(recordFor(user, fixture.now(), { absoluteMs: 12 * HOUR + i }));
        await store.create(records[i] as SessionRecord);
        await fixture.elapse(2);
      }
      await expect(store.listByUser(user, 2)).resolves.toEqual([records[3], records[2]]);
    });

    it("revokes and updates more sessions than one page holds", async () => {
      const roomy = fixture.storeWithCap(500);
      const records = Array.from({ length: 230 }, () => recordFor(user, fixture.now()));
      await Promise.all(records.map((record) => roomy.create(record)));
      await expect(roomy.updatePermissionsByUser(user, ["users:admin"])).resolves.toBe(230);
      await expect(roomy.get(records[229]?.id ?? "")).resolves.toMatchObject({ permissions: ["users:admin"] });
      await expect(roomy.deleteByUser(user, records[7]?.id ?? null)).resolves.toBe(229);
      await expect(roomy.listByUser(user, ALL)).resolves.toEqual([{ ...records[7], permissions: ["users:admin"] }]);
      if (fixture.redis) {
        const left = (await fixture.redis.keys()).filter((key) => key.includes(user));
        expect(left.sort()).toEqual(
          [`${fixture.redis.keyPrefix}${epochKey(user)}`, `${fixture.redis.keyPrefix}${userIndexKey(user)}`].sort(),
        );
      }
    });
  });

  describe("writes that keep the TTL", () => {
    it("setData replaces the data, keeps everything else and keeps the TTL", async () => {
      const record = recordFor(user, fixture.now());
      await store.create(record);
      const ttlBefore = await pttlOf(record.id);
      const data = { theme: "dark", cart: { items: [] as number[], note: "" } };
      await expect(store.setData(record.id, data)).resolves.toEqual({ ...record, data });
      await expect(store.get(record.id)).resolves.toEqual({ ...record, data });
      if (fixture.redis) {
        const ttlAfter = await pttlOf(record.id);
        expect(ttlAfter).toBeGreaterThan(0);
        expect(ttlAfter).toBeLessThanOrEqual(ttlBefore ?? 0);
      }
    });

    it("setData keeps JSON exactly: empty lists, precise floats, big integers, unicode and __proto__ keys", async () => {
      const record = recordFor(user, fixture.now());
      await store.create(record);
      const data = JSON.parse(
        '{"empty":[],"nested":{"list":[[],{}]},"float":0.30000000000000004,"big":9007199254740991,' +
          '"tiny":5e-324,"text":"é😀\\u0000/\\"","__proto__":{"admin":true}}',
      );
      const stored = await store.setData(record.id, data);
      expect(JSON.stringify(stored?.data)).toBe(JSON.stringify(data));
      expect(JSON.stringify((await store.get(record.id))?.data)).toBe(JSON.stringify(data));
      // And a later Lua rewrite of the record (a slide) leaves it intact too.
      await store.touch({ ...record, lastSeenAt: record.lastSeenAt + 1 });
      expect(JSON.stringify((await store.get(record.id))?.data)).toBe(JSON.stringify(data));
    });

    it("setData on a missing or expired session answers null and creates nothing", async () => {
      await expect(store.setData("a".repeat(22), { k: 1 })).resolves.toBeNull();
      const record = recordFor(user, fixture.now(), { idleMs: 300 });
      await store.create(record);
      await fixture.elapse(450);
      await expect(store.setData(record.id, { k: 1 })).resolves.toBeNull();
      if (fixture.redis) await expect(existsInRedis(record.id)).resolves.toBe(false);
    });

    it("a session written by setData still expires on time (Redis: SET ... XX KEEPTTL kept the real TTL)", async () => {
      const record = recordFor(user, fixture.now(), { idleMs: 400 });
      await store.create(record);
      await store.setData(record.id, { k: 1 });
      await store.updatePermissionsByUser(user, []);
      await fixture.elapse(550);
      await expect(store.get(record.id)).resolves.toBeNull();
      if (fixture.redis) await expect(existsInRedis(record.id)).resolves.toBe(false);
    });

    it("updatePermissionsByUser rewrites every live session of the user, keeping each TTL, and no one else's", async () => {
      const first = recordFor(user, fixture.now());
      const second = recordFor(user, fixture.now(), { idleMs: 2 * HOUR }, "TOKEN");
      const stranger = recordFor(`${user}-other`, fixture.now());
      for (const record of [first, second, stranger]) await store.create(record);
      const ttls = [await pttlOf(first.id), await pttlOf(second.id)];
      await expect(store.updatePermissionsByUser(user, ["documents:read", "users:admin"])).resolves.toBe(2);
      await expect(store.get(first.id)).resolves.toEqual({ ...first, permissions: ["documents:read", "users:admin"] });
      await expect(store.get(second.id)).resolves.toMatchObject({ permissions: ["documents:read", "users:admin"] });
      await expect(store.get(stranger.id)).resolves.toEqual(stranger);
      await expect(store.updatePermissionsByUser(user, [])).resolves.toBe(2);
      await expect(store.get(first.id)).resolves.toMatchObject({ permissions: [] });
      if (fixture.redis) {
        const after = [await pttlOf(first.id), await pttlOf(second.id)];
        after.forEach((ttl, position) => {
          expect(ttl).toBeGreaterThan(0);
          expect(ttl).toBeLessThanOrEqual(ttls[position] ?? 0);
        });
        expect(after[1]).toBeGreaterThan(HOUR + 5_000);
      }
      await expect(store.updatePermissionsByUser(`${user}-nobody`, [])).resolves.toBe(0);
    });

    it("updatePermissionsByUser skips (and unindexes) sessions that already ended", async () => {
      const live = recordFor(user, fixture.now());
      const expiring = recordFor(user, fixture.now(), { idleMs: 300 });
      await store.create(live);
      await store.create(expiring);
      await fixture.elapse(450);
      await expect(store.updatePermissionsByUser(user, ["users:admin"])).resolves.toBe(1);
      if (fixture.redis) {
        expect(await indexMembers(user)).toEqual([live.id]);
        await expect(existsInRedis(expiring.id)).resolves.toBe(false);
      }
    });
  });

  describe("rotateRefresh", () => {
    const rotate = (record: SessionRecord, presented: string, next: string) =>
      store.rotateRefresh(record.id, presented, next, fixture.now().getTime(), LIMITS);

    it("rotates the current hash, remembers the old one and slides the idle deadline, not the absolute one", async () => {
      const record = recordFor(user, fixture.now(), { idleMs: 400 }, "TOKEN");
      await store.create(record);
      const first = record.refreshHash ?? "";
      const next = hash();
      await fixture.elapse(250);
      const at = fixture.now().getTime();
      const result = await store.rotateRefresh(record.id, first, next, at, LIMITS);
      const expected = {
        ...record,
        refreshHash: next,
        lastSeenAt: at,
        idleExpiresAt: at + 400,
      };
      expect(result).toEqual({ outcome: "rotated", record: expected });
      await expect(store.get(record.id)).resolves.toEqual(expected);
      if (fixture.redis) {
        const ttl = (await pttlOf(record.id)) ?? 0;
        expect(ttl).toBeGreaterThan(250);
        expect(ttl).toBeLessThanOrEqual(400);
      }
      // Past the original idle deadline the slid session lives on; past the slid one it is gone (really, on Redis).
      await fixture.elapse(250);
      await expect(store.get(record.id)).resolves.not.toBeNull();
      await fixture.elapse(300);
      await expect(store.get(record.id)).resolves.toBeNull();
      if (fixture.redis) await expect(existsInRedis(record.id)).resolves.toBe(false);
    });

    it("deletes the whole session when an already rotated hash comes back", async () => {
      const record = recordFor(user, fixture.now(), {}, "TOKEN");
      await store.create(record);
      const first = record.refreshHash ?? "";
      const second = hash();
      await rotate(record, first, second);
      await rotate(record, second, hash());
      const result = await rotate(record, first, hash());
      expect(result.outcome).toBe("reused");
      expect(result.outcome === "reused" && result.record.id).toBe(record.id);
      await expect(store.get(record.id)).resolves.toBeNull();
      await expect(store.listByUser(user, ALL)).resolves.toEqual([]);
      if (fixture.redis) expect(await indexMembers(user)).toEqual([]);
    });

    it("answers invalid for an unknown id, an unknown hash, a COOKIE session or an expired session, changing nothing", async () => {
      const token = recordFor(user, fixture.now(), {}, "TOKEN");
      const cookie = recordFor(user, fixture.now());
      const expiring = recordFor(user, fixture.now(), { idleMs: 300 }, "TOKEN");
      for (const record of [token, cookie, expiring]) await store.create(record);
      await expect(
        store.rotateRefresh("a".repeat(22), hash(), hash(), fixture.now().getTime(), LIMITS),
      ).resolves.toEqual({
        outcome: "invalid",
      });
      await expect(rotate(token, hash(), hash())).resolves.toEqual({ outcome: "invalid" });
      await expect(rotate(cookie, cookie.secretHash ?? "", hash())).resolves.toEqual({ outcome: "invalid" });
      await fixture.elapse(450);
      await expect(rotate(expiring, expiring.refreshHash ?? "", hash())).resolves.toEqual({ outcome: "invalid" });
      await expect(store.get(token.id)).resolves.toEqual(token);
      await expect(store.get(cookie.id)).resolves.toEqual(cookie);
    });

    it("remembers every rotated hash for the session's life, and ends the session past its rotation budget", async () => {
      const record = recordFor(user, fixture.now(), {}, "TOKEN");
      await store.create(record);
      const hashes = [record.refreshHash ?? "", ...Array.from({ length: 120 }, hash)];
      const limits = { maxRotations: 120 };
      for (let step = 1; step < hashes.length; step += 1) {
        const outcome = await store.rotateRefresh(
          record.id,
          hashes[step - 1] ?? "",
          hashes[step] ?? "",
          fixture.now().getTime(),
          limits,
        );
        expect(outcome.outcome).toBe("rotated");
      }
      // The 121st rotation is past the budget: the session ends rather than forgetting a used hash.
      await expect(
        store.rotateRefresh(record.id, hashes[120] ?? "", hash(), fixture.now().getTime(), limits),
      ).resolves.toMatchObject({ outcome: "exhausted", record: { id: record.id } });
      await expect(store.get(record.id)).resolves.toBeNull();
      if (fixture.redis)
        await expect(fixture.redis.keys()).resolves.not.toContainEqual(expect.stringContaining(record.id));
    });

    it("still recognises the very first refresh hash as reuse after a hundred rotations", async () => {
      const record = recordFor(user, fixture.now(), {}, "TOKEN");
      await store.create(record);
      let current = record.refreshHash ?? "";
      for (let step = 0; step < 100; step += 1) {
        const next = hash();
        await rotate(record, current, next);
        current = next;
      }
      await expect(rotate(record, record.refreshHash ?? "", hash())).resolves.toMatchObject({ outcome: "reused" });
    });

    it("rotates again for an exact retry of the latest rotation within the grace, and the pair it replaced counts as used", async () => {
      const record = recordFor(user, fixture.now(), {}, "TOKEN");
      await store.create(record);
      const presented = record.refreshHash ?? "";
      const lost = hash();
      await expect(rotate(record, presented, lost)).resolves.toMatchObject({ outcome: "rotated" });
      // The answer was lost; the client retries with the same token.
      const retried = hash();
      await expect(rotate(record, presented, retried)).resolves.toMatchObject({
        outcome: "rotated",
        record: { refreshHash: retried },
      });
      // A second retry is still the retry of the latest rotation.
      const again = hash();
      await expect(rotate(record, presented, again)).resolves.toMatchObject({ outcome: "rotated" });
      // Whoever holds a pair a retry replaced is a second holder: reuse, the session ends.
      await expect(rotate(record, lost, hash())).resolves.toMatchObject({ outcome: "reused" });
      await expect(store.get(record.id)).resolves.toBeNull();
    });

    it("forgives only the latest rotation's token: once the new one was used, the old one is reuse", async () => {
      const record = recordFor(user, fixture.now(), {}, "TOKEN");
      await store.create(record);
      const first = record.refreshHash ?? "";
      const second = hash();
      await rotate(record, first, second);
      await rotate(record, second, hash());
      await expect(rotate(record, first, hash())).resolves.toMatchObject({ outcome: "reused" });
    });

    it("counts the retry as reuse once the grace has passed", async () => {
      const record = recordFor(user, fixture.now(), {}, "TOKEN");
      await store.create(record);
      const presented = record.refreshHash ?? "";
      const at = fixture.now().getTime();
      await store.rotateRefresh(record.id, presented, hash(), at, LIMITS);
      await expect(
        store.rotateRefresh(record.id, presented, hash(), at + REFRESH_RETRY_GRACE_MS + 1, LIMITS),
      ).resolves.toMatchObject({ outcome: "reused" });
    });

    it("treats two concurrent rotations with the same hash as a rotation and its retry: both rotate, the first pair is used", async () => {
      const record = recordFor(user, fixture.now(), {}, "TOKEN");
      await store.create(record);
      const presented = record.refreshHash ?? "";
      const [one, two] = [hash(), hash()];
      const results = await Promise.all([rotate(record, presented, one), rotate(record, presented, two)]);
      expect(results.map((result) => result.outcome)).toEqual(["rotated", "rotated"]);
      // Each holder's next refresh: the second pair rotates, the first is reuse and ends the session for both.
      await expect(rotate(record, one, hash())).resolves.toMatchObject({ outcome: "reused" });
      await expect(store.get(record.id)).resolves.toBeNull();
      if (fixture.redis) await expect(existsInRedis(record.id)).resolves.toBe(false);
    });
  });

  it("keeps no raw secret, only its hash, and gives every key a TTL", async () => {
    const material = await generateKeyMaterial(true);
    const sessions = createSessionService({
      store,
      clock: fixture.now,
      idleTtlSeconds: 1800,
      absoluteTtlSeconds: 43_200,
      accessTokenKey: await importSigningKey(material, "session"),
      accessTokenTtlSeconds: 600,
    });
    const request = {
      userId: user,
      permissions: ["documents:read"],
      userAgent: null,
      ip: null,
      replacesSessionId: null,
      revocationEpoch: "0",
    };
    const cookie = await sessions.create({ ...request, transport: "COOKIE" });
    const app = await sessions.create({ ...request, transport: "TOKEN" });
    const secrets = [
      parseSessionToken(cookie.transport === "COOKIE" ? cookie.token : "")?.secret ?? "",
      parseSessionToken(app.transport === "TOKEN" ? app.tokens.refreshToken : "")?.secret ?? "",
    ];
    expect(secrets.every((secret) => secret.length === 43)).toBe(true);
    const stored = await store.get(cookie.record.id);
    expect(stored?.secretHash).toBe(
      createHash("sha256")
        .update(secrets[0] ?? "")
        .digest("hex"),
    );
    if (fixture.redis) {
      const { raw } = fixture.redis;
      for (const key of await fixture.redis.keys()) {
        const type = await raw.type(key);
        const value =
          type === "string"
            ? await raw.get(key)
            : type === "set"
              ? (await raw.smembers(key)).join(" ")
              : (await raw.zrange(key, 0, -1, "WITHSCORES")).join(" ");
        for (const secret of secrets) expect(value).not.toContain(secret);
        expect(await raw.pttl(key)).toBeGreaterThan(0);
      }
    }
  });
});

describe("redis session store", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await connectTestRedis();
  });
  afterAll(() => redis.close());

  /** A store whose creates stop after writing the session, before indexing it, until released. */
  function pausingStore() {
    let reached: () => void = () => {};
    let release: () => void = () => {};
    const paused = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const store = createRedisSessionStore(redis.client, {
      beforeIndexing: async () => {
        reached();
        await released;
      },
    });
    return { store, paused, release };
  }

  it("never loses a live session from the index when listings and updates run between its two writes", async () => {
    const { store, paused, release } = pausingStore();
    const plain = createRedisSessionStore(redis.client, {});
    const userId = `u-${randomUUID()}`;
    const record = recordFor(userId, new Date());
    const creating = store.create(record, await plain.revocationEpoch(userId));
    await paused;
    // The sweepers that drop index members whose session key is missing run while the session is half-made.
    await expect(plain.listByUser(userId, 50)).resolves.toEqual([]);
    await expect(plain.updatePermissionsByUser(userId, ["documents:read"])).resolves.toBe(0);
    release();
    await expect(creating).resolves.toEqual({ created: true, evicted: [] });
    await expect(plain.listByUser(userId, 50)).resolves.toEqual([record]);
    await expect(plain.deleteByUser(userId, null)).resolves.toBe(1);
    await expect(plain.get(record.id)).resolves.toBeNull();
  });

  it("leaves no session when a revoke-all runs between a create's two writes", async () => {
    const { store, paused, release } = pausingStore();
    const plain = createRedisSessionStore(redis.client, {});
    const userId = `u-${randomUUID()}`;
    const record = recordFor(userId, new Date());
    const creating = store.create(record, await plain.revocationEpoch(userId));
    await paused;
    await plain.deleteByUser(userId, null);
    release();
    await expect(creating).resolves.toEqual({ created: false });
    await expect(plain.get(record.id)).resolves.toBeNull();
    await expect(redis.client.exists(sessionKey(record.id), usedHashesKey(record.id))).resolves.toBe(0);
  });

  it("treats a record from before the current format as absent, not as a store failure", async () => {
    const store = createRedisSessionStore(redis.client, {});
    const at = Date.now();
    const unversioned = {
      id: "legacy-session",
      userId: "u-legacy",
      secretHash: "00",
      permissions: [],
      createdAt: at,
      lastSeenAt: at,
      idleExpiresAt: at + HOUR,
      absoluteExpiresAt: at + HOUR,
      userAgent: null,
      ip: null,
    };
    const version2 = {
      ...unversioned,
      v: 2,
      id: "v2-session",
      transport: "TOKEN",
      secretHash: null,
      refreshHash: "00",
      usedRefreshHashes: "",
      permissions: "[]",
      data: "{}",
      idleTtlMs: HOUR,
    };
    for (const legacy of [unversioned, version2]) {
      await redis.client.set(sessionKey(legacy.id), JSON.stringify(legacy), "PX", HOUR);
      await expect(store.get(legacy.id)).resolves.toBeNull();
      await expect(store.setData(legacy.id, {})).resolves.toBeNull();
      await expect(store.rotateRefresh(legacy.id, "00", "11", at, LIMITS)).resolves.toEqual({ outcome: "invalid" });
    }
  });

  it("reports a corrupt record as an error, never as some session", async () => {
    const store = createRedisSessionStore(redis.client, {});
    await redis.client.set(sessionKey("corrupt-session"), JSON.stringify({ v: 3, u: 7 }), "PX", HOUR);
    await expect(store.get("corrupt-session")).rejects.toThrow(/unexpected shape/);
  });

  it("stores a record compactly: short names, no id, hashes as base64url, empty fields left out", async () => {
    const store = createRedisSessionStore(redis.client, {});
    const at = Date.now();
    const secretHash = hash();
    const record: SessionRecord = {
      id: randomBytes(16).toString("base64url"),
      userId: `u-${randomUUID()}`,
      transport: "COOKIE",
      secretHash,
      refreshHash: null,
      permissions: ["documents:read"],
      data: {},
      createdAt: at,
      lastSeenAt: at,
      idleExpiresAt: at + HOUR,
      absoluteExpiresAt: at + 12 * HOUR,
      idleTtlMs: HOUR,
      userAgent: "jest",
      ip: null,
    };
    await store.create(record);
    const stored = JSON.parse((await redis.client.get(sessionKey(record.id))) ?? "null");
    expect(stored).toEqual({
      v: 3,
      u: record.userId,
      t: "C",
      s: Buffer.from(secretHash, "hex").toString("base64url"),
      p: '["documents:read"]',
      c: at,
      l: 0,
      i: HOUR,
      a: 12 * HOUR,
      w: HOUR,
      g: "jest",
    });
    await expect(store.get(record.id)).resolves.toEqual(record);
    await store.delete(record.id);
  });
});
