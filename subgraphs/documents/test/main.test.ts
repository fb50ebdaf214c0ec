import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, generateKeyMaterial, silentLogger, writeKeyMaterial, type Env } from "@fedsession/runtime";
import { connectTestRedis } from "@fedsession/testing";
import { readConfig } from "../src/config";
import { start } from "../src/main";

describe("documents configuration", () => {
  it("listens on 127.0.0.1:4003 with the in-memory store by default", () => {
    expect(readConfig({})).toEqual({
      port: 4003,
      host: "127.0.0.1",
      production: false,
      redis: null,
      maxDocumentsPerUser: 1000,
    });
  });

  it("refuses the in-memory store in production, naming REDIS_URL", () => {
    expect(() => readConfig({ NODE_ENV: "production" })).toThrow(expect.objectContaining({ variable: "REDIS_URL" }));
  });

  it("names the variable when a value is invalid", () => {
    const failure = (env: Env) => {
      try {
        readConfig(env);
      } catch (error) {
        return error instanceof ConfigError ? error.variable : "not a ConfigError";
      }
      return "accepted";
    };
    expect(failure({ DOCUMENTS_PORT: "http" })).toBe("DOCUMENTS_PORT");
    expect(failure({ REDIS_URL: "localhost:6379" })).toBe("REDIS_URL");
  });
});

describe("starting the documents subgraph", () => {
  let keysDir: string;

  beforeAll(async () => {
    keysDir = await mkdtemp(path.join(tmpdir(), "documents-keys-"));
    await writeKeyMaterial(keysDir, await generateKeyMaterial(true));
  });
  afterAll(() => rm(keysDir, { recursive: true, force: true }));

  it("starts on a free port with the in-memory store and says so", async () => {
    const service = await start({ DOCUMENTS_PORT: "0", KEYS_DIR: keysDir }, silentLogger);
    try {
      expect(service.notes).toEqual(["documents store: in-memory (development only)"]);
      const health = await fetch(new URL("/health", service.url));
      await expect(health.json()).resolves.toEqual({ status: "ok", service: "documents" });
    } finally {
      await service.close();
    }
  });

  it("uses Redis when REDIS_URL is set, naming the prefix but never the URL", async () => {
    const redis = await connectTestRedis();
    const service = await start({ DOCUMENTS_PORT: "0", KEYS_DIR: keysDir, ...redis.env }, silentLogger);
    try {
      expect(service.notes).toEqual([`documents store: Redis, key prefix "${redis.keyPrefix}"`]);
      const unsigned = await fetch(service.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"query":"{ __typename }"}',
      });
      expect(unsigned.status).toBe(401);
    } finally {
      await service.close();
      await redis.close();
    }
  });
});
