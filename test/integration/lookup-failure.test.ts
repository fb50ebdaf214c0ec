import { createServer, type Server, type Socket } from "node:net";
import { startRedisProcess, type RedisProcess } from "@fedsession/testing";
import { BrowserClient, type GraphQLResult } from "../support/client";
import { startStack, type Stack } from "../support/stack";

const SIGN_UP = `mutation ($email: String!) { signUp(email: $email, password: "correct horse battery") { user { id } } }`;
const ME = `{ me { id } }`;

async function signedUp(stack: Stack): Promise<BrowserClient> {
  const client = new BrowserClient(stack.gatewayUrl);
  const result = await client.request(SIGN_UP, { email: `user${Date.now()}${Math.random()}@example.com` });
  expect(result.body.errors).toBeUndefined();
  return client;
}

async function expectUnavailableWithin(client: BrowserClient, limitMs: number): Promise<void> {
  const started = Date.now();
  const result = await client.request(ME);
  expect(Date.now() - started).toBeLessThan(limitMs);
  expect(result.status).toBe(503);
  expect(result.body.data ?? null).toBeNull();
  expect(result.body.errors?.[0]?.extensions?.code).toBe("SESSION_STORE_UNAVAILABLE");
  expect(JSON.stringify(result.body)).not.toMatch(/at .*\.ts:\d+/);
}

describe("when the session lookup fails", () => {
  it("answers 503 SESSION_STORE_UNAVAILABLE at once when the session subgraph is down, and still serves anonymous requests", async () => {
    const stack = await startStack("memory");
    try {
      const client = await signedUp(stack);
      await stack.stopService("session");
      await expectUnavailableWithin(client, 2000);
      const anonymous = await new BrowserClient(stack.gatewayUrl).request(`{ publicDocuments { id } }`);
      expect(anonymous.status).toBe(200);
    } finally {
      await stack.stop();
    }
  });

  it("answers 503 within the lookup timeout when the session subgraph hangs", async () => {
    const sockets = new Set<Socket>();
    const hung: Server = createServer((socket) => sockets.add(socket)).listen(0, "127.0.0.1");
    await new Promise((resolve) => hung.once("listening", resolve));
    const hungUrl = `http://127.0.0.1:${(hung.address() as { port: number }).port}`;
    const stack = await startStack("memory", {}, { SESSION_URL: hungUrl, SESSION_LOOKUP_TIMEOUT_MS: "300" });
    try {
      const client = new BrowserClient(stack.gatewayUrl);
      client.cookies.set("fedsession", `${"a".repeat(22)}.${"b".repeat(43)}`);
      await expectUnavailableWithin(client, 1500);
    } finally {
      await stack.stop();
      for (const socket of sockets) socket.destroy();
      hung.close();
    }
  });

  describe("when Redis goes away", () => {
    let redis: RedisProcess;
    let stack: Stack;

    beforeAll(async () => {
      redis = await startRedisProcess();
      stack = await startStack("memory", { REDIS_URL: redis.url });
    });

    afterAll(async () => {
      await stack?.stop();
      await redis?.kill();
      // ioredis leaves its connect/command timers (at most connectTimeout, 2 s) running after a disconnect from a
      // dead server; let them lapse so the test worker exits cleanly instead of being force-killed.
      await new Promise((resolve) => setTimeout(resolve, 2100));
    });

    it("answers 503 within a bounded time instead of forwarding without an identity", async () => {
      const client = await signedUp(stack);
      expect((await client.request(ME)).body.data?.me).not.toBeNull();
      await redis.kill();
      await expectUnavailableWithin(client, 3000);
    });
  });

  describe("when Redis stalls (SIGSTOP)", () => {
    let redis: RedisProcess;
    let stack: Stack;

    beforeAll(async () => {
      redis = await startRedisProcess();
      stack = await startStack("memory", { REDIS_URL: redis.url });
    });

    afterAll(async () => {
      redis?.resume();
      await stack?.stop();
      await redis?.kill();
    });

    const expectRetryable503 = (result: GraphQLResult) => {
      expect(result.status).toBe(503);
      expect(result.headers.get("retry-after")).toBe("1");
      expect(result.body.errors?.[0]?.extensions?.code).toBe("SESSION_STORE_UNAVAILABLE");
      expect(JSON.stringify(result.body)).not.toMatch(/at .*\.ts:\d+|ECONN|timed out/);
    };

    it("answers 503 SESSION_STORE_UNAVAILABLE with Retry-After to refreshSession, login and signUp, from both stores", async () => {
      const app = new BrowserClient(stack.gatewayUrl);
      const email = `app${Date.now()}@example.com`;
      const signUp = await app.request(
        `mutation ($e: String!) { signUp(email: $e, password: "correct horse battery", transport: TOKEN) { refreshToken } }`,
        { e: email },
      );
      const { refreshToken } = signUp.body.data?.signUp as { refreshToken: string };
      redis.stall();
      try {
        // The session store (refresh rotation) and the auth store (user lookup, new account) alike.
        expectRetryable503(
          await app.request(`mutation ($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }`, {
            t: refreshToken,
          }),
        );
        expectRetryable503(
          await app.request(
            `mutation ($e: String!) { login(email: $e, password: "correct horse battery") { user { id } } }`,
            {
              e: email,
            },
          ),
        );
        expectRetryable503(await app.request(SIGN_UP, { email: `other${Date.now()}@example.com` }));
      } finally {
        redis.resume();
      }
      // Once Redis is back, the refresh token still works: the stalled attempt either never ran or is forgiven.
      const retried = await app.request(
        `mutation ($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }`,
        {
          t: refreshToken,
        },
      );
      expect(retried.body.errors).toBeUndefined();
    });
  });
});
