import { connectTestRedis, type TestRedis } from "@fedsession/testing";
import { createMemoryUserStore } from "../src/store/memory";
import { createRedisUserStore } from "../src/store/redis";
import type { UserRecord, UserStore } from "../src/store/user-store";

interface Harness {
  store: UserStore;
  /** What Redis really holds, with the prefix; null for the memory adapter. */
  redis: TestRedis | null;
  close(): Promise<void>;
}

const harnesses: [string, () => Promise<Harness>][] = [
  ["memory", async () => ({ store: createMemoryUserStore(), redis: null, close: async () => {} })],
  [
    "redis",
    async () => {
      const redis = await connectTestRedis();
      return { store: createRedisUserStore(redis.client), redis, close: () => redis.close() };
    },
  ],
];

let sequence = 0;
function userFor(email: string, overrides: Partial<UserRecord> = {}): UserRecord {
  sequence += 1;
  return {
    id: `u-${sequence}-${Date.now()}`,
    email,
    passwordHash: "$2b$04$abcdefghijklmnopqrstuv",
    permissions: ["documents:read"],
    disabled: false,
    createdAt: Date.UTC(2026, 0, 1),
    ...overrides,
  };
}

describe.each(harnesses)("user store contract (%s)", (_name, connect) => {
  let harness: Harness;
  let store: UserStore;

  beforeAll(async () => {
    harness = await connect();
    store = harness.store;
  });
  afterAll(() => harness.close());

  it("finds a created user by id and by email", async () => {
    const alice = userFor("alice@example.com");
    await expect(store.create(alice)).resolves.toBe(true);
    await expect(store.findById(alice.id)).resolves.toEqual(alice);
    await expect(store.findByEmail("alice@example.com")).resolves.toEqual(alice);
  });

  it("returns null for an unknown id or email", async () => {
    await expect(store.findById("u-nobody")).resolves.toBeNull();
    await expect(store.findByEmail("nobody@example.com")).resolves.toBeNull();
  });

  it("refuses a second user with a taken email and writes nothing for it", async () => {
    const first = userFor("taken@example.com");
    const second = userFor("taken@example.com");
    await expect(store.create(first)).resolves.toBe(true);
    await expect(store.create(second)).resolves.toBe(false);
    await expect(store.findById(second.id)).resolves.toBeNull();
    await expect(store.findByEmail("taken@example.com")).resolves.toEqual(first);
    if (harness.redis) {
      const { raw, keyPrefix } = harness.redis;
      await expect(raw.exists(`${keyPrefix}user:{${second.id}}`)).resolves.toBe(0);
      await expect(raw.get(`${keyPrefix}user-email:{taken@example.com}`)).resolves.toBe(first.id);
    }
  });

  it("refuses a user whose id exists and leaves no email index behind for it", async () => {
    const original = userFor("original@example.com");
    await store.create(original);
    const clash = { ...userFor("clash@example.com"), id: original.id };
    await expect(store.create(clash)).rejects.toMatchObject({ reason: "id-taken" });
    await expect(store.findByEmail("clash@example.com")).resolves.toBeNull();
    await expect(store.findById(original.id)).resolves.toEqual(original);
    if (harness.redis) {
      const { raw, keyPrefix } = harness.redis;
      await expect(raw.exists(`${keyPrefix}user-email:{clash@example.com}`)).resolves.toBe(0);
    }
  });

  it("returns users for several ids in the order asked, with null for the unknown ones", async () => {
    const bob = userFor("bob@example.com");
    const carol = userFor("carol@example.com");
    await store.create(bob);
    await store.create(carol);
    await expect(store.findByIds([carol.id, "u-missing", bob.id, carol.id])).resolves.toEqual([
      carol,
      null,
      bob,
      carol,
    ]);
    await expect(store.findByIds([])).resolves.toEqual([]);
  });

  it("updates permissions, password hash and the disabled flag", async () => {
    const dave = userFor("dave@example.com");
    await store.create(dave);
    const updated = {
      ...dave,
      passwordHash: "$2b$04$zyxwvutsrqponmlkjihgfe",
      permissions: ["users:admin"],
      disabled: true,
    };
    await store.update(updated);
    await expect(store.findById(dave.id)).resolves.toEqual(updated);
    await expect(store.findByEmail("dave@example.com")).resolves.toEqual(updated);
  });

  it("refuses to update an unknown user or to change a user's email", async () => {
    await expect(store.update(userFor("ghost@example.com"))).rejects.toMatchObject({ reason: "not-found" });
    await expect(store.findByEmail("ghost@example.com")).resolves.toBeNull();
    const erin = userFor("erin@example.com");
    await store.create(erin);
    await expect(store.update({ ...erin, email: "mallory@example.com" })).rejects.toMatchObject({
      reason: "email-changed",
    });
    await expect(store.findById(erin.id)).resolves.toEqual(erin);
    await expect(store.findByEmail("mallory@example.com")).resolves.toBeNull();
  });

  it("modifies a stored user through a function of its current state and returns the result", async () => {
    const heidi = userFor("heidi@example.com", { permissions: ["documents:read"] });
    await store.create(heidi);
    const modified = await store.modify(heidi.id, (current) => ({
      ...current,
      permissions: [...current.permissions, "documents:write"],
    }));
    expect(modified).toEqual({ ...heidi, permissions: ["documents:read", "documents:write"] });
    await expect(store.findById(heidi.id)).resolves.toEqual(modified);
    await expect(store.modify("u-missing", (current) => current)).resolves.toBeNull();
    await expect(store.modify(heidi.id, (current) => ({ ...current, email: "x@example.com" }))).rejects.toMatchObject({
      reason: "email-changed",
    });
  });

  it("loses no change when several modifications of one user run at once", async () => {
    const ivan = userFor("ivan@example.com", { permissions: [] });
    await store.create(ivan);
    const granted = ["documents:read", "documents:write", "sessions:admin", "users:admin"];
    await Promise.all(
      granted.map((permission) =>
        store.modify(ivan.id, (current) => ({ ...current, permissions: [...current.permissions, permission] })),
      ),
    );
    const stored = await store.findById(ivan.id);
    expect([...(stored?.permissions ?? [])].sort()).toEqual([...granted].sort());
    if (harness.redis) {
      const { raw, keyPrefix } = harness.redis;
      const json = JSON.parse((await raw.get(`${keyPrefix}user:{${ivan.id}}`)) ?? "null") as UserRecord;
      expect(json.permissions).toHaveLength(4);
      await expect(raw.ttl(`${keyPrefix}user:{${ivan.id}}`)).resolves.toBe(-1);
    }
  });

  it("does not let a caller change a stored user by mutating a returned object", async () => {
    const frank = userFor("frank@example.com");
    await store.create(frank);
    const found = await store.findById(frank.id);
    found?.permissions.push("users:admin");
    await expect(store.findById(frank.id)).resolves.toEqual(frank);
  });

  it("writes prefixed, hash-tagged keys that never expire", async () => {
    const grace = userFor("grace@example.com");
    await store.create(grace);
    if (!harness.redis) return;
    const { raw, keyPrefix } = harness.redis;
    const userKey = `${keyPrefix}user:{${grace.id}}`;
    const emailKey = `${keyPrefix}user-email:{grace@example.com}`;
    expect(JSON.parse((await raw.get(userKey)) ?? "null")).toEqual(grace);
    await expect(raw.get(emailKey)).resolves.toBe(grace.id);
    await expect(raw.ttl(userKey)).resolves.toBe(-1);
    await expect(raw.ttl(emailKey)).resolves.toBe(-1);
    const keys = await harness.redis.keys();
    expect(keys.every((key) => key.startsWith(keyPrefix) && /\{[^}]+\}$/.test(key))).toBe(true);
  });
});
