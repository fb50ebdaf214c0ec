import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunningServer } from "@fedsession/runtime";
import { startWebServer } from "../../scripts/web/server";
import { BrowserClient } from "../support/client";
import { startStack, type Stack } from "../support/stack";

/** The web server of `pnpm start` and `pnpm start:web`: static files, and `/graphql` forwarded to a real gateway. */
describe("the web server in front of the gateway", () => {
  let stack: Stack;
  let web: RunningServer;
  let distDir: string;

  beforeAll(async () => {
    distDir = await mkdtemp(path.join(tmpdir(), "fedsession-web-"));
    await mkdir(path.join(distDir, "assets"));
    await writeFile(path.join(distDir, "index.html"), "<!doctype html><title>app</title>");
    await writeFile(path.join(distDir, "assets", "index-abc123.js"), "console.log('app')");
    // The gateway trusts the web server's X-Forwarded-For, as it should when the two run behind one host.
    stack = await startStack("memory", {}, { TRUSTED_PROXIES: "127.0.0.1" });
    web = await startWebServer({
      distDir,
      gatewayOrigin: new URL(stack.gatewayUrl).origin,
      port: 0,
      host: "127.0.0.1",
    });
  });

  afterAll(async () => {
    await web?.close();
    await stack?.stop();
    await rm(distDir, { recursive: true, force: true });
  });

  it("serves the app at / and at any screen path, never cached, with a same-origin content security policy", async () => {
    for (const pathname of ["/", "/devices"]) {
      const response = await fetch(`${web.url}${pathname}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("cache-control")).toBe("no-cache");
      expect(response.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
      expect(await response.text()).toContain("<title>app</title>");
    }
  });

  it("serves hashed assets as immutable and answers 404 for files that are not in the build", async () => {
    const asset = await fetch(`${web.url}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toMatch(/immutable/);
    for (const pathname of ["/assets/missing.js", "/..%2f..%2fpackage.json", "/%2e%2e/%2e%2e/package.json"]) {
      expect((await fetch(`${web.url}${pathname}`)).status).toBe(404);
    }
  });

  it("forwards /graphql with its cookies both ways: sign-up sets the cookie, the next request is signed in", async () => {
    const client = new BrowserClient(`${web.url}/graphql`);
    const signUp = await client.request(
      `mutation { signUp(email: "web-${Date.now()}@example.com", password: "correct horse battery") { user { id } } }`,
    );
    expect(signUp.setCookies).toEqual([expect.stringMatching(/^fedsession=[^;]+; Path=\/; HttpOnly; SameSite=Lax/)]);
    const me = await client.request(`{ me { id } }`);
    expect(me.body.data?.me).toEqual({ id: (signUp.body.data?.signUp as { user: { id: string } }).user.id });
    expect(me.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps the gateway's CSRF prevention: a GET query passes only with Apollo's preflight header", async () => {
    const url = `${web.url}/graphql?query=${encodeURIComponent("{ __typename }")}`;
    expect((await fetch(url)).status).toBe(400);
    const allowed = await fetch(url, { headers: { "apollo-require-preflight": "true" } });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("replaces a client's X-Forwarded-For with the address it saw, so a client cannot choose its recorded IP", async () => {
    const client = new BrowserClient(`${web.url}/graphql`);
    const forged = { "x-forwarded-for": "203.0.113.9" };
    await client.request(
      `mutation { signUp(email: "xff-${Date.now()}@example.com", password: "correct horse battery") { user { id } } }`,
      {},
      forged,
    );
    const sessions = await client.request(`{ mySessions { ip } }`, {}, forged);
    expect(sessions.body.data?.mySessions).toEqual([{ ip: "127.0.0.1" }]);
  });

  it("answers 502 with a GraphQL error, not a hang, when the gateway is down", async () => {
    const orphan = await startWebServer({ distDir, gatewayOrigin: "http://127.0.0.1:1", port: 0, host: "127.0.0.1" });
    try {
      const response = await fetch(`${orphan.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ __typename }" }),
      });
      expect(response.status).toBe(502);
      expect(await response.json()).toEqual({
        errors: [{ message: "The gateway is unavailable", extensions: { code: "BAD_GATEWAY" } }],
      });
    } finally {
      await orphan.close();
    }
  });
});
