import {
  createLogger,
  createRedisClient,
  EnvReader,
  importSigningKey,
  listen,
  loadKeyMaterial,
  passwordPepper,
  publicKeys,
  type Env,
  type Logger,
  closeRedisClient,
  createReplicatedWriter,
  runAsProcess,
  withReplicatedWrites,
  type StartedService,
} from "@fedsession/runtime";
import { createSessionServiceClient } from "@fedsession/session-client";
import { ADMINISTRATOR_PERMISSIONS, createAccounts, SIGN_UP_PERMISSIONS, type Accounts } from "./accounts";
import { createBcryptLimiter } from "./bcrypt-limiter";
import { readConfig, type AuthConfig } from "./config";
import { createLoginGuard } from "./login-guard";
import { createPasswords } from "./passwords";
import { createSignUpGuard } from "./sign-up-guard";
import { createAuthServer } from "./server";
import { createMemoryLoginThrottle, createMemoryUserStore } from "./store/memory";
import { createRedisLoginThrottle, createRedisUserStore } from "./store/redis";
import type { UserStore } from "./store/user-store";

const DEMO_USERS = [
  { label: "demo user", email: "alice@example.com", password: "alice-password-1", administrator: false },
  { label: "demo admin", email: "admin@example.com", password: "admin-password-1", administrator: true },
] as const;

/** Accounts that must exist once the service is up; returns the lines the start script prints about them. */
async function provisionAccounts(accounts: Accounts, config: AuthConfig, inMemory: boolean): Promise<string[]> {
  const notes: string[] = [];
  if (config.administrator) {
    await accounts.ensureAdministrator(config.administrator.email, config.administrator.password);
    notes.push(`administrator: ${config.administrator.email} (from ADMIN_EMAIL)`);
  }
  if (!inMemory) return notes;
  for (const demo of DEMO_USERS) {
    // A configured administrator replaces the demo one, whose password is public.
    if (demo.administrator && config.administrator) continue;
    await accounts.ensureUser(
      demo.email,
      demo.password,
      demo.administrator ? ADMINISTRATOR_PERMISSIONS : SIGN_UP_PERMISSIONS,
    );
    notes.push(`${demo.label}: ${demo.email} / ${demo.password}`);
  }
  return notes;
}

const USER_WRITES = ["create", "update", "modify"] as const satisfies readonly (keyof UserStore)[];

export async function start(env: Env = process.env, logger: Logger = createLogger("auth")): Promise<StartedService> {
  const config = readConfig(env);
  const material = await loadKeyMaterial(new EnvReader(env));
  const redis = config.redis ? createRedisClient(config.redis) : null;
  // A password change or a disable must survive a failover as the sessions it ended do (REDIS_WAIT_REPLICAS).
  const writer = config.redis && createReplicatedWriter(config.redis);
  const users = redis
    ? writer
      ? withReplicatedWrites(createRedisUserStore(redis), createRedisUserStore(writer.client), USER_WRITES, writer)
      : createRedisUserStore(redis)
    : createMemoryUserStore();
  const clock = () => new Date();
  const throttle = redis ? createRedisLoginThrottle(redis) : createMemoryLoginThrottle(clock);
  const passwords = await createPasswords({
    cost: config.bcryptCost,
    pepper: passwordPepper(material),
    limiter: createBcryptLimiter(config.bcryptLimits),
  });
  const guard = createLoginGuard(throttle, config.loginLimits);
  const signUpGuard = createSignUpGuard(throttle, config.signUpLimits);
  const sessions = createSessionServiceClient({
    baseUrl: config.sessionUrl,
    from: "auth",
    signingKey: await importSigningKey(material, "auth"),
    timeoutMs: config.sessionCallTimeoutMs,
  });
  const revocationEpoch = (userId: string) => sessions.revocationEpoch({ userId });
  const accounts = createAccounts({ users, passwords, guard, signUpGuard, clock, revocationEpoch });
  const server = await createAuthServer({
    users,
    accounts,
    sessions,
    gatewayJwks: publicKeys(material, "gateway"),
    logger,
    production: config.production,
    clock,
  });
  const running = await listen(server.handler, config.port, config.host, (error) =>
    logger.error("request_failed", { message: error instanceof Error ? error.message : String(error) }),
  );
  const close = async () => {
    await running.close();
    await server.stop();
    if (redis) await closeRedisClient(redis);
    if (writer) await closeRedisClient(writer.client);
  };
  try {
    const notes = [
      redis ? "auth store: Redis" : "auth store: in-memory (development only)",
      ...(await provisionAccounts(accounts, config, redis === null)),
    ];
    return { url: `${running.url}/graphql`, close, notes };
  } catch (error) {
    await close();
    throw error;
  }
}

if (require.main === module) {
  const logger = createLogger("auth");
  runAsProcess(() => start(process.env, logger), logger);
}
