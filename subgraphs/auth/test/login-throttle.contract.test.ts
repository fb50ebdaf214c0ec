import { connectTestRedis, TestClock, type TestRedis } from "@fedsession/testing";
import { accountThrottleKey, ipThrottleKey, type LoginThrottle } from "../src/store/login-throttle";
import { createMemoryLoginThrottle } from "../src/store/memory";
import { createRedisLoginThrottle } from "../src/store/redis";

interface Harness {
  throttle: LoginThrottle;
  /** What Redis really holds; null for the memory adapter. */
  redis: TestRedis | null;
  /** Lets a window of `windowMs` run out: moves the clock (memory) or really waits (Redis, where the TTL is the point). */
  outlast(windowMs: number): Promise<void>;
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

  it("stores one hash-tagged counter per key whose TTL is the window and is never reset by later hits", async () => {
    if (!harness.redis) return;
    const { raw, keyPrefix } = harness.redis;
    const key = accountThrottleKey("ttl@example.com");
    await throttle.hit(key, MINUTES_15);
    const firstTtl = await raw.pttl(`${keyPrefix}${key}`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await throttle.hit(key, MINUTES_15);
    await expect(raw.get(`${keyPrefix}throttle:{account:ttl@example.com}`)).resolves.toBe("2");
    const secondTtl = await raw.pttl(`${keyPrefix}${key}`);
    expect(firstTtl).toBeGreaterThan(MINUTES_15 - 1000);
    expect(secondTtl).toBeLessThan(firstTtl);
    await throttle.forgive(key);
    await throttle.forgive(key);
    await expect(raw.exists(`${keyPrefix}${key}`)).resolves.toBe(0);
  });
});
