import { BrowserClient } from "../support/client";
import { startStack, type Stack } from "../support/stack";

const SANDBOX_ORIGIN = "https://studio.apollographql.com";
const APOLLO_CLIENT_HEADERS = [
  "content-type",
  "apollographql-client-name",
  "apollographql-client-version",
  "apollo-require-preflight",
];

describe("Apollo Sandbox against a development gateway", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(
      "memory",
      {},
      { CORS_ORIGINS: SANDBOX_ORIGIN, COOKIE_SECURE: "true", COOKIE_SAME_SITE: "None" },
    );
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("serves the embedded Sandbox at /graphql to a browser, with cookies included", async () => {
    const response = await fetch(stack.gatewayUrl, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    const page = await response.text();
    expect(page).toContain("embeddable-sandbox");
    expect(page).toMatch(/"includeCookies":\s*true/);
  });

  it("answers the preflight of Apollo's hosted Sandbox with every header Apollo's clients send", async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: "OPTIONS",
      headers: {
        origin: SANDBOX_ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": APOLLO_CLIENT_HEADERS.join(","),
        "access-control-request-private-network": "true",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(SANDBOX_ORIGIN);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-allow-methods")).toMatch(/POST/);
    const allowed = (response.headers.get("access-control-allow-headers") ?? "").split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(APOLLO_CLIENT_HEADERS));
    expect(response.headers.get("access-control-allow-private-network")).toBe("true");
  });

  it("refuses the preflight of an origin that is not on CORS_ORIGINS, with no CORS headers", async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: "OPTIONS",
      headers: {
        origin: "https://evil.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": APOLLO_CLIENT_HEADERS.join(","),
      },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-allow-headers")).toBeNull();
  });

  it("signs in from Sandbox's origin with a SameSite=None; Secure cookie that the next request uses", async () => {
    const client = new BrowserClient(stack.gatewayUrl);
    const headers = {
      origin: SANDBOX_ORIGIN,
      "apollographql-client-name": "ApolloSandbox",
      "apollographql-client-version": "2.0.0",
      "apollo-require-preflight": "true",
    };
    const signUp = await client.request(
      `mutation { signUp(email: "sandbox-${Date.now()}@example.com", password: "correct horse battery") { user { id } } }`,
      {},
      headers,
    );
    expect(signUp.headers.get("access-control-allow-origin")).toBe(SANDBOX_ORIGIN);
    expect(signUp.setCookies).toEqual([
      expect.stringMatching(/^__Host-fedsession=[^;]+; Path=\/; HttpOnly; SameSite=None; Secure; Max-Age=\d+$/),
    ]);
    const me = await client.request(`{ me { id } }`, {}, headers);
    expect(me.body.data?.me).toEqual({ id: (signUp.body.data?.signUp as { user: { id: string } }).user.id });
  });
});
