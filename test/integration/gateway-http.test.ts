import fc from "fast-check";
import { BrowserClient } from "../support/client";
import { startStack, type Stack } from "../support/stack";

const PUBLIC_QUERY = `{ publicDocuments(first: 5) { id title } }`;

describe("the gateway's HTTP surface", () => {
  let stack: Stack;
  let origin: string;

  beforeAll(async () => {
    stack = await startStack("memory", {}, { CORS_ORIGINS: "https://app.example.com", MAX_BODY_BYTES: "16384" });
    origin = new URL(stack.gatewayUrl).origin;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const post = (body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
    fetch(stack.gatewayUrl, { method: "POST", headers, body });

  describe("ETag", () => {
    it("answers a query with a strong ETag and a 304 with no body when it matches", async () => {
      const first = await post(JSON.stringify({ query: PUBLIC_QUERY }));
      const etag = first.headers.get("etag");
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      expect(first.headers.get("cache-control")).toBe("private, no-cache");
      expect(first.headers.get("vary")).toContain("Cookie, Authorization");
      const again = await fetch(stack.gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json", "if-none-match": etag as string },
        body: JSON.stringify({ query: PUBLIC_QUERY }),
      });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe("");
    });

    it("works for GET queries too", async () => {
      const url = `${stack.gatewayUrl}?query=${encodeURIComponent(PUBLIC_QUERY)}`;
      const first = await fetch(url, { headers: { "apollo-require-preflight": "true" } });
      expect(first.status).toBe(200);
      const etag = first.headers.get("etag") as string;
      const again = await fetch(url, { headers: { "apollo-require-preflight": "true", "if-none-match": etag } });
      expect(again.status).toBe(304);
    });

    it("never lets one user's ETag produce a 304 for another user, even for the same body", async () => {
      const alice = new BrowserClient(stack.gatewayUrl);
      const bob = new BrowserClient(stack.gatewayUrl);
      for (const [client, name] of [
        [alice, "alice"],
        [bob, "bob"],
      ] as const) {
        const signUp = await client.request(
          `mutation ($e: String!) { signUp(email: $e, password: "correct horse battery") { user { id } } }`,
          {
            e: `${name}-${Date.now()}@example.com`,
          },
        );
        expect(signUp.body.errors).toBeUndefined();
        expect(signUp.headers.get("etag")).toBeNull();
      }
      const aliceAnswer = await alice.request(PUBLIC_QUERY);
      const etag = aliceAnswer.headers.get("etag") as string;
      const bobAnswer = await bob.request(PUBLIC_QUERY, {}, { "if-none-match": etag });
      expect(bobAnswer.status).toBe(200);
      expect(bobAnswer.body.data).toEqual(aliceAnswer.body.data);
      expect(bobAnswer.headers.get("etag")).not.toBe(etag);
    });

    it("gives no ETag to responses with errors", async () => {
      const response = await post(JSON.stringify({ query: `{ documents { id } }` }));
      expect(response.headers.get("etag")).toBeNull();
    });
  });

  describe("CSRF prevention and methods", () => {
    it.each([
      ["text/plain"],
      ["application/x-www-form-urlencoded"],
      ["multipart/form-data; boundary=x"],
      ["Text/Plain; charset=utf-8"],
    ])("refuses a POST with the simple content type %s", async (contentType) => {
      const response = await post(JSON.stringify({ query: PUBLIC_QUERY }), { "content-type": contentType });
      expect(response.status).toBe(400);
    });

    it("refuses a GET without a preflight-forcing header and accepts one with it", async () => {
      const url = `${stack.gatewayUrl}?query=${encodeURIComponent(PUBLIC_QUERY)}`;
      expect((await fetch(url)).status).toBe(400);
      expect((await fetch(url, { headers: { "x-apollo-operation-name": "Q" } })).status).toBe(200);
    });

    it("refuses a mutation over GET", async () => {
      const url = `${stack.gatewayUrl}?query=${encodeURIComponent("mutation { logout }")}`;
      const response = await fetch(url, { headers: { "apollo-require-preflight": "true" } });
      expect(response.status).toBe(405);
    });

    it("refuses batched requests", async () => {
      const response = await post(JSON.stringify([{ query: PUBLIC_QUERY }, { query: PUBLIC_QUERY }]));
      expect(response.status).toBe(400);
    });
  });

  describe("limits", () => {
    it("answers 413 for a body over the limit", async () => {
      const response = await post(JSON.stringify({ query: PUBLIC_QUERY, variables: { pad: "x".repeat(20_000) } }));
      expect(response.status).toBe(413);
    });

    it("answers 431 for request headers over the limit", async () => {
      const response = await post(JSON.stringify({ query: PUBLIC_QUERY }), {
        "content-type": "application/json",
        "x-pad": "x".repeat(20_000),
      });
      expect(response.status).toBe(431);
    });

    it("refuses operations that are too deep, too aliased or too wide, with a message naming the limit", async () => {
      const deep = `{ me { documents { owner { documents { owner { documents { owner { documents { owner { documents { owner { id } } } } } } } } } } } }`;
      const aliased = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: publicDocuments { id }`).join(" ")} }`;
      for (const [query, limit] of [
        [deep, /depth is \d+, over the limit of 10/],
        [aliased, /alias count is 31, over the limit of 30/],
      ] as const) {
        const response = await post(JSON.stringify({ query }));
        const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
        expect(response.status).toBe(400);
        expect(body.errors[0]?.extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
        expect(body.errors.map((error) => error.message).join(" ")).toMatch(limit);
      }
    });

    it("refuses a document with too many tokens before validating it", async () => {
      const query = `{ publicDocuments { ${"id ".repeat(3100)} } }`;
      const response = await post(JSON.stringify({ query }));
      expect(response.status).toBe(400);
    });
  });

  describe("CORS", () => {
    it("answers a preflight from an allowed origin with credentials allowed, never *", async () => {
      const response = await fetch(stack.gatewayUrl, {
        method: "OPTIONS",
        headers: { origin: "https://app.example.com", "access-control-request-method": "POST" },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    });

    it("gives an origin that is not on the list no CORS headers", async () => {
      for (const other of ["https://evil.example", "null"]) {
        const preflight = await fetch(stack.gatewayUrl, {
          method: "OPTIONS",
          headers: { origin: other, "access-control-request-method": "POST" },
        });
        expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
        const simple = await post(JSON.stringify({ query: PUBLIC_QUERY }), {
          "content-type": "application/json",
          origin: other,
        });
        expect(simple.headers.get("access-control-allow-origin")).toBeNull();
      }
    });
  });

  it("answers arbitrary credential headers with 200, 400, 401 or 431, never a 5xx", async () => {
    const printable = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
      maxLength: 200,
    });
    const headerName = fc.constantFrom(
      "cookie",
      "authorization",
      "x-user-id",
      "X-Gateway-Context",
      "x-forwarded-for",
      "user-agent",
    );
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(headerName, printable), { minLength: 1, maxLength: 4 }), async (pairs) => {
        const headers = new Headers({ "content-type": "application/json" });
        for (const [name, value] of pairs) headers.append(name, value.trim() === "" ? "x" : value);
        const response = await fetch(stack.gatewayUrl, {
          method: "POST",
          headers,
          body: JSON.stringify({ query: `{ me { id } }` }),
        });
        await response.arrayBuffer();
        statuses.add(response.status);
        expect([200, 400, 401, 431]).toContain(response.status);
      }),
      { numRuns: 150 },
    );
    expect(statuses.has(200)).toBe(true);
  });

  it("tags every GraphQL response with a request id", async () => {
    const response = await post(JSON.stringify({ query: PUBLIC_QUERY }));
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect((await fetch(`${origin}/health`)).status).toBe(200);
  });
});
