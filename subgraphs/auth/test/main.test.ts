import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateKeyMaterial, silentLogger, writeKeyMaterial } from "@fedsession/runtime";
import { connectTestRedis } from "@fedsession/testing";
import { start } from "../src/main";

describe("auth start-up", () => {
  let keysDir: string;

  beforeAll(async () => {
    keysDir = await mkdtemp(path.join(tmpdir(), "auth-keys-"));
    await writeKeyMaterial(keysDir, await generateKeyMaterial(true));
  });
  afterAll(() => rm(keysDir, { recursive: true, force: true }));

  const baseEnv = () => ({ AUTH_PORT: "0", BCRYPT_COST: "4", KEYS_DIR: keysDir });

  it("serves on a free port with in-memory stores and prints the demo credentials", async () => {
    const service = await start(baseEnv(), silentLogger);
    try {
      expect(service.notes).toEqual([
        "auth store: in-memory (development only)",
        "demo user: alice@example.com / alice-password-1",
        "demo admin: admin@example.com / admin-password-1",
      ]);
      const health = await fetch(new URL("/health", service.url));
      await expect(health.json()).resolves.toEqual({ status: "ok", service: "auth" });
    } finally {
      await service.close();
    }
  });

  it("creates the configured administrator in Redis and seeds no demo users there", async () => {
    const redis = await connectTestRedis();
    const env = {
      ...baseEnv(),
      ...redis.env,
      ADMIN_EMAIL: "Root@Example.com",
      ADMIN_PASSWORD: "root-password-1",
    };
    try {
      const service = await start(env, silentLogger);
      await service.close();
      expect(service.notes).toEqual(["auth store: Redis", "administrator: root@example.com (from ADMIN_EMAIL)"]);
      const adminId = await redis.raw.get(`${redis.keyPrefix}user-email:{root@example.com}`);
      const admin = JSON.parse((await redis.raw.get(`${redis.keyPrefix}user:{${adminId}}`)) ?? "null") as {
        permissions: string[];
      };
      expect(admin.permissions).toEqual(["documents:read", "documents:write", "sessions:admin", "users:admin"]);
      await expect(redis.raw.exists(`${redis.keyPrefix}user-email:{alice@example.com}`)).resolves.toBe(0);

      const again = await start(env, silentLogger);
      await again.close();
      expect(await redis.keys()).toHaveLength(2);
    } finally {
      await redis.close();
    }
  });

  it("skips the demo administrator when ADMIN_EMAIL names a real one", async () => {
    const service = await start(
      { ...baseEnv(), ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: "root-password-1" },
      silentLogger,
    );
    await service.close();
    expect(service.notes).toEqual([
      "auth store: in-memory (development only)",
      "administrator: root@example.com (from ADMIN_EMAIL)",
      "demo user: alice@example.com / alice-password-1",
    ]);
  });
});
