import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startRedisProcess, type RedisProcess } from "@fedsession/testing";
import { BrowserClient } from "../support/client";
import { shippedRedisArguments } from "../support/compose";
import { startStack, type Stack } from "../support/stack";

const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a brand new passphrase";
const SIGN_UP = `mutation ($email: String!) { signUp(email: $email, password: "${PASSWORD}") { user { id } } }`;
const LOGIN = `mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { user { id } } }`;
const ME = `{ me { id } }`;

const settingOf = (args: string[], name: string) => args[args.indexOf(`--${name}`) + 1];

describe("the shipped Redis persistence", () => {
  it("docker-compose.yml appends every write to the AOF and fsyncs it before Redis replies", async () => {
    const args = await shippedRedisArguments();
    expect(settingOf(args, "appendonly")).toBe("yes");
    expect(settingOf(args, "appendfsync")).toBe("always");
  });
});

/**
 * A private Redis started with the shipped settings and a folder of its own, killed with SIGKILL as soon as a
 * revocation is acknowledged and restarted from its files: the revocation is still there, and so are the sessions
 * that were not revoked (so the restart really read the files back).
 */
describe("an acknowledged revocation survives a Redis crash", () => {
  let dir: string;
  let args: string[];
  let redis: RedisProcess;
  let stack: Stack;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "fedsession-durability-"));
    args = [...(await shippedRedisArguments()), "--dir", dir];
    redis = await startRedisProcess(args);
    stack = await startStack("memory", { REDIS_URL: redis.url });
  });

  afterAll(async () => {
    await stack?.stop();
    await redis?.kill();
    await rm(dir, { recursive: true, force: true }); // ioredis leaves connect/command timers (at most connectTimeout, 2 s) from the crash running after a disconnect;
    // let them lapse so the test worker exits cleanly (as in lookup-failure.test.ts).
    await new Promise((resolve) => setTimeout(resolve, 2100));
  });

  const signedUp = async (): Promise<{ client: BrowserClient; email: string }> => {
    const client = new BrowserClient(stack.gatewayUrl);
    const email = `crash${Date.now()}${Math.random()}@example.com`;
    expect((await client.request(SIGN_UP, { email })).body.errors).toBeUndefined();
    return { client, email };
  };

  const loggedIn = async (email: string, password = PASSWORD): Promise<BrowserClient | null> => {
    const client = new BrowserClient(stack.gatewayUrl);
    const result = await client.request(LOGIN, { email, password });
    return result.body.data?.login ? client : null;
  };

  const meOf = async (client: BrowserClient) =>
    ((await client.request(ME)).body.data?.me as { id: string } | null | undefined) ?? null;

  /** Sends the mutation and kills Redis the moment the acknowledgement arrives; restarts it from its files. */
  async function crashRightAfter(client: BrowserClient, mutation: string): Promise<void> {
    const cookie = client.cookieHeader();
    const result = await client.request(mutation);
    const acknowledged = Date.now();
    // kill() sends SIGKILL before its first await: nothing of this process runs between the answer and the signal.
    const killed = redis.kill();
    const signalledAfterMs = Date.now() - acknowledged;
    await killed;
    redis = await startRedisProcess(args, redis.port);
    expect(signalledAfterMs).toBeLessThan(50);
    expect(result.body.errors).toBeUndefined();
    // The jar drops a cleared cookie; put it back to prove the server forgot the session, not the client.
    for (const pair of (cookie ?? "").split("; ")) {
      const [name, value] = pair.split("=") as [string, string];
      if (!client.cookies.has(name)) client.cookies.set(name, value);
    }
  }

  /** The services reconnect by themselves; wait until a session that was not revoked resolves again. */
  async function untilServing(survivor: BrowserClient, userId: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((await meOf(survivor).catch(() => null))?.id !== userId) {
      if (Date.now() > deadline) throw new Error("a session that was not revoked did not come back after the restart");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("logout: the session stays ended", async () => {
    const { client, email } = await signedUp();
    const survivor = (await loggedIn(email)) as BrowserClient;
    const userId = (await meOf(client))?.id as string;
    await crashRightAfter(client, `mutation { logout }`);
    await untilServing(survivor, userId);
    expect(await meOf(client)).toBeNull();
  });

  it("revoke-all: every other session stays ended", async () => {
    const { client, email } = await signedUp();
    const others = [(await loggedIn(email)) as BrowserClient, (await loggedIn(email)) as BrowserClient];
    const userId = (await meOf(client))?.id as string;
    await crashRightAfter(client, `mutation { revokeOtherSessions }`);
    await untilServing(client, userId);
    for (const other of others) expect(await meOf(other)).toBeNull();
  });

  it("password change: the other sessions stay ended and only the new password works", async () => {
    const { client, email } = await signedUp();
    const other = (await loggedIn(email)) as BrowserClient;
    const userId = (await meOf(client))?.id as string;
    await crashRightAfter(
      client,
      `mutation { changePassword(currentPassword: "${PASSWORD}", newPassword: "${NEW_PASSWORD}") }`,
    );
    await untilServing(client, userId);
    expect(await meOf(other)).toBeNull();
    expect(await loggedIn(email, PASSWORD)).toBeNull();
    expect(await loggedIn(email, NEW_PASSWORD)).not.toBeNull();
  });
});
