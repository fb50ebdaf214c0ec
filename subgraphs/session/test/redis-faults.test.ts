import { randomUUID } from "node:crypto";
import {
  closeRedisClient,
  createRedisClient,
  generateKeyMaterial,
  importSigningKey,
  type RedisClient,
} from "@fedsession/runtime";
import type { CreateSessionRequest } from "@fedsession/session-client";
import { startFaultProxy, startRedisProcess, type FaultProxy, type RedisProcess } from "@fedsession/testing";
import { SessionStoreUnavailable } from "../src/errors";
import { createSessionService, type SessionService } from "../src/sessions";
import { createRedisSessionStore } from "../src/store/redis";

/**
 * A lost Redis reply or a stall must not end a user's session: the store client never re-sends a command that may
 * have run, and a refresh retried after the failure is recognised as the retry of the rotation that did commit.
 */
describe("refresh rotation when Redis misbehaves (private redis-server)", () => {
  let redis: RedisProcess;
  let proxy: FaultProxy;
  let client: RedisClient;
  let sessions: SessionService;

  beforeAll(async () => {
    redis = await startRedisProcess();
    proxy = await startFaultProxy({ host: "127.0.0.1", port: redis.port });
    client = createRedisClient({ kind: "single", url: proxy.url, keyPrefix: `faults:${randomUUID().slice(0, 8)}:` });
    // Failures are what these tests cause; ioredis reports them on this event as well as to each command.
    client.on("error", () => {});
    const material = await generateKeyMaterial(true);
    sessions = createSessionService({
      store: createRedisSessionStore(client),
      clock: () => new Date(),
      idleTtlSeconds: 1800,
      absoluteTtlSeconds: 43_200,
      accessTokenKey: await importSigningKey(material, "session"),
      accessTokenTtlSeconds: 600,
    });
  });

  afterAll(async () => {
    redis?.resume();
    await closeRedisClient(client);
    await proxy?.close();
    await redis?.kill();
  });

  const app = (): CreateSessionRequest => ({
    userId: `u-${randomUUID()}`,
    permissions: [],
    userAgent: null,
    ip: null,
    transport: "TOKEN",
    replacesSessionId: null,
    revocationEpoch: "0",
  });

  async function tokenSession() {
    const created = await sessions.create(app());
    if (created.transport !== "TOKEN") throw new Error("expected a TOKEN session");
    return created;
  }

  async function expectStillUsable(sessionId: string, refreshToken: string) {
    await expect(sessions.resolveTokenSession(sessionId)).resolves.not.toBeNull();
    await expect(sessions.refresh(refreshToken)).resolves.toMatchObject({ outcome: "rotated" });
  }

  it("keeps the session when the rotation's reply is lost and the connection reset, and the client retries", async () => {
    const created = await tokenSession();
    proxy.dropNextReplies(1);
    // The rotation commits in Redis; its reply never arrives, and the command is not re-sent on the new connection.
    await expect(sessions.refresh(created.tokens.refreshToken)).rejects.toBeInstanceOf(SessionStoreUnavailable);
    const retried = await sessions.refresh(created.tokens.refreshToken);
    if (retried.outcome !== "rotated") throw new Error(`the retry was ${retried.outcome}, not a rotation`);
    await expectStillUsable(created.record.id, retried.tokens.refreshToken);
  });

  it("keeps the session when Redis stalls past the command timeout while the rotation is queued", async () => {
    const created = await tokenSession();
    redis.stall();
    const failed = sessions.refresh(created.tokens.refreshToken);
    await expect(failed).rejects.toBeInstanceOf(SessionStoreUnavailable);
    // Redis wakes up and runs the rotation it had received; the client, told it failed, retries.
    redis.resume();
    const retried = await sessions.refresh(created.tokens.refreshToken);
    if (retried.outcome !== "rotated") throw new Error(`the retry was ${retried.outcome}, not a rotation`);
    await expectStillUsable(created.record.id, retried.tokens.refreshToken);
  });

  it("still ends the session when a refresh token older than the latest rotation comes back", async () => {
    const created = await tokenSession();
    const first = await sessions.refresh(created.tokens.refreshToken);
    if (first.outcome !== "rotated") throw new Error("expected a rotation");
    await sessions.refresh(first.tokens.refreshToken);
    await expect(sessions.refresh(created.tokens.refreshToken)).resolves.toMatchObject({ outcome: "reused" });
    await expect(sessions.get(created.record.id)).resolves.toBeNull();
  });
});
