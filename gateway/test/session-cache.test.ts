import { createRedisClient, silentLogger } from "@fedsession/runtime";
import type { ResolvedSession } from "@fedsession/session-client";
import { connectTestRedis, type TestRedis } from "@fedsession/testing";
import { HEARTBEAT_TIMEOUT_MS, SessionCache } from "../src/session-cache";

const session = (id: string, userId: string, reusableUntil: number): ResolvedSession => ({
  id,
  userId,
  permissions: [],
  expiresAt: new Date(reusableUntil).toISOString(),
  reusableUntil,
});

describe("the gateway's session cache, evicted by the session service's Redis events", () => {
  let redis: TestRedis;
  let nowMs: number;

  beforeAll(async () => {
    redis = await connectTestRedis();
  });

  afterAll(async () => {
    await redis.close();
  });

  async function started() {
    nowMs = Date.UTC(2026, 0, 1);
    const subscriber = createRedisClient({
      kind: "single",
      url: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
      keyPrefix: "",
    });
    const channel = `${redis.keyPrefix}session-events`;
    const cache = await SessionCache.start({ subscriber, channel, logger: silentLogger, now: () => nowMs });
    const publish = async (event: object) => {
      await redis.raw.publish(channel, JSON.stringify(event));
      await new Promise((resolve) => setTimeout(resolve, 30));
    };
    return { cache, subscriber, publish };
  }

  it("forgets a session when the service says it ended, and all of a user's sessions on a user event", async () => {
    const { cache, subscriber, publish } = await started();
    try {
      cache.set("k1", session("s1", "u1", nowMs + 60_000), cache.generation());
      cache.set("k2", session("s2", "u1", nowMs + 60_000), cache.generation());
      cache.set("k3", session("s3", "u2", nowMs + 60_000), cache.generation());
      expect(cache.get("k1")?.id).toBe("s1");
      await publish({ session: "s1" });
      expect(cache.get("k1")).toBeUndefined();
      expect(cache.get("k2")?.id).toBe("s2");
      await publish({ user: "u1" });
      expect(cache.get("k2")).toBeUndefined();
      expect(cache.get("k3")?.id).toBe("s3");
    } finally {
      subscriber.disconnect();
    }
  });

  it("never keeps an answer past its reusableUntil, nor one fetched while something changed", async () => {
    const { cache, subscriber, publish } = await started();
    try {
      cache.set("k1", session("s1", "u1", nowMs + 1000), cache.generation());
      nowMs += 1000;
      expect(cache.get("k1")).toBeUndefined();
      const before = cache.generation();
      await publish({ session: "unrelated" });
      cache.set("k2", session("s2", "u1", nowMs + 60_000), before);
      expect(cache.get("k2")).toBeUndefined();
    } finally {
      subscriber.disconnect();
    }
  });

  it("stops caching after a heartbeat-long silence, and resumes in a new generation on the next heartbeat", async () => {
    const { cache, subscriber, publish } = await started();
    try {
      cache.set("k1", session("s1", "u1", nowMs + 10 * HEARTBEAT_TIMEOUT_MS), cache.generation());
      nowMs += HEARTBEAT_TIMEOUT_MS + 1;
      expect(cache.get("k1")).toBeUndefined();
      const duringSilence = cache.generation();
      cache.set("k2", session("s2", "u1", nowMs + 60_000), duringSilence);
      expect(cache.get("k2")).toBeUndefined();
      await publish({ ping: nowMs });
      // Begun in the silence, when an eviction could have been missed: never stored.
      cache.set("k3", session("s3", "u1", nowMs + 60_000), duringSilence);
      expect(cache.get("k3")).toBeUndefined();
      cache.set("k4", session("s4", "u1", nowMs + 60_000), cache.generation());
      expect(cache.get("k4")?.id).toBe("s4");
    } finally {
      subscriber.disconnect();
    }
  });

  it("never stores an answer whose lookup began before the subscription came back", async () => {
    const { cache, subscriber } = await started();
    try {
      subscriber.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 30));
      const whileUnsubscribed = cache.generation();
      await subscriber.connect();
      await new Promise((resolve) => setTimeout(resolve, 50));
      cache.set("k1", session("s1", "u1", nowMs + 60_000), whileUnsubscribed);
      expect(cache.get("k1")).toBeUndefined();
      cache.set("k2", session("s2", "u1", nowMs + 60_000), cache.generation());
      expect(cache.get("k2")?.id).toBe("s2");
    } finally {
      subscriber.disconnect();
    }
  });

  it("stops caching as soon as its subscription is lost", async () => {
    const { cache, subscriber } = await started();
    cache.set("k1", session("s1", "u1", nowMs + 60_000), cache.generation());
    subscriber.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(cache.get("k1")).toBeUndefined();
    cache.set("k2", session("s2", "u1", nowMs + 60_000), cache.generation());
    expect(cache.get("k2")).toBeUndefined();
  });
});
