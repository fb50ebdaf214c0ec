import { BrowserClient } from "../support/client";
import { startStack, type Stack } from "../support/stack";

const PASSWORD = "correct horse battery";
const SIGN_UP = `mutation ($email: String!) { signUp(email: $email, password: "${PASSWORD}") { user { id } } }`;
const LOGIN = `mutation ($email: String!) { login(email: $email, password: "${PASSWORD}") { user { id } } }`;

/**
 * REDIS_WAIT_REPLICAS against a Redis with no replica: no write can be confirmed, so none may be acknowledged. The
 * client is told to retry (503 SESSION_STORE_UNAVAILABLE), in auth as in the session service, never given a 500
 * (a sign-up during a Sentinel group's start once was).
 */
describe("writes the replicas do not confirm (REDIS_WAIT_REPLICAS)", () => {
  let confirmed: Stack;
  let unconfirmed: Stack;

  beforeAll(async () => {
    confirmed = await startStack("redis");
    // The same data and keys (the password pepper) as `confirmed`, which can create the accounts this one cannot.
    unconfirmed = await startStack("redis", {
      KEYS_DIR: confirmed.env.KEYS_DIR,
      REDIS_KEY_PREFIX: confirmed.env.REDIS_KEY_PREFIX,
      REDIS_WAIT_REPLICAS: "1",
      REDIS_WAIT_TIMEOUT_MS: "50",
    });
  });

  afterAll(async () => {
    await unconfirmed?.stop();
    await confirmed?.stop();
  });

  it("answers a sign-up 503 SESSION_STORE_UNAVAILABLE, never 500", async () => {
    const result = await new BrowserClient(unconfirmed.gatewayUrl).request(SIGN_UP, {
      email: `unconfirmed${Date.now()}@example.com`,
    });
    expect(result.status).toBe(503);
    expect(result.body.errors?.[0]?.extensions?.code).toBe("SESSION_STORE_UNAVAILABLE");
  });

  it("answers a login whose session write is unconfirmed 503 SESSION_STORE_UNAVAILABLE, with no cookie", async () => {
    // The account exists (written without WAIT); only the new session's write goes unconfirmed.
    const email = `unconfirmed-login${Date.now()}@example.com`;
    const signUp = await new BrowserClient(confirmed.gatewayUrl).request(SIGN_UP, { email });
    expect(signUp.body.errors).toBeUndefined();
    const client = new BrowserClient(unconfirmed.gatewayUrl);
    const result = await client.request(LOGIN, { email });
    expect(result.status).toBe(503);
    expect(result.body.errors?.[0]?.extensions?.code).toBe("SESSION_STORE_UNAVAILABLE");
    expect(client.cookies.size).toBe(0);
  });
});
