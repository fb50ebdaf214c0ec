import { createLogger, type Env } from "@fedsession/runtime";
import { start as startGateway } from "../../gateway/src/main";
import { start as startSession } from "../../subgraphs/session/src/main";
import { BrowserClient } from "../support/client";
import { startStack, type Stack } from "../support/stack";

const ADMIN = { email: "root@example.com", password: "an administrator passphrase" };

/** A second session subgraph and a second gateway beside the stack's own, sharing its Redis: two replicas of each. */
async function startReplicas(stack: Stack, env: Env) {
  const logger = createLogger("replica", (line) => stack.logs.push(line));
  const session = await startSession(env, logger);
  const gateway = await startGateway(
    {
      ...env,
      SESSION_URL: new URL(session.url).origin,
      AUTH_URL: new URL(stack.authUrl).origin,
      DOCUMENTS_URL: new URL(stack.documentsUrl).origin,
    },
    logger,
  );
  return {
    gatewayUrl: gateway.url,
    stop: async () => {
      await gateway.close();
      await session.close();
    },
  };
}

describe("two gateways and two session subgraphs on one Redis", () => {
  let stack: Stack;
  let replicas: Awaited<ReturnType<typeof startReplicas>>;

  beforeAll(async () => {
    stack = await startStack("redis", { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
    replicas = await startReplicas(stack, stack.env);
  });

  afterAll(async () => {
    await replicas?.stop();
    await stack?.stop();
  });

  it("uses, changes and revokes through one replica a session created through the other", async () => {
    const first = new BrowserClient(stack.gatewayUrl);
    const email = `replica-${Date.now()}@example.com`;
    const signUp = await first.request(
      `mutation ($email: String!) { signUp(email: $email, password: "correct horse battery") { user { id } } }`,
      { email },
    );
    expect(signUp.body.errors).toBeUndefined();

    const second = new BrowserClient(replicas.gatewayUrl);
    for (const [name, value] of first.cookies) second.cookies.set(name, value);
    expect((await second.request(`{ me { email } }`)).body.data?.me).toEqual({ email });

    const changed = await second.request(`mutation { setSessionData(key: "theme", value: "dark") { data } }`);
    expect(changed.body.errors).toBeUndefined();
    expect((await first.request(`{ currentSession { data } }`)).body.data?.currentSession).toEqual({
      data: { theme: "dark" },
    });

    expect((await second.request(`mutation { logout }`)).body.data).toEqual({ logout: true });
    const afterLogout = await first.request(`{ me { email } }`);
    expect(afterLogout.body.data?.me).toBeNull();
  });

  it("applies a permission change made through one replica on the other's very next request", async () => {
    const user = new BrowserClient(stack.gatewayUrl);
    const email = `perm-${Date.now()}@example.com`;
    const signUp = await user.request(
      `mutation ($email: String!) { signUp(email: $email, password: "correct horse battery") { user { id } } }`,
      { email },
    );
    const userId = (signUp.body.data?.signUp as { user: { id: string } }).user.id;
    const onOtherReplica = new BrowserClient(replicas.gatewayUrl);
    for (const [name, value] of user.cookies) onOtherReplica.cookies.set(name, value);

    const admin = new BrowserClient(stack.gatewayUrl);
    await admin.request(
      `mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { user { id } } }`,
      ADMIN,
    );
    const change = await admin.request(
      `mutation ($id: ID!) { setUserPermissions(userId: $id, permissions: ["documents:read"]) { permissions } }`,
      { id: userId },
    );
    expect(change.body.errors).toBeUndefined();

    const write = await onOtherReplica.request(`mutation { createDocument(title: "t", body: "b") { id } }`);
    expect(write.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await onOtherReplica.request(`{ me { permissions } }`)).body.data?.me).toEqual({
      permissions: ["documents:read"],
    });
  });
});
