import { createServer, type Server } from "node:http";
import { startRedisProcess, type RedisProcess } from "@fedsession/testing";
import { BrowserClient, type GraphQLResult } from "../support/client";
import { startStack, type Stack } from "../support/stack";

const PASSWORD = "correct horse battery";
const SIGN_UP = `mutation ($email: String!, $transport: SessionTransport) {
  signUp(email: $email, password: "${PASSWORD}", transport: $transport) { user { id } refreshToken }
}`;
const REFRESH = `mutation ($token: String!) { refreshSession(refreshToken: $token) { refreshToken } }`;
/** `me` from auth beside a nullable field from documents, so one can be answered without the other. */
const ME_AND_DOCUMENT = `{ me { id } document(id: "d-unknown") { id } }`;
const CREATE_DOCUMENT = `mutation { createDocument(title: "Notes", body: "text") { id } }`;

const newEmail = () => `user${Date.now()}${Math.random()}@example.com`;

async function signedUp(stack: Stack): Promise<{ client: BrowserClient; userId: string }> {
  const client = new BrowserClient(stack.gatewayUrl);
  const result = await client.request(SIGN_UP, { email: newEmail() });
  expect(result.body.errors).toBeUndefined();
  return { client, userId: (result.body.data?.signUp as { user: { id: string } }).user.id };
}

/** Whatever failed, the client learns what to do, never where anything runs or what broke inside. */
function expectNoServerDetail(result: GraphQLResult): void {
  const text = JSON.stringify(result.body);
  expect(text).not.toMatch(/INTERNAL_SERVER_ERROR|127\.0\.0\.1|ECONN|at .*\.ts:\d+|stacktrace/);
}

/** A 503 with Retry-After, no data, and `code` on every error. */
function expectRetryable503(result: GraphQLResult, extensions: Record<string, unknown>): void {
  expect(result.status).toBe(503);
  expect(result.headers.get("retry-after")).toBe("1");
  expect(result.body.data ?? null).toBeNull();
  expect(result.body.errors).toEqual([expect.objectContaining({ extensions })]);
  expectNoServerDetail(result);
}

/** The auth part answered, the documents part failed with `extensions`: a 200 with partial data. */
function expectPartial(result: GraphQLResult, userId: string, extensions: Record<string, unknown>): void {
  expect(result.status).toBe(200);
  expect(result.body.data).toEqual({ me: { id: userId }, document: null });
  expect(result.body.errors).toEqual([expect.objectContaining({ extensions })]);
  expectNoServerDetail(result);
}

describe("when a subgraph or a store is away, clients are told to retry, not that something broke", () => {
  it("answers refreshSession and logout with 503 SESSION_STORE_UNAVAILABLE when the session subgraph is down", async () => {
    const stack = await startStack("memory");
    try {
      const app = new BrowserClient(stack.gatewayUrl);
      const signUp = await app.request(SIGN_UP, { email: newEmail(), transport: "TOKEN" });
      const { refreshToken } = signUp.body.data?.signUp as { refreshToken: string };
      await stack.stopService("session");
      // Neither carries a credential for the gateway to look up: each goes straight to the session subgraph.
      const code = { code: "SESSION_STORE_UNAVAILABLE" };
      expectRetryable503(await app.request(REFRESH, { token: refreshToken }), code);
      expectRetryable503(await app.request(`mutation { logout }`), code);
    } finally {
      await stack.stop();
    }
  });

  describe("when the documents subgraph is down", () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack("memory");
    });

    afterAll(async () => {
      await stack?.stop();
    });

    it("answers what other subgraphs can, and SUBGRAPH_UNAVAILABLE naming documents for the rest", async () => {
      const { client, userId } = await signedUp(stack);
      await stack.stopService("documents");
      const unavailable = { code: "SUBGRAPH_UNAVAILABLE", serviceName: "documents" };
      expectPartial(await client.request(ME_AND_DOCUMENT), userId, unavailable);
      // Nothing at all could be answered: a 503 the client may retry.
      expectRetryable503(await client.request(CREATE_DOCUMENT), unavailable);
    });
  });

  describe("when a proxy in front of the documents subgraph answers instead of it", () => {
    let stack: Stack;
    let proxy: Server;
    let answer: { status: number; type: string; body: string };

    beforeAll(async () => {
      proxy = createServer((_req, res) =>
        res.writeHead(answer.status, { "content-type": answer.type }).end(answer.body),
      );
      await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
      const { port } = proxy.address() as { port: number };
      stack = await startStack("memory", {}, { DOCUMENTS_URL: `http://127.0.0.1:${port}` });
    });

    afterAll(async () => {
      await stack?.stop();
      await new Promise((resolve) => proxy?.close(resolve));
    });

    it("treats a 502, a 504 and a 200 page that is no GraphQL answer as the subgraph being unavailable", async () => {
      const { client, userId } = await signedUp(stack);
      const unavailable = { code: "SUBGRAPH_UNAVAILABLE", serviceName: "documents" };
      for (const status of [502, 504, 200]) {
        answer = { status, type: "text/html", body: "<html><body>upstream at 10.0.0.7 is gone</body></html>" };
        const result = await client.request(ME_AND_DOCUMENT);
        expectPartial(result, userId, unavailable);
        expect(JSON.stringify(result.body)).not.toContain("10.0.0.7");
      }
    });
  });

  describe("when the documents subgraph's own Redis is down", () => {
    let redis: RedisProcess;
    let stack: Stack;

    beforeAll(async () => {
      redis = await startRedisProcess();
      // Only documents uses this Redis: the session lookup and auth keep working.
      stack = await startStack("memory", {}, {}, { documents: { REDIS_URL: redis.url } });
    });

    afterAll(async () => {
      await stack?.stop();
      await redis?.kill();
      // ioredis leaves its connect/command timers (at most connectTimeout, 2 s) running after a disconnect from a
      // dead server; let them lapse so the test worker exits cleanly instead of being force-killed.
      await new Promise((resolve) => setTimeout(resolve, 2100));
    });

    it("answers SERVICE_UNAVAILABLE for what needs the store, with no stack or store detail", async () => {
      const { client, userId } = await signedUp(stack);
      expect((await client.request(CREATE_DOCUMENT)).body.errors).toBeUndefined();
      await redis.kill();
      const unavailable = { code: "SERVICE_UNAVAILABLE", serviceName: "documents" };
      const partial = await client.request(ME_AND_DOCUMENT);
      expectPartial(partial, userId, unavailable);
      expect(partial.body.errors?.[0]?.path).toEqual(["document"]);
      expectRetryable503(await client.request(CREATE_DOCUMENT), unavailable);
      expect(stack.logs.some((line) => line.includes('"store_unavailable"'))).toBe(true);
    });
  });
});
