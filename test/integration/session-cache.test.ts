import { createLogger } from "@fedsession/runtime";
import { start as startGateway } from "../../gateway/src/main";
import { BrowserClient } from "../support/client";
import { startStack, type Stack } from "../support/stack";

const ADMIN = { email: "root@example.com", password: "an administrator passphrase" };
const PASSWORD = "correct horse battery";
let counter = 0;
const uniqueEmail = () => `cache${Date.now()}-${counter++}@example.com`;
const SIGN_UP = `mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { user { id } } }`;

/**
 * How long a test waits for another gateway to act on a pushed event. Far below anything but the event that could
 * end a cached entry (its `reusableUntil` is minutes away), and loose enough for a loaded CI machine: the 100 ms
 * propagation bound itself is measured by `pnpm bench` (docs/performance.md), not by a timed test.
 */
const PUSHED_WITHIN_MS = 2_000;

/** Polls until the check passes or the deadline passes. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`not true within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("gateways with the push-invalidated session cache (SESSION_CACHE=on)", () => {
  let stack: Stack;
  let other: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    stack = await startStack(
      "redis",
      { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
      { SESSION_CACHE: "on" },
    );
    other = await startGateway(
      {
        ...stack.env,
        SESSION_CACHE: "on",
        SESSION_URL: new URL(stack.sessionUrl).origin,
        AUTH_URL: new URL(stack.authUrl).origin,
        DOCUMENTS_URL: new URL(stack.documentsUrl).origin,
      },
      createLogger("gateway-2", (line) => stack.logs.push(line)),
    );
  });

  afterAll(async () => {
    await other?.close();
    await stack?.stop();
  });

  async function signedUp(): Promise<{ client: BrowserClient; userId: string }> {
    const client = new BrowserClient(stack.gatewayUrl);
    const result = await client.request(SIGN_UP, { e: uniqueEmail(), p: PASSWORD });
    expect(result.body.errors).toBeUndefined();
    return { client, userId: (result.body.data?.signUp as { user: { id: string } }).user.id };
  }

  const onOther = (client: BrowserClient) => {
    const copy = new BrowserClient(other.url);
    for (const [name, value] of client.cookies) copy.cookies.set(name, value);
    return copy;
  };

  it("ends a session at once on the gateway that logged it out, and on another by the pushed event", async () => {
    const { client } = await signedUp();
    const elsewhere = onOther(client);
    expect((await elsewhere.request(`{ me { id } }`)).body.data?.me).not.toBeNull();
    const cookie = client.cookieHeader() as string;
    await client.request(`mutation { logout }`);
    const replay = await new BrowserClient(stack.gatewayUrl).request(`{ me { id } }`, {}, { cookie });
    expect(replay.body.data?.me).toBeNull();
    await within(PUSHED_WITHIN_MS, async () => (await elsewhere.request(`{ me { id } }`)).body.data?.me === null);
  });

  it("applies a revocation and a permission change made through one gateway on the other by the pushed event", async () => {
    const { client, userId } = await signedUp();
    const elsewhere = onOther(client);
    expect((await elsewhere.request(`{ me { permissions } }`)).body.data?.me).toEqual({
      permissions: ["documents:read", "documents:write"],
    });

    const admin = new BrowserClient(stack.gatewayUrl);
    await admin.request(`mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { user { id } } }`, {
      e: ADMIN.email,
      p: ADMIN.password,
    });
    await admin.request(
      `mutation ($id: ID!) { setUserPermissions(userId: $id, permissions: ["documents:read"]) { id } }`,
      { id: userId },
    );
    await within(PUSHED_WITHIN_MS, async () => {
      const me = (await elsewhere.request(`{ me { permissions } }`)).body.data?.me as { permissions: string[] } | null;
      return me?.permissions.length === 1;
    });

    const mine = (await client.request(`{ currentSession { id } }`)).body.data?.currentSession as { id: string };
    const second = new BrowserClient(stack.gatewayUrl);
    await second.request(`mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { user { id } } }`, {
      e: ((await client.request(`{ me { email } }`)).body.data?.me as { email: string }).email,
      p: PASSWORD,
    });
    await second.request(`mutation ($id: ID!) { revokeSession(id: $id) }`, { id: mine.id });
    await within(PUSHED_WITHIN_MS, async () => (await elsewhere.request(`{ me { id } }`)).body.data?.me === null);
  });

  it("keeps answering cached sessions from memory while new credentials still need the session service", async () => {
    const { client } = await signedUp();
    expect((await client.request(`{ me { id } }`)).body.data?.me).not.toBeNull();
    const stranger = new BrowserClient(stack.gatewayUrl);
    stranger.cookies.set("fedsession", `${"a".repeat(22)}.${"b".repeat(43)}`);
    await stack.stopService("session");
    expect((await client.request(`{ me { id } }`)).body.data?.me).not.toBeNull();
    expect((await stranger.request(`{ me { id } }`)).status).toBe(503);
  });
});
