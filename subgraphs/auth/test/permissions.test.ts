import { readFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { ConfigError } from "@fedsession/runtime";
import { connectTestRedis, TestClock } from "@fedsession/testing";
import { BILLING_SUBGRAPH, compose, composeWith } from "../../../test/support/supergraph";
import { createAccounts } from "../src/accounts";
import { DEFAULT_SUPERGRAPH_PATH, readConfig } from "../src/config";
import { createLoginGuard, DEFAULT_LOGIN_LIMITS } from "../src/login-guard";
import { createPasswords } from "../src/passwords";
import { grantablePermissions, readGrantablePermissions } from "../src/permissions";
import { createSignUpGuard, DEFAULT_SIGN_UP_LIMITS } from "../src/sign-up-guard";
import { createMemoryLoginThrottle, createMemoryUserStore } from "../src/store/memory";
import { createRedisUserStore } from "../src/store/redis";
import type { UserStore } from "../src/store/user-store";

describe("grantable permissions", () => {
  it("are the repository supergraph's @requiresScopes scopes plus the platform's admin scopes", async () => {
    expect(await readGrantablePermissions(DEFAULT_SUPERGRAPH_PATH)).toEqual([
      "documents:read",
      "documents:write",
      "sessions:admin",
      "users:admin",
    ]);
    expect(readConfig({}).supergraphPath).toBe(DEFAULT_SUPERGRAPH_PATH);
  });

  it("grow with a newly composed subgraph's scopes, from every AND group and every alternative", () => {
    expect(grantablePermissions(composeWith([BILLING_SUBGRAPH]))).toEqual([
      "billing:admin",
      "billing:read",
      "billing:refund",
      "documents:read",
      "documents:write",
      "sessions:admin",
      "users:admin",
    ]);
  });

  it("keep the platform's admin scopes even when no field of the supergraph names them", () => {
    expect(grantablePermissions(compose([BILLING_SUBGRAPH]))).toEqual([
      "billing:admin",
      "billing:read",
      "billing:refund",
      "sessions:admin",
      "users:admin",
    ]);
  });

  it("name SUPERGRAPH_PATH when the file is missing or is not GraphQL", async () => {
    const variableOf = (promise: Promise<unknown>) =>
      promise.then(
        () => null,
        (error: unknown) => (error instanceof ConfigError ? error.variable : error),
      );
    await expect(variableOf(readGrantablePermissions("/nonexistent/supergraph.graphql"))).resolves.toBe(
      "SUPERGRAPH_PATH",
    );
    await expect(variableOf(readGrantablePermissions(__filename))).resolves.toBe("SUPERGRAPH_PATH");
  });
});

const stores: [string, () => Promise<{ users: UserStore; close(): Promise<void> }>][] = [
  ["memory", async () => ({ users: createMemoryUserStore(), close: async () => {} })],
  [
    "redis",
    async () => {
      const redis = await connectTestRedis();
      return { users: createRedisUserStore(redis.client), close: () => redis.close() };
    },
  ],
];

describe.each(stores)("setPermissions with a new subgraph's scopes (%s user store)", (_kind, open) => {
  let store: Awaited<ReturnType<(typeof stores)[number][1]>>;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());

  it("stores a scope the composed supergraph names and refuses one it does not, naming it", async () => {
    const clock = new TestClock();
    const throttle = createMemoryLoginThrottle(clock.now);
    const accounts = createAccounts({
      users: store.users,
      passwords: await createPasswords({ cost: 4, pepper: randomBytes(32) }),
      guard: createLoginGuard(throttle, DEFAULT_LOGIN_LIMITS),
      signUpGuard: createSignUpGuard(throttle, DEFAULT_SIGN_UP_LIMITS),
      clock: clock.now,
      revocationEpoch: async () => "0",
      grantablePermissions: grantablePermissions(composeWith([BILLING_SUBGRAPH])),
    });
    const email = `perm-${Date.now()}-${randomBytes(4).toString("hex")}@example.com`;
    const user = await accounts.signUp(email, "a long enough password", null);

    await expect(accounts.setPermissions(user.id, ["billing:read", "documents:read"])).resolves.toMatchObject({
      user: { permissions: ["billing:read", "documents:read"] },
    });
    expect((await store.users.findById(user.id))?.permissions).toEqual(["billing:read", "documents:read"]);

    await expect(accounts.setPermissions(user.id, ["billing:read", "billing:delete"])).rejects.toMatchObject({
      code: "invalid-input",
      message: expect.stringMatching(/^Unknown permission "billing:delete"; use any of billing:admin, billing:read/),
    });
    expect((await store.users.findById(user.id))?.permissions).toEqual(["billing:read", "documents:read"]);
  });
});

it("reads the same supergraph file by default as the gateway", async () => {
  const gatewayDefault = (await import("../../../gateway/src/config")).readConfig({}).supergraphPath;
  expect(DEFAULT_SUPERGRAPH_PATH).toBe(gatewayDefault);
  expect((await readFile(DEFAULT_SUPERGRAPH_PATH, "utf8")).length).toBeGreaterThan(0);
});
