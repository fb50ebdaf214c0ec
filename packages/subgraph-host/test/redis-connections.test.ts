import type { ReadinessCheck } from "@fedsession/runtime";
import { TEST_REDIS_URL } from "@fedsession/testing";
import { openRedisConnections } from "../src";

/** Records what a start-up would release and check. */
function startupRecorder() {
  const released: (() => Promise<void> | void)[] = [];
  const checks = new Map<string, ReadinessCheck>();
  return {
    released,
    checks,
    opened: <T>(resource: T, release: (resource: T) => Promise<void> | void) => {
      released.push(() => release(resource));
      return resource;
    },
    readyWhen: (name: string, check: ReadinessCheck) => void checks.set(name, check),
  };
}

describe("openRedisConnections", () => {
  it("opens one connection, released and checked, when writes need no replica", async () => {
    const startup = startupRecorder();
    const { redis, writer } = openRedisConnections(
      { kind: "single", url: TEST_REDIS_URL, keyPrefix: "host-test:" },
      startup,
    );
    expect(writer).toBeNull();
    expect([...startup.checks.keys()]).toEqual(["redis"]);
    await expect(redis.ping()).resolves.toBe("PONG");
    expect(startup.released).toHaveLength(1);
    for (const release of startup.released.reverse()) await release();
  });

  it("with REDIS_WAIT_REPLICAS also opens the writer's connection, released and checked by /ready", async () => {
    const startup = startupRecorder();
    const { writer } = openRedisConnections(
      { kind: "single", url: TEST_REDIS_URL, keyPrefix: "host-test:", replicaWait: { replicas: 1, timeoutMs: 50 } },
      startup,
    );
    expect(writer).not.toBeNull();
    expect([...startup.checks.keys()]).toEqual(["redis", "redis-writer"]);
    // Each check throws while its connection cannot answer.
    for (const check of startup.checks.values()) await check();
    expect(startup.released).toHaveLength(2);
    for (const release of startup.released.reverse()) await release();
  });
});
