import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, EnvReader, readRedisConfig, type Env } from "../src";

const read = (env: Env) => readRedisConfig(new EnvReader(env));
const variableOf = (env: Env) => {
  try {
    read(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.variable;
    throw error;
  }
  return null;
};

describe("readRedisConfig", () => {
  it("reads Sentinel seeds, the primary's name and both passwords", () => {
    expect(
      read({
        REDIS_SENTINELS: "10.0.0.1:26379, 10.0.0.2:26380",
        REDIS_SENTINEL_NAME: "sessions",
        REDIS_PASSWORD: "data-secret",
        REDIS_SENTINEL_PASSWORD: "sentinel-secret",
      }),
    ).toEqual({
      kind: "sentinel",
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "10.0.0.2", port: 26380 },
      ],
      name: "sessions",
      password: "data-secret",
      sentinelPassword: "sentinel-secret",
      keyPrefix: "fedsession:",
    });
  });

  it("logs in as the ACL user REDIS_USERNAME with the password read from REDIS_PASSWORD_FILE", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "fedsession-redis-password-"));
    const file = path.join(dir, "password");
    await writeFile(file, "from-a-secret\n");
    try {
      expect(read({ REDIS_URL: "redis://x:6379", REDIS_USERNAME: "documents", REDIS_PASSWORD_FILE: file })).toEqual({
        kind: "single",
        url: "redis://x:6379",
        keyPrefix: "fedsession:",
        username: "documents",
        password: "from-a-secret",
      });
      expect(variableOf({ REDIS_URL: "redis://x:6379", REDIS_PASSWORD_FILE: file, REDIS_PASSWORD: "too" })).toBe(
        "REDIS_PASSWORD_FILE",
      );
      expect(variableOf({ REDIS_URL: "redis://x:6379", REDIS_PASSWORD_FILE: path.join(dir, "absent") })).toBe(
        "REDIS_PASSWORD_FILE",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("prefers Sentinel over REDIS_URL when both are set", () => {
    expect(read({ REDIS_SENTINELS: "h:1", REDIS_SENTINEL_NAME: "n", REDIS_URL: "redis://x:6379" })?.kind).toBe(
      "sentinel",
    );
  });

  it("names the variable of each Sentinel mistake", () => {
    expect(variableOf({ REDIS_SENTINELS: "10.0.0.1" })).toBe("REDIS_SENTINELS");
    expect(variableOf({ REDIS_SENTINELS: "10.0.0.1:26379" })).toBe("REDIS_SENTINEL_NAME");
  });

  it("waits for replicas only when REDIS_WAIT_REPLICAS is set, within the command timeout", () => {
    expect(read({ REDIS_URL: "redis://x:6379" })).not.toHaveProperty("replicaWait");
    expect(read({ REDIS_URL: "redis://x:6379", REDIS_WAIT_REPLICAS: "1" })).toMatchObject({
      replicaWait: { replicas: 1, timeoutMs: 500 },
    });
    expect(variableOf({ REDIS_URL: "redis://x:6379", REDIS_WAIT_REPLICAS: "one" })).toBe("REDIS_WAIT_REPLICAS");
    expect(variableOf({ REDIS_URL: "redis://x:6379", REDIS_WAIT_REPLICAS: "1", REDIS_WAIT_TIMEOUT_MS: "5000" })).toBe(
      "REDIS_WAIT_TIMEOUT_MS",
    );
  });

  it("refuses WAIT on Redis Cluster, where it would count another node's replicas", () => {
    expect(variableOf({ REDIS_CLUSTER_NODES: "h:1", REDIS_WAIT_REPLICAS: "1" })).toBe("REDIS_WAIT_REPLICAS");
  });
});
