import { BrowserClient } from "../support/client";
import { startStack, type Stack } from "../support/stack";

describe("the supergraph in production mode (NODE_ENV=production, Redis, production keys)", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack("redis", { NODE_ENV: "production" });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("sets a __Host- cookie that is Secure, HttpOnly, SameSite=Lax, Path=/ and has no Domain", async () => {
    const client = new BrowserClient(stack.gatewayUrl);
    const signUp = await client.request(
      `mutation { signUp(email: "prod-${Date.now()}@example.com", password: "correct horse battery") { user { id } } }`,
    );
    expect(signUp.setCookies).toEqual([
      expect.stringMatching(/^__Host-fedsession=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=\d+$/),
    ]);
    expect((await client.request(`{ me { id } }`)).body.data?.me).not.toBeNull();
  });

  it("serves no landing page: a browser opening /graphql gets no Sandbox", async () => {
    const response = await fetch(stack.gatewayUrl, { headers: { accept: "text/html" } });
    expect(response.headers.get("content-type") ?? "").not.toMatch(/text\/html/);
    expect(await response.text()).not.toMatch(/sandbox/i);
  });

  it("refuses introspection", async () => {
    const result = await new BrowserClient(stack.gatewayUrl).request(`{ __schema { types { name } } }`);
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it('gives no "Did you mean" hints that map the schema for a stranger', async () => {
    const result = await new BrowserClient(stack.gatewayUrl).request(`{ publicDocument { id } }`);
    expect(result.status).toBe(400);
    expect(JSON.stringify(result.body)).not.toMatch(/Did you mean/i);
  });

  it("answers an internal failure with a generic message and a request id, never a stack trace", async () => {
    // Corrupt data is a bug, not an outage: no retry would mend it.
    await stack.redis?.client.set("document:{broken}", "{ not a document");
    const response = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ document(id: "broken") { id } }` }),
    });
    const text = await response.text();
    const body = JSON.parse(text) as { errors: { message: string; extensions: { code: string; requestId: string } }[] };
    expect(body.errors[0]?.message).toBe("Internal server error");
    expect(body.errors[0]?.extensions.code).toBe("INTERNAL_SERVER_ERROR");
    expect(body.errors[0]?.extensions.requestId).toBe(response.headers.get("x-request-id"));
    expect(text).not.toMatch(/malformed|at .*\.(ts|js):\d+|stacktrace/);
  });
});
