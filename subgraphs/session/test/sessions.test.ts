import { createHash } from "node:crypto";
import { parseSessionToken } from "@fedsession/session-client";
import { TestClock } from "@fedsession/testing";
import { SessionStoreUnavailable } from "../src/errors";
import { createSessionService } from "../src/sessions";
import { createMemorySessionStore } from "../src/store/memory";
import type { SessionStore } from "../src/store/session-store";

type StoreCall = keyof SessionStore;

/** A real memory store that also records which store operations the service performed. */
function countingStore(inner: SessionStore): { store: SessionStore; calls: StoreCall[] } {
  const calls: StoreCall[] = [];
  const record = <T>(call: StoreCall, result: Promise<T>): Promise<T> => {
    calls.push(call);
    return result;
  };
  return {
    calls,
    store: {
      create: (session) => record("create", inner.create(session)),
      get: (id) => record("get", inner.get(id)),
      touch: (session) => record("touch", inner.touch(session)),
      delete: (id) => record("delete", inner.delete(id)),
      listByUser: (userId) => record("listByUser", inner.listByUser(userId)),
    },
  };
}

const SECOND = 1000;
const alice = { userId: "u-alice", permissions: ["documents:read"], userAgent: "jest", ip: "127.0.0.1" };

function setup(
  ttl: { idleTtlSeconds: number; absoluteTtlSeconds: number } = { idleTtlSeconds: 1800, absoluteTtlSeconds: 43_200 },
) {
  const clock = new TestClock();
  const { store, calls } = countingStore(createMemorySessionStore(clock.now));
  const sessions = createSessionService({ store, clock: clock.now, ...ttl });
  return { clock, calls, sessions };
}

describe("session service", () => {
  it("issues tokens of a 128-bit id and a 256-bit secret, never repeating one", async () => {
    const { sessions } = setup();
    const tokens = await Promise.all(
      Array.from({ length: 100 }, () => sessions.create(alice).then(({ token }) => token)),
    );
    const parsed = tokens.map((token) => parseSessionToken(token));
    for (const token of parsed) {
      expect(token).not.toBeNull();
      expect(Buffer.from(token?.id ?? "", "base64url")).toHaveLength(16);
      expect(Buffer.from(token?.secret ?? "", "base64url")).toHaveLength(32);
    }
    expect(new Set(parsed.map((token) => token?.id)).size).toBe(100);
    expect(new Set(parsed.map((token) => token?.secret)).size).toBe(100);
  });

  it("draws ids and secrets from the injected random source and stores only the secret's SHA-256", async () => {
    const clock = new TestClock();
    const sizes: number[] = [];
    const random = (size: number) => {
      sizes.push(size);
      return Buffer.alloc(size, sizes.length);
    };
    const sessions = createSessionService({
      store: createMemorySessionStore(clock.now),
      clock: clock.now,
      random,
      idleTtlSeconds: 60,
      absoluteTtlSeconds: 120,
    });
    const { token, record } = await sessions.create(alice);
    const secret = Buffer.alloc(32, 2).toString("base64url");
    expect(sizes).toEqual([16, 32]);
    expect(token).toBe(`${Buffer.alloc(16, 1).toString("base64url")}.${secret}`);
    expect(record.secretHash).toBe(createHash("sha256").update(secret).digest("hex"));
    expect(JSON.stringify(record)).not.toContain(secret);
    expect(record).toMatchObject({
      userId: "u-alice",
      createdAt: clock.now().getTime(),
      idleExpiresAt: clock.now().getTime() + 60 * SECOND,
      absoluteExpiresAt: clock.now().getTime() + 120 * SECOND,
    });
  });

  it("resolves a fresh token to its session with one store read", async () => {
    const { sessions, calls } = setup();
    const { token, record } = await sessions.create(alice);
    calls.length = 0;
    await expect(sessions.resolve(token)).resolves.toEqual(record);
    expect(calls).toEqual(["get"]);
  });

  it("never consults the store for a malformed token", async () => {
    const { sessions, calls } = setup();
    const { token } = await sessions.create(alice);
    calls.length = 0;
    for (const malformed of [
      "",
      "garbage",
      token.replace(".", ""),
      `${token}x`,
      `x${token}`,
      token.replace(".", ".."),
      `${token}\n`,
      token.replace(/.$/, "="),
      token.slice(0, -1),
    ]) {
      await expect(sessions.resolve(malformed)).resolves.toBeNull();
    }
    expect(calls).toEqual([]);
  });

  it("refuses a real session id presented with the wrong secret", async () => {
    const { sessions } = setup();
    const { token } = await sessions.create(alice);
    const { id, secret } = parseSessionToken(token) ?? { id: "", secret: "" };
    const wrongSecret = (secret.startsWith("A") ? "B" : "A") + secret.slice(1);
    await expect(sessions.resolve(`${id}.${wrongSecret}`)).resolves.toBeNull();
    await expect(sessions.resolve(token)).resolves.not.toBeNull();
  });

  it("ends a session that stays unused for the idle TTL", async () => {
    const { sessions, clock } = setup({ idleTtlSeconds: 1800, absoluteTtlSeconds: 43_200 });
    const { token } = await sessions.create(alice);
    clock.advance(1800 * SECOND);
    await expect(sessions.resolve(token)).resolves.toBeNull();
  });

  it("slides the idle deadline with a write only once a tenth of the idle TTL has passed since the last write", async () => {
    const { sessions, clock, calls } = setup({ idleTtlSeconds: 1800, absoluteTtlSeconds: 43_200 });
    const { token, record } = await sessions.create(alice);
    calls.length = 0;

    clock.advance(179 * SECOND);
    await expect(sessions.resolve(token)).resolves.toEqual(record);
    expect(calls).toEqual(["get"]);

    clock.advance(1 * SECOND);
    const slid = await sessions.resolve(token);
    expect(calls).toEqual(["get", "get", "touch"]);
    expect(slid).toMatchObject({
      lastSeenAt: clock.now().getTime(),
      idleExpiresAt: clock.now().getTime() + 1800 * SECOND,
    });

    calls.length = 0;
    clock.advance(179 * SECOND);
    await expect(sessions.resolve(token)).resolves.toEqual(slid);
    expect(calls).toEqual(["get"]);

    // The deadline counts from the last write, not the last read: 1799 s after the slide the session still lives.
    clock.advance(1620 * SECOND);
    await expect(sessions.resolve(token)).resolves.not.toBeNull();
  });

  it("writes at most once a second however short the idle TTL", async () => {
    const { sessions, clock, calls } = setup({ idleTtlSeconds: 5, absoluteTtlSeconds: 60 });
    const { token } = await sessions.create(alice);
    calls.length = 0;
    clock.advance(999);
    await sessions.resolve(token);
    clock.advance(1);
    await sessions.resolve(token);
    expect(calls).toEqual(["get", "get", "touch"]);
  });

  it("keeps a steadily used session no longer than its absolute lifetime", async () => {
    const { sessions, clock } = setup({ idleTtlSeconds: 60, absoluteTtlSeconds: 300 });
    const { token, record } = await sessions.create(alice);
    let last = record;
    for (let elapsed = 30; elapsed < 300; elapsed += 30) {
      clock.advance(30 * SECOND);
      const resolved = await sessions.resolve(token);
      expect(resolved).not.toBeNull();
      last = resolved ?? last;
      expect(last.idleExpiresAt).toBeLessThanOrEqual(record.absoluteExpiresAt);
      expect(last.absoluteExpiresAt).toBe(record.absoluteExpiresAt);
    }
    expect(last.idleExpiresAt).toBe(record.absoluteExpiresAt);
    clock.advance(30 * SECOND);
    await expect(sessions.resolve(token)).resolves.toBeNull();
  });

  it("destroys a session so its token no longer resolves, and lists only live sessions", async () => {
    const { sessions, clock } = setup({ idleTtlSeconds: 60, absoluteTtlSeconds: 600 });
    const first = await sessions.create(alice);
    clock.advance(30 * SECOND);
    const second = await sessions.create(alice);
    const third = await sessions.create(alice);
    await expect(sessions.destroy(third.record.id)).resolves.toEqual(third.record);
    await expect(sessions.resolve(third.token)).resolves.toBeNull();
    await expect(sessions.listForUser("u-alice")).resolves.toEqual([first.record, second.record]);
    clock.advance(30 * SECOND);
    await expect(sessions.listForUser("u-alice")).resolves.toEqual([second.record]);
  });

  it("reports a failing store as SessionStoreUnavailable", async () => {
    const clock = new TestClock();
    const failure = () => Promise.reject(new Error("connection refused"));
    const broken: SessionStore = {
      create: failure,
      get: failure,
      touch: failure,
      delete: failure,
      listByUser: failure,
    };
    const sessions = createSessionService({
      store: broken,
      clock: clock.now,
      idleTtlSeconds: 60,
      absoluteTtlSeconds: 600,
    });
    await expect(sessions.create(alice)).rejects.toBeInstanceOf(SessionStoreUnavailable);
    await expect(sessions.resolve(`${"a".repeat(22)}.${"b".repeat(43)}`)).rejects.toBeInstanceOf(
      SessionStoreUnavailable,
    );
  });
});
