import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  generateKeyMaterial,
  importSigningKey,
  silentLogger,
  writeKeyMaterial,
  type KeyMaterial,
} from "@fedsession/runtime";
import { CREATE_SESSION_PATH, type CreateSessionResponse } from "@fedsession/session-client";
import { SERVICE_TOKEN_HEADER, signServiceToken } from "@fedsession/subgraph-kit";
import { connectTestRedis, type TestRedis } from "@fedsession/testing";
import { start } from "../src/main";

describe("session service start-up", () => {
  let keysDir: string;
  let redis: TestRedis;
  let material: KeyMaterial;

  beforeAll(async () => {
    keysDir = await mkdtemp(path.join(tmpdir(), "fedsession-session-keys-"));
    material = await generateKeyMaterial(true);
    await writeKeyMaterial(keysDir, material);
    redis = await connectTestRedis();
  });
  afterAll(async () => {
    await redis.close();
    await rm(keysDir, { recursive: true, force: true });
  });

  it("listens on a free port with the in-memory store and says so", async () => {
    const service = await start({ SESSION_PORT: "0", KEYS_DIR: keysDir }, silentLogger);
    try {
      expect(service.notes).toEqual([expect.stringContaining("in-memory")]);
      const health = await fetch(new URL("/health", service.url));
      await expect(health.json()).resolves.toEqual({ status: "ok", service: "session" });
    } finally {
      await service.close();
    }
  });

  it("keeps sessions in Redis when REDIS_URL is set", async () => {
    const env = { SESSION_PORT: "0", KEYS_DIR: keysDir, ...redis.env };
    const service = await start(env, silentLogger);
    try {
      expect(service.notes).toEqual([]);
      expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
      const response = await fetch(new URL(CREATE_SESSION_PATH, service.url), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [SERVICE_TOKEN_HEADER]: await signServiceToken("auth", "session", await importSigningKey(material, "auth")),
        },
        body: JSON.stringify({
          userId: "u-alice",
          permissions: [],
          userAgent: null,
          ip: null,
          transport: "COOKIE",
          replacesSessionId: null,
          revocationEpoch: "0",
        }),
      });
      const { session } = (await response.json()) as CreateSessionResponse;
      await expect(redis.keys()).resolves.toContain(`${redis.keyPrefix}s:{${session.id}}`);
    } finally {
      await service.close();
    }
  });
});
