import { connectTestRedis, TestClock, type TestRedis } from "@fedsession/testing";
import {
  accountClientAttemptsKey,
  accountClientThrottleKey,
  accountThrottleKey,
  ipAttemptsKey,
  ipThrottleKey,
  knownClientKey,
  signUpThrottleKey,
  type Backoff,
  type LoginThrottle,
} from "../src/store/login-throttle";
import { createMemoryLoginThrottle } from "../src/store/memory";
import { createRedisLoginThrottle } from "../src/store/redis";

interface Harness {
  throttle: LoginThrottle;
  /** What Redis really holds; null for the memory adapter. */
  redis: TestRedis | null;
  /** Lets a window of `windowMs` run out: moves the clock (memory) or really waits (Redis, where the TTL is the point). */
  outlast(windowMs: number): Promise<void>;
  /** Lets `milliseconds` pass, the same way. */
  elapse(milliseconds: number): Promise<void>;
  close(): Promise<void>;
}

const harnesses: [string, () => Promise<Harness>][] = [
  [
    "memory",
    async () => {
      const clock = new TestClock();
      return {
        throttle: createMemoryLoginThrottle(clock.now),
        redis: null,
        outlast: async (windowMs) => clock.advance(windowMs + 1),
        elapse: async (milliseconds) => clock.advance(milliseconds),
        close: async () => {},
      };
    },
  ],
  [
    "redis",
    async () => {
      const redis = await connectTestRedis();
      return {
        throttle: createRedisLoginThrottle(redis.client),
        redis,
        outlast: (windowMs) => new Promise((resolve) => setTimeout(resolve, windowMs + 50)),
        elapse: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
        close: () => redis.close(),
      };
    },
  ],
];

const MINUTES_15 = 15 * 60 * 1000;
let sequence = 0;
const freshKey = () => accountThrottleKey(`user${(sequence += 1)}@example.com`);

describe.each(harnesses)("login throttle contract (%s)", (_name, connect) => {
  let harness: Harness;
  let throttle: LoginThrottle;

  beforeAll(async () => {
    harness = await connect();
    throttle = harness.throttle;
  });
  afterAll(() => harness.close());

  it("counts every attempt in one window and reports the time left in it", async () => {
    const key = freshKey();
    const first = await throttle.hit(key, MINUTES_15);
    expect(first.attempts).toBe(1);
    expect(first.resetInMs).toBeGreaterThan(MINUTES_15 - 1000);
    expect(first.resetInMs).toBeLessThanOrEqual(MINUTES_15);
    await throttle.hit(key, MINUTES_15);
    await expect(throttle.hit(key, MINUTES_15)).resolves.toMatchObject({ attempts: 3 });
  });

  it("counts concurrent attempts exactly, none lost", async () => {
    const key = freshKey();
    const results = await Promise.all(Array.from({ length: 20 }, () => throttle.hit(key, MINUTES_15)));
    expect(results.map((result) => result.attempts).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
  });

  it("keeps counters of different keys apart", async () => {
    const attacked = freshKey();
    const other = freshKey();
    for (let i = 0; i < 5; i += 1) await throttle.hit(attacked, MINUTES_15);
    await expect(throttle.hit(other, MINUTES_15)).resolves.toMatchObject({ attempts: 1 });
    await expect(throttle.hit(ipThrottleKey("203.0.113.7"), MINUTES_15)).resolves.toMatchObject({ attempts: 1 });
  });

  it("starts from zero once the window has passed", async () => {
    const key = freshKey();
    const windowMs = 400;
    await throttle.hit(key, windowMs);
    await throttle.hit(key, windowMs);
    await harness.outlast(windowMs);
    await expect(throttle.hit(key, windowMs)).resolves.toMatchObject({ attempts: 1 });
  });

  it("forgives one attempt without opening a window, and reset ends the window", async () => {
    const key = freshKey();
    await throttle.forgive(key);
    await expect(throttle.hit(key, MINUTES_15)).resolves.toMatchObject({ attempts: 1 });
    await throttle.hit(key, MINUTES_15);
    await throttle.forgive(key);
    await expect(throttle.hit(key, MINUTES_15)).resolves.toMatchObject({ attempts: 2 });
    await throttle.reset(key);
    await expect(throttle.hit(key, MINUTES_15)).resolves.toMatchObject({ attempts: 1 });
  });

  it("counts attempts up to the back-off, then only once base·2^(n − after) has passed since the last counted one", async () => {
    const key = freshKey();
    const backoff: Backoff = { afterAttempts: 2, baseMs: 200, maxMs: MINUTES_15 };
    await expect(throttle.hit(key, MINUTES_15, backoff)).resolves.toMatchObject({ attempts: 1, waitMs: 0 });
    await expect(throttle.hit(key, MINUTES_15, backoff)).resolves.toMatchObject({ attempts: 2, waitMs: 0 });
    const early = await throttle.hit(key, MINUTES_15, backoff);
    expect(early.attempts).toBe(2);
    expect(early.waitMs).toBeGreaterThan(100);
    expect(early.waitMs).toBeLessThanOrEqual(200);
    await harness.elapse(210);
    await expect(throttle.hit(key, MINUTES_15, backoff)).resolves.toMatchObject({ attempts: 3, waitMs: 0 });
    const doubled = await throttle.hit(key, MINUTES_15, backoff);
    expect(doubled).toMatchObject({ attempts: 3 });
    expect(doubled.waitMs).toBeGreaterThan(300);
    expect(doubled.waitMs).toBeLessThanOrEqual(400);
    await harness.elapse(410);
    await expect(throttle.hit(key, MINUTES_15, backoff)).resolves.toMatchObject({ attempts: 4, waitMs: 0 });
    await throttle.reset(key);
    await throttle.hit(key, MINUTES_15, backoff);
    await throttle.hit(key, MINUTES_15, backoff);
    await expect(throttle.hit(key, MINUTES_15, backoff)).resolves.toMatchObject({ attempts: 2 });
  });

  it("lets exactly `after` of many concurrent attempts count and tells the rest to wait", async () => {
    const key = freshKey();
    const backoff: Backoff = { afterAttempts: 5, baseMs: 1000, maxMs: MINUTES_15 };
    const results = await Promise.all(Array.from({ length: 20 }, () => throttle.hit(key, MINUTES_15, backoff)));
    const counted = results.filter((result) => result.waitMs === 0);
    expect(counted.map((result) => result.attempts).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    for (const waiting of results.filter((result) => result.waitMs > 0)) {
      expect(waiting).toMatchObject({ attempts: 5 });
      expect(waiting.waitMs).toBeLessThanOrEqual(1000);
    }
  });

  it("never asks for more than the back-off's longest delay, however many attempts were counted", async () => {
    const key = freshKey();
    const backoff: Backoff = { afterAttempts: 1, baseMs: 100, maxMs: 250 };
    await expect(throttle.hit(key, MINUTES_15, backoff)).resolves.toMatchObject({ attempts: 1, waitMs: 0 });
    for (const attempts of [2, 3, 4, 5]) {
      const early = await throttle.hit(key, MINUTES_15, backoff);
      expect(early.waitMs).toBeGreaterThan(0);
      expect(early.waitMs).toBeLessThanOrEqual(250);
      await harness.elapse(260);
      await expect(throttle.hit(key, MINUTES_15, backoff)).resolves.toMatchObject({ attempts, waitMs: 0 });
    }
  });

  it("peeks at a window's count without counting, and reads 0 when none is open", async () => {
    const key = freshKey();
    await expect(throttle.peek(key)).resolves.toBe(0);
    await throttle.hit(key, 400);
    await throttle.hit(key, 400);
    await expect(throttle.peek(key)).resolves.toBe(2);
    await expect(throttle.peek(key)).resolves.toBe(2);
    await harness.outlast(400);
    await expect(throttle.peek(key)).resolves.toBe(0);
  });

  it("keeps the per-client and known-client keys of an account in the account's slot, apart from its own counter", async () => {
    const email = `slot${(sequence += 1)}@example.com`;
    const client = "2001:db8:1:2::/64";
    for (const key of [
      accountClientThrottleKey(email, client),
      knownClientKey(email, client),
      accountClientAttemptsKey(email, client),
    ]) {
      expect(key.startsWith(`throttle:{account:${email}}:`)).toBe(true);
      await throttle.hit(key, MINUTES_15);
    }
    await expect(throttle.peek(accountThrottleKey(email))).resolves.toBe(0);
    expect(ipAttemptsKey(client)).toBe(`throttle:{ip:${client}}:attempts`);
    await throttle.hit(ipThrottleKey(client), MINUTES_15);
    await expect(throttle.peek(ipAttemptsKey(client))).resolves.toBe(0);
  });

  it("never asks an attempt to wait past the end of the window", async () => {
    const key = freshKey();
    const backoff: Backoff = { afterAttempts: 1, baseMs: 2 * MINUTES_15, maxMs: 4 * MINUTES_15 };
    await throttle.hit(key, MINUTES_15, backoff);
    const refused = await throttle.hit(key, MINUTES_15, backoff);
    expect(refused.waitMs).toBeGreaterThan(0);
    expect(refused.waitMs).toBe(refused.resetInMs);
  });

  it("keeps sign-up counters apart from login counters of the same IP, and applies no back-off without one", async () => {
    const ip = `198.51.100.${(sequence += 1) % 250}`;
    for (let i = 0; i < 8; i += 1) await throttle.hit(ipThrottleKey(ip), MINUTES_15);
    await expect(throttle.hit(signUpThrottleKey(ip), MINUTES_15)).resolves.toMatchObject({ attempts: 1, waitMs: 0 });
    await expect(throttle.hit(ipThrottleKey(ip), MINUTES_15)).resolves.toMatchObject({ attempts: 9, waitMs: 0 });
  });

  it("stores one hash-tagged record per key (count, last attempt) whose TTL is the window and is never reset by later hits", async () => {
    if (!harness.redis) return;
    const { raw, keyPrefix } = harness.redis;
    const key = accountThrottleKey("ttl@example.com");
    await throttle.hit(key, MINUTES_15);
    const firstTtl = await raw.pttl(`${keyPrefix}${key}`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const before = Date.now();
    await throttle.hit(key, MINUTES_15);
    await expect(raw.hget(`${keyPrefix}throttle:{account:ttl@example.com}`, "attempts")).resolves.toBe("2");
    const last = Number(await raw.hget(`${keyPrefix}${key}`, "last"));
    expect(Math.abs(last - before)).toBeLessThan(1000);
    const secondTtl = await raw.pttl(`${keyPrefix}${key}`);
    expect(firstTtl).toBeGreaterThan(MINUTES_15 - 1000);
    expect(secondTtl).toBeLessThan(firstTtl);
    await throttle.forgive(key);
    await throttle.forgive(key);
    await expect(raw.exists(`${keyPrefix}${key}`)).resolves.toBe(0);
  });

  it("carries over a counter the previous version wrote as a plain string, keeping its count and TTL", async () => {
    if (!harness.redis) return;
    const { raw, keyPrefix } = harness.redis;
    const key = accountThrottleKey("legacy@example.com");
    await raw.set(`${keyPrefix}${key}`, "7", "PX", MINUTES_15 / 3);
    const window = await throttle.hit(key, MINUTES_15);
    expect(window.attempts).toBe(8);
    expect(window.resetInMs).toBeLessThanOrEqual(MINUTES_15 / 3);
    await expect(raw.type(`${keyPrefix}${key}`)).resolves.toBe("hash");
    const ipKey = ipThrottleKey("192.0.2.77");
    await raw.set(`${keyPrefix}${ipKey}`, "3", "PX", MINUTES_15);
    await throttle.forgive(ipKey);
    await expect(raw.hget(`${keyPrefix}${ipKey}`, "attempts")).resolves.toBe("2");
  });
});
