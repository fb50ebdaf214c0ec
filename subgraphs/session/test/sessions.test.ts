import { createHash } from "node:crypto";
import {
  generateKeyMaterial,
  importSigningKey,
  publicKeys,
  type KeyMaterial,
  type SigningKey,
} from "@fedsession/runtime";
import {
  createAccessTokenVerifier,
  parseSessionToken,
  type CreateSessionRequest,
  type SessionTransport,
} from "@fedsession/session-client";
import { TestClock } from "@fedsession/testing";
import { SessionStoreUnavailable } from "../src/errors";
import { InvalidSessionData, MAX_SESSION_DATA_BYTES } from "../src/session-data";
import { createSessionService, MAX_USER_AGENT_LENGTH, type CreatedSession } from "../src/sessions";
import { createMemorySessionStore } from "../src/store/memory";
import type { SessionStore } from "../src/store/session-store";

type StoreCall = keyof SessionStore;
const WRITES: StoreCall[] = [
  "create",
  "touch",
  "delete",
  "setData",
  "updatePermissionsByUser",
  "deleteByUser",
  "rotateRefresh",
];

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
      create: (session, epoch) => record("create", inner.create(session, epoch)),
      revocationEpoch: (userId) => record("revocationEpoch", inner.revocationEpoch(userId)),
      get: (id) => record("get", inner.get(id)),
      getMany: (ids) => record("getMany", inner.getMany(ids)),
      touch: (session) => record("touch", inner.touch(session)),
      delete: (id) => record("delete", inner.delete(id)),
      listByUser: (userId, limit) => record("listByUser", inner.listByUser(userId, limit)),
      setData: (id, data) => record("setData", inner.setData(id, data)),
      updatePermissionsByUser: (userId, permissions) =>
        record("updatePermissionsByUser", inner.updatePermissionsByUser(userId, permissions)),
      deleteByUser: (userId, exceptId) => record("deleteByUser", inner.deleteByUser(userId, exceptId)),
      rotateRefresh: (id, presented, next, now, limits) =>
        record("rotateRefresh", inner.rotateRefresh(id, presented, next, now, limits)),
    },
  };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const alice: CreateSessionRequest = {
  userId: "u-alice",
  permissions: ["documents:read"],
  userAgent: "jest",
  ip: "127.0.0.1",
  transport: "COOKIE",
  replacesSessionId: null,
  revocationEpoch: "0",
};
const aliceApp: CreateSessionRequest = { ...alice, transport: "TOKEN" };

let material: KeyMaterial;
let accessTokenKey: SigningKey;

beforeAll(async () => {
  material = await generateKeyMaterial(true);
  accessTokenKey = await importSigningKey(material, "session");
});

function setup(
  ttl: { idleTtlSeconds: number; absoluteTtlSeconds: number } = { idleTtlSeconds: 1800, absoluteTtlSeconds: 43_200 },
  random?: (size: number) => Buffer,
) {
  const clock = new TestClock();
  const { store, calls } = countingStore(createMemorySessionStore(clock.now));
  const sessions = createSessionService({
    store,
    clock: clock.now,
    random,
    accessTokenKey,
    accessTokenTtlSeconds: 600,
    ...ttl,
  });
  const verifyAccessToken = createAccessTokenVerifier({
    jwks: publicKeys(material, "session"),
    currentDate: clock.now,
  });
  return { clock, calls, sessions, verifyAccessToken };
}

function cookieOf(created: CreatedSession): string {
  if (created.transport !== "COOKIE") throw new Error("expected a COOKIE session");
  return created.token;
}

function tokensOf(created: CreatedSession) {
  if (created.transport !== "TOKEN") throw new Error("expected a TOKEN session");
  return created.tokens;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("session service", () => {
  describe("cookie sessions", () => {
    it("issues tokens of a 128-bit id and a 256-bit secret, never repeating one", async () => {
      const { sessions } = setup();
      const tokens = await Promise.all(Array.from({ length: 100 }, () => sessions.create(alice).then(cookieOf)));
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
      const sizes: number[] = [];
      const random = (size: number) => {
        sizes.push(size);
        return Buffer.alloc(size, sizes.length);
      };
      const { sessions, clock } = setup({ idleTtlSeconds: 60, absoluteTtlSeconds: 120 }, random);
      const created = await sessions.create(alice);
      const secret = Buffer.alloc(32, 2).toString("base64url");
      expect(sizes).toEqual([16, 32]);
      expect(cookieOf(created)).toBe(`${Buffer.alloc(16, 1).toString("base64url")}.${secret}`);
      expect(created.record.secretHash).toBe(sha256(secret));
      expect(JSON.stringify(created.record)).not.toContain(secret);
      expect(created.record).toMatchObject({
        userId: "u-alice",
        transport: "COOKIE",
        refreshHash: null,
        data: {},
        createdAt: clock.now().getTime(),
        idleExpiresAt: clock.now().getTime() + 60 * SECOND,
        absoluteExpiresAt: clock.now().getTime() + 120 * SECOND,
        idleTtlMs: 60 * SECOND,
      });
    });

    it("replaces lone UTF-16 surrogates in the user agent, which no UTF-8 store can keep", async () => {
      const { sessions } = setup();
      const { record } = await sessions.create({ ...alice, userAgent: "app\ud800/1 😀" });
      expect(record.userAgent).toBe("app\ufffd/1 😀");
    });

    it(`keeps the first ${MAX_USER_AGENT_LENGTH} characters of a longer user agent, never half a character`, async () => {
      const { sessions } = setup();
      const long = await sessions.create({ ...alice, userAgent: "x".repeat(MAX_USER_AGENT_LENGTH + 50) });
      expect(long.record.userAgent).toBe("x".repeat(MAX_USER_AGENT_LENGTH));
      const split = await sessions.create({ ...alice, userAgent: `${"x".repeat(MAX_USER_AGENT_LENGTH - 1)}😀` });
      expect(split.record.userAgent).toBe(`${"x".repeat(MAX_USER_AGENT_LENGTH - 1)}\ufffd`);
    });

    it("resolves a fresh token to its session with one store read", async () => {
      const { sessions, calls } = setup();
      const created = await sessions.create(alice);
      calls.length = 0;
      await expect(sessions.resolve(cookieOf(created))).resolves.toEqual(created.record);
      expect(calls).toEqual(["getMany"]);
    });

    it("never consults the store for a malformed token", async () => {
      const { sessions, calls } = setup();
      const token = cookieOf(await sessions.create(alice));
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
      const token = cookieOf(await sessions.create(alice));
      const { id, secret } = parseSessionToken(token) ?? { id: "", secret: "" };
      const wrongSecret = (secret.startsWith("A") ? "B" : "A") + secret.slice(1);
      await expect(sessions.resolve(`${id}.${wrongSecret}`)).resolves.toBeNull();
      await expect(sessions.resolve(token)).resolves.not.toBeNull();
    });

    it("never resolves a cookie session by its id alone, as if an access token named it", async () => {
      const { sessions } = setup();
      const { record } = await sessions.create(alice);
      await expect(sessions.resolveTokenSession(record.id)).resolves.toBeNull();
    });
  });

  describe("expiry", () => {
    it("ends a session that stays unused for the idle TTL", async () => {
      const { sessions, clock } = setup({ idleTtlSeconds: 1800, absoluteTtlSeconds: 43_200 });
      const token = cookieOf(await sessions.create(alice));
      clock.advance(1800 * SECOND - 1);
      await expect(sessions.get(parseSessionToken(token)?.id ?? "")).resolves.not.toBeNull();
      clock.advance(1);
      await expect(sessions.resolve(token)).resolves.toBeNull();
    });

    it("slides the idle deadline with a write only once a tenth of the idle TTL has passed since the last write", async () => {
      const { sessions, clock, calls } = setup({ idleTtlSeconds: 1800, absoluteTtlSeconds: 43_200 });
      const created = await sessions.create(alice);
      const token = cookieOf(created);
      calls.length = 0;

      clock.advance(179 * SECOND);
      await expect(sessions.resolve(token)).resolves.toEqual(created.record);
      expect(calls).toEqual(["getMany"]);

      clock.advance(1 * SECOND);
      const slid = await sessions.resolve(token);
      expect(calls).toEqual(["getMany", "getMany", "touch"]);
      expect(slid).toMatchObject({
        lastSeenAt: clock.now().getTime(),
        idleExpiresAt: clock.now().getTime() + 1800 * SECOND,
      });

      calls.length = 0;
      clock.advance(179 * SECOND);
      await expect(sessions.resolve(token)).resolves.toEqual(slid);
      expect(calls).toEqual(["getMany"]);

      // The deadline counts from the last write, not the last read: 1799 s after the slide the session still lives.
      clock.advance(1620 * SECOND);
      await expect(sessions.resolve(token)).resolves.not.toBeNull();
    });

    it("writes at most once a second however short the idle TTL", async () => {
      const { sessions, clock, calls } = setup({ idleTtlSeconds: 5, absoluteTtlSeconds: 60 });
      const token = cookieOf(await sessions.create(alice));
      calls.length = 0;
      clock.advance(999);
      await sessions.resolve(token);
      clock.advance(1);
      await sessions.resolve(token);
      expect(calls).toEqual(["getMany", "getMany", "touch"]);
    });

    it("under steady use (a resolve every second for 30 minutes) writes to the store on fewer than 1% of resolves", async () => {
      const { sessions, clock, calls } = setup({ idleTtlSeconds: 1800, absoluteTtlSeconds: 43_200 });
      const token = cookieOf(await sessions.create(alice));
      calls.length = 0;
      const resolves = 30 * 60;
      for (let second = 0; second < resolves; second += 1) {
        clock.advance(SECOND);
        await expect(sessions.resolve(token)).resolves.not.toBeNull();
      }
      const writes = calls.filter((call) => WRITES.includes(call)).length;
      expect(calls.filter((call) => call === "getMany")).toHaveLength(resolves);
      expect(writes / resolves).toBeLessThan(0.01);
    });

    it("keeps a steadily used session no longer than its absolute lifetime", async () => {
      const { sessions, clock } = setup({ idleTtlSeconds: 60, absoluteTtlSeconds: 300 });
      const created = await sessions.create(alice);
      const token = cookieOf(created);
      let last = created.record;
      for (let elapsed = 30; elapsed < 300; elapsed += 30) {
        clock.advance(30 * SECOND);
        const resolved = await sessions.resolve(token);
        expect(resolved).not.toBeNull();
        last = resolved ?? last;
        expect(last.idleExpiresAt).toBeLessThanOrEqual(created.record.absoluteExpiresAt);
        expect(last.absoluteExpiresAt).toBe(created.record.absoluteExpiresAt);
      }
      expect(last.idleExpiresAt).toBe(created.record.absoluteExpiresAt);
      clock.advance(30 * SECOND);
      await expect(sessions.resolve(token)).resolves.toBeNull();
    });

    it("slides a token session resolved by id the same way, and ends it when idle", async () => {
      const { sessions, clock, calls } = setup({ idleTtlSeconds: 600, absoluteTtlSeconds: 3600 });
      const { record } = await sessions.create(aliceApp);
      calls.length = 0;
      clock.advance(59 * SECOND);
      await expect(sessions.resolveTokenSession(record.id)).resolves.toEqual(record);
      expect(calls).toEqual(["getMany"]);
      clock.advance(SECOND);
      await expect(sessions.resolveTokenSession(record.id)).resolves.toMatchObject({
        idleExpiresAt: clock.now().getTime() + 600 * SECOND,
      });
      expect(calls).toEqual(["getMany", "getMany", "touch"]);
      clock.advance(600 * SECOND);
      await expect(sessions.resolveTokenSession(record.id)).resolves.toBeNull();
    });

    it("resolves a batch with one store read, each credential answered on its own", async () => {
      const { sessions, calls } = setup();
      const cookie = await sessions.create(alice);
      const app = await sessions.create(aliceApp);
      const token = cookieOf(cookie);
      calls.length = 0;
      const outcomes = await sessions.resolveMany([
        { token },
        { token: "garbage" },
        { token: `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}` },
        { sessionId: app.record.id },
        { sessionId: cookie.record.id },
        { token: `${app.record.id}.${"b".repeat(43)}` },
      ]);
      expect(outcomes).toEqual([
        { record: cookie.record },
        { record: null },
        { record: null },
        { record: app.record },
        { record: null },
        { record: null },
      ]);
      expect(calls).toEqual(["getMany"]);
    });

    it("never looks up a session id that is not shaped like one", async () => {
      const { sessions, calls } = setup();
      for (const id of ["", "short", "a".repeat(23), `${"a".repeat(21)}.`, `${"a".repeat(21)}=`]) {
        await expect(sessions.resolveTokenSession(id)).resolves.toBeNull();
      }
      expect(calls).toEqual([]);
    });
  });

  describe("token sessions", () => {
    it("issue an access token naming the session and a refresh token shaped like a cookie token", async () => {
      const { sessions, clock, verifyAccessToken } = setup();
      const created = await sessions.create(aliceApp);
      const tokens = tokensOf(created);
      const refresh = parseSessionToken(tokens.refreshToken);
      expect(refresh?.id).toBe(created.record.id);
      expect(created.record).toMatchObject({
        transport: "TOKEN",
        secretHash: null,
        refreshHash: sha256(refresh?.secret ?? ""),
      });
      expect(JSON.stringify(created.record)).not.toContain(refresh?.secret);
      expect(tokens.accessTokenExpiresAt).toBe(new Date(clock.now().getTime() + 600 * SECOND).toISOString());
      await expect(verifyAccessToken(tokens.accessToken)).resolves.toEqual({
        userId: "u-alice",
        sessionId: created.record.id,
      });
    });

    it("can never be resolved with the refresh token as a cookie token", async () => {
      const { sessions } = setup();
      const tokens = tokensOf(await sessions.create(aliceApp));
      await expect(sessions.resolve(tokens.refreshToken)).resolves.toBeNull();
    });

    it("rotate the refresh token, slide the idle deadline and mint a new access token", async () => {
      const { sessions, clock, verifyAccessToken } = setup({ idleTtlSeconds: 1800, absoluteTtlSeconds: 43_200 });
      const created = await sessions.create(aliceApp);
      const first = tokensOf(created);
      clock.advance(20 * MINUTE);
      const result = await sessions.refresh(first.refreshToken);
      if (result.outcome !== "rotated") throw new Error(`expected a rotation, got ${result.outcome}`);
      const secret = parseSessionToken(result.tokens.refreshToken)?.secret ?? "";
      expect(result.tokens.refreshToken).not.toBe(first.refreshToken);
      expect(result.record).toMatchObject({
        refreshHash: sha256(secret),
        lastSeenAt: clock.now().getTime(),
        idleExpiresAt: clock.now().getTime() + 30 * MINUTE,
        absoluteExpiresAt: created.record.absoluteExpiresAt,
      });
      await expect(verifyAccessToken(result.tokens.accessToken)).resolves.toMatchObject({
        sessionId: created.record.id,
      });
      expect(result.tokens.accessTokenExpiresAt).toBe(new Date(clock.now().getTime() + 10 * MINUTE).toISOString());
    });

    it("end the whole session when a rotated refresh token is presented again", async () => {
      const { sessions } = setup();
      const created = await sessions.create(aliceApp);
      const first = tokensOf(created);
      const rotated = await sessions.refresh(first.refreshToken);
      expect(rotated.outcome).toBe("rotated");
      if (rotated.outcome === "rotated") await sessions.refresh(rotated.tokens.refreshToken);
      await expect(sessions.refresh(first.refreshToken)).resolves.toMatchObject({ outcome: "reused" });
      await expect(sessions.get(created.record.id)).resolves.toBeNull();
      if (rotated.outcome === "rotated") {
        await expect(sessions.refresh(rotated.tokens.refreshToken)).resolves.toEqual({ outcome: "invalid" });
      }
    });

    it("let a client retry a refresh whose answer was lost, and end the session when the lost pair is used after all", async () => {
      const { sessions } = setup();
      const created = await sessions.create(aliceApp);
      const { refreshToken } = tokensOf(created);
      const lost = await sessions.refresh(refreshToken);
      const retried = await sessions.refresh(refreshToken);
      if (lost.outcome !== "rotated" || retried.outcome !== "rotated") throw new Error("expected two rotations");
      await expect(sessions.refresh(retried.tokens.refreshToken)).resolves.toMatchObject({ outcome: "rotated" });
      // The lost pair reached someone after all: two parties hold the session, so it ends.
      await expect(sessions.refresh(lost.tokens.refreshToken)).resolves.toMatchObject({ outcome: "reused" });
      await expect(sessions.get(created.record.id)).resolves.toBeNull();
    });

    it("end the session after its rotation budget, derived from the absolute and access-token lifetimes", async () => {
      const { sessions } = setup({ idleTtlSeconds: 1800, absoluteTtlSeconds: 43_200 });
      let { refreshToken } = tokensOf(await sessions.create(aliceApp));
      // 12 h / 10 min = 72 refreshes at the natural pace; the budget is four times that.
      for (let step = 0; step < 288; step += 1) {
        const result = await sessions.refresh(refreshToken);
        if (result.outcome !== "rotated") throw new Error(`rotation ${step} was ${result.outcome}`);
        refreshToken = result.tokens.refreshToken;
      }
      await expect(sessions.refresh(refreshToken)).resolves.toMatchObject({ outcome: "exhausted" });
    });

    it("refuse unknown, malformed, cookie and access tokens as refresh tokens, leaving the session as it was", async () => {
      const { sessions, calls } = setup();
      const cookie = cookieOf(await sessions.create(alice));
      const created = await sessions.create(aliceApp);
      const { accessToken, refreshToken } = tokensOf(created);
      const { id } = parseSessionToken(refreshToken) ?? { id: "" };
      calls.length = 0;
      for (const candidate of ["", "garbage", accessToken, cookie, `${id}.${"A".repeat(43)}`]) {
        await expect(sessions.refresh(candidate)).resolves.toEqual({ outcome: "invalid" });
      }
      // Only the two well-formed candidates cost a store call; none changed anything.
      expect(calls).toEqual(["rotateRefresh", "rotateRefresh"]);
      await expect(sessions.get(created.record.id)).resolves.toEqual(created.record);
      await expect(sessions.refresh(refreshToken)).resolves.toMatchObject({ outcome: "rotated" });
    });

    it("refuse the refresh token of a session past its absolute deadline, however recently it was refreshed", async () => {
      const { sessions, clock } = setup({ idleTtlSeconds: 60, absoluteTtlSeconds: 120 });
      let { refreshToken } = tokensOf(await sessions.create(aliceApp));
      for (let step = 0; step < 2; step += 1) {
        clock.advance(40 * SECOND);
        const result = await sessions.refresh(refreshToken);
        if (result.outcome !== "rotated") throw new Error("expected a rotation within the absolute lifetime");
        refreshToken = result.tokens.refreshToken;
      }
      clock.advance(40 * SECOND);
      await expect(sessions.refresh(refreshToken)).resolves.toEqual({ outcome: "invalid" });
    });
  });

  describe("session data", () => {
    it("sets, replaces and (with null) removes keys, keeping the rest", async () => {
      const { sessions } = setup();
      const { record } = await sessions.create(alice);
      await sessions.setData(record.id, "theme", "dark");
      await sessions.setData(record.id, "cart:items", [1, { sku: "a-1" }]);
      await sessions.setData(record.id, "theme", "light");
      await expect(sessions.setData(record.id, "cart:items", null)).resolves.toMatchObject({
        data: { theme: "light" },
      });
    });

    it("keeps a key named __proto__ as plain data", async () => {
      const { sessions } = setup();
      const { record } = await sessions.create(alice);
      const updated = await sessions.setData(record.id, "__proto__", { admin: true });
      expect(Object.getPrototypeOf(updated?.data)).toBe(Object.prototype);
      expect(JSON.stringify(updated?.data)).toBe('{"__proto__":{"admin":true}}');
    });

    it.each([
      ["an empty key", ""],
      ["a key of 65 characters", "k".repeat(65)],
      ["a key with a space", "my key"],
      ["a key with a slash", "a/b"],
    ])("refuses %s", async (_case, key) => {
      const { sessions } = setup();
      const { record } = await sessions.create(alice);
      await expect(sessions.setData(record.id, key, 1)).rejects.toBeInstanceOf(InvalidSessionData);
    });

    it("accepts data of exactly 4096 bytes of JSON and refuses one byte more, naming the limit", async () => {
      const { sessions } = setup();
      const { record } = await sessions.create(alice);
      const overhead = JSON.stringify({ k: "" }).length;
      const fits = "x".repeat(MAX_SESSION_DATA_BYTES - overhead);
      await expect(sessions.setData(record.id, "k", fits)).resolves.not.toBeNull();
      await expect(sessions.setData(record.id, "k", `${fits}x`)).rejects.toThrow(/4096 bytes/);
      await expect(sessions.get(record.id)).resolves.toMatchObject({ data: { k: fits } });
    });

    it("answers null for a session that is gone", async () => {
      const { sessions } = setup();
      await expect(sessions.setData("a".repeat(22), "k", 1)).resolves.toBeNull();
    });
  });

  describe("per-user operations", () => {
    it("ends the session a new sign-in replaces only after storing the new one, and returns what it ended", async () => {
      const { sessions, calls } = setup();
      const previous = await sessions.create(alice);
      calls.length = 0;
      const next = await sessions.create({ ...alice, userId: "u-bob", replacesSessionId: previous.record.id });
      expect(calls).toEqual(["create", "delete"]);
      expect(next.replaced).toEqual(previous.record);
      await expect(sessions.resolve(cookieOf(previous))).resolves.toBeNull();
      await expect(sessions.resolve(cookieOf(next))).resolves.toMatchObject({ userId: "u-bob" });
      const again = await sessions.create({ ...alice, replacesSessionId: previous.record.id });
      expect(again.replaced).toBeNull();
      expect((await sessions.create(alice)).replaced).toBeNull();
    });

    it("destroys a session so its token no longer resolves, and lists only live sessions", async () => {
      const { sessions, clock } = setup({ idleTtlSeconds: 60, absoluteTtlSeconds: 600 });
      const first = await sessions.create(alice);
      clock.advance(30 * SECOND);
      const second = await sessions.create(alice);
      const third = await sessions.create(alice);
      await expect(sessions.destroy(third.record.id)).resolves.toEqual(third.record);
      await expect(sessions.resolve(cookieOf(third))).resolves.toBeNull();
      await expect(sessions.listForUser("u-alice", 50)).resolves.toEqual([second.record, first.record]);
      clock.advance(30 * SECOND);
      await expect(sessions.listForUser("u-alice", 50)).resolves.toEqual([second.record]);
    });

    it.each<SessionTransport>(["COOKIE", "TOKEN"])(
      "revokes all of a user's %s sessions but the one kept, and applies new permissions to the rest",
      async (transport) => {
        const { sessions } = setup();
        const kept = await sessions.create({ ...alice, transport });
        await sessions.create({ ...alice, transport });
        await sessions.create({ ...alice, transport });
        const bob = await sessions.create({ ...alice, userId: "u-bob", transport });
        await expect(sessions.revokeForUser("u-alice", kept.record.id)).resolves.toBe(2);
        await expect(sessions.listForUser("u-alice", 50)).resolves.toEqual([kept.record]);
        await expect(sessions.updatePermissionsForUser("u-alice", ["sessions:admin"])).resolves.toBe(1);
        await expect(sessions.get(kept.record.id)).resolves.toMatchObject({ permissions: ["sessions:admin"] });
        await expect(sessions.get(bob.record.id)).resolves.toMatchObject({ permissions: ["documents:read"] });
        await expect(sessions.revokeForUser("u-alice", null)).resolves.toBe(1);
      },
    );
  });

  it("reports a failing store as SessionStoreUnavailable", async () => {
    const clock = new TestClock();
    const failure = () => Promise.reject(new Error("connection refused"));
    const broken: SessionStore = {
      create: failure,
      revocationEpoch: failure,
      get: failure,
      getMany: failure,
      touch: failure,
      delete: failure,
      listByUser: failure,
      setData: failure,
      updatePermissionsByUser: failure,
      deleteByUser: failure,
      rotateRefresh: failure,
    };
    const sessions = createSessionService({
      store: broken,
      clock: clock.now,
      idleTtlSeconds: 60,
      absoluteTtlSeconds: 600,
      accessTokenKey,
      accessTokenTtlSeconds: 600,
    });
    const token = `${"a".repeat(22)}.${"b".repeat(43)}`;
    await expect(sessions.create(alice)).rejects.toBeInstanceOf(SessionStoreUnavailable);
    await expect(sessions.resolve(token)).rejects.toBeInstanceOf(SessionStoreUnavailable);
    await expect(sessions.refresh(token)).rejects.toBeInstanceOf(SessionStoreUnavailable);
    await expect(sessions.revokeForUser("u-alice", null)).rejects.toBeInstanceOf(SessionStoreUnavailable);
  });
});
