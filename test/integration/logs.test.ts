import { BrowserClient } from "../support/client";
import { startStack, type Stack } from "../support/stack";

const PASSWORD = "correct horse battery";
const SIGN_UP = `mutation SignUp($e: String!, $p: String!) { signUp(email: $e, password: $p) { user { id } } }`;
const REFRESH = `mutation Refresh($t: String!) { refreshSession(refreshToken: $t) { accessToken } }`;

interface LogLine {
  service: string;
  level: string;
  event: string;
  requestId?: string;
  sessionId?: string;
  operation?: string;
  [field: string]: unknown;
}

let stack: Stack;
const parsed = (): LogLine[] => stack.logs.map((line) => JSON.parse(line) as LogLine);

beforeAll(async () => {
  stack = await startStack("memory");
});
afterAll(() => stack.stop());

describe("logs", () => {
  it("one request's id is on its lines in the gateway, the session lookup and every subgraph it reached", async () => {
    const browser = new BrowserClient(stack.gatewayUrl);
    await browser.request(SIGN_UP, { e: `logs${Date.now()}@example.com`, p: PASSWORD });
    const result = await browser.request(`query MyDocuments { me { id documents { id } } currentSession { id } }`);
    expect(result.body.errors).toBeUndefined();
    const requestId = result.headers.get("x-request-id") as string;
    const sessionId = (result.body.data?.currentSession as { id: string }).id;

    const lines = parsed().filter((line) => line.requestId === requestId);
    // The session service answers twice: the lookup (internal route) and the currentSession field.
    expect(new Set(lines.map((line) => line.service))).toEqual(new Set(["gateway", "session", "auth", "documents"]));
    const gatewayLine = lines.find((line) => line.service === "gateway" && line.event === "request");
    expect(gatewayLine).toMatchObject({ path: "/graphql", status: 200, operation: "MyDocuments", sessionId });
    expect(lines.find((line) => line.service === "documents")).toMatchObject({ event: "request", sessionId });
  });

  it("a client's own x-request-id is not taken into the gateway's logs", async () => {
    const result = await new BrowserClient(stack.gatewayUrl).request(
      `{ publicDocuments(first: 1) { id } }`,
      {},
      {
        "x-request-id": "forged-id",
      },
    );
    expect(result.headers.get("x-request-id")).not.toBe("forged-id");
    expect(parsed().some((line) => line.requestId === "forged-id")).toBe(false);
  });

  it("request lines and audit lines carry no cookie, token or password, and audit events keep their fields", async () => {
    const browser = new BrowserClient(stack.gatewayUrl);
    const email = `logs-secret${Date.now()}@example.com`;
    await browser.request(SIGN_UP, { e: email, p: PASSWORD });
    const cookie = browser.cookies.get("fedsession") as string;
    const app = await new BrowserClient(stack.gatewayUrl).request(
      `mutation ($e: String!, $p: String!) { login(email: $e, password: $p, transport: TOKEN) { accessToken refreshToken } }`,
      { e: email, p: PASSWORD },
    );
    const tokens = app.body.data?.login as { accessToken: string; refreshToken: string };
    await new BrowserClient(stack.gatewayUrl).request(REFRESH, { t: tokens.refreshToken });
    // A query in the URL: the request line keeps the path only.
    await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent("{ me { id } }")}&token=${tokens.refreshToken}`, {
      headers: { cookie: `fedsession=${cookie}`, "apollo-require-preflight": "1" },
    });
    await browser.request(`mutation Logout { logout }`);

    const text = stack.logs.join("\n");
    for (const secret of [PASSWORD, cookie, cookie.split(".")[1] as string, tokens.refreshToken, tokens.accessToken]) {
      expect(text).not.toContain(secret);
    }
    const logout = parsed().find((line) => line.event === "audit.logout");
    expect(logout).toMatchObject({ service: "session", userId: expect.any(String), sessionId: expect.any(String) });
    expect(logout?.requestId).toEqual(expect.any(String));
  });
});
