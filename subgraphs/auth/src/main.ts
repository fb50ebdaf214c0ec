// First: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must wrap http and ioredis before anything loads them.
import "@fedsession/runtime/src/tracing-register";
import {
  createLogger,
  importSigningKey,
  passwordPepper,
  publicKeys,
  withReplicatedWrites,
  type Env,
  type Logger,
  type StartedService,
} from "@fedsession/runtime";
import { openRedisConnections, runSubgraph, startSubgraph, type SubgraphDefinition } from "@fedsession/subgraph-host";
import { createSessionServiceClient } from "@fedsession/session-client";
import { createAccounts, type Accounts } from "./accounts";
import { createBcryptLimiter } from "./bcrypt-limiter";
import { readConfig, type AuthConfig } from "./config";
import { createLoginGuard } from "./login-guard";
import { createPasswords } from "./passwords";
import { readGrantablePermissions, SIGN_UP_PERMISSIONS } from "./permissions";
import { createSignUpGuard } from "./sign-up-guard";
import { createAuthServer, SUBGRAPH_NAME } from "./server";
import { createMemoryLoginThrottle, createMemoryUserStore } from "./store/memory";
import { createRedisLoginThrottle, createRedisUserStore } from "./store/redis";
import { failuresAsUnavailable } from "./store/unavailable";
import { isUserStoreError, type UserStore } from "./store/user-store";

const DEMO_USERS = [
  { label: "demo user", email: "alice@example.com", password: "alice-password-1", administrator: false },
  { label: "demo admin", email: "admin@example.com", password: "admin-password-1", administrator: true },
] as const;

/** Accounts that must exist once the service is up; returns the lines the start script prints about them. */
async function provisionAccounts(
  accounts: Accounts,
  config: AuthConfig,
  inMemory: boolean,
  grantable: readonly string[],
): Promise<string[]> {
  const notes: string[] = [];
  if (config.administrator) {
    await accounts.ensureAdministrator(config.administrator.email, config.administrator.password);
    notes.push(`administrator: ${config.administrator.email} (from ADMIN_EMAIL)`);
  }
  if (!inMemory) return notes;
  for (const demo of DEMO_USERS) {
    // A configured administrator replaces the demo one, whose password is public.
    if (demo.administrator && config.administrator) continue;
    await accounts.ensureUser(demo.email, demo.password, demo.administrator ? grantable : SIGN_UP_PERMISSIONS);
    notes.push(`${demo.label}: ${demo.email} / ${demo.password}`);
  }
  return notes;
}

const USER_WRITES = ["create", "update", "modify"] as const satisfies readonly (keyof UserStore)[];

export const authSubgraph: SubgraphDefinition<AuthConfig> = {
  name: SUBGRAPH_NAME,
  readConfig,
  build: async ({ config, keys, logger, opened, readyWhen }) => {
    // Read before anything is opened, so a missing supergraph leaves nothing to close.
    const grantablePermissions = await readGrantablePermissions(config.supergraphPath);
    // A password change or a disable must survive a failover as the sessions it ended do (REDIS_WAIT_REPLICAS).
    const { redis, writer } = config.redis
      ? openRedisConnections(config.redis, { opened, readyWhen })
      : { redis: null, writer: null };
    const users = redis
      ? writer
        ? // A write the replicas did not confirm (ReplicationShortfall) is an outage too: 503, never 500.
          failuresAsUnavailable(
            withReplicatedWrites(createRedisUserStore(redis), createRedisUserStore(writer.client), USER_WRITES, writer),
            isUserStoreError,
          )
        : createRedisUserStore(redis)
      : createMemoryUserStore();
    const clock = () => new Date();
    const throttle = redis ? createRedisLoginThrottle(redis) : createMemoryLoginThrottle(clock);
    const passwords = await createPasswords({
      cost: config.bcryptCost,
      pepper: passwordPepper(keys),
      limiter: createBcryptLimiter(config.bcryptLimits),
    });
    const guard = createLoginGuard(throttle, config.loginLimits);
    const signUpGuard = createSignUpGuard(throttle, config.signUpLimits);
    const sessions = createSessionServiceClient({
      baseUrl: config.sessionUrl,
      from: "auth",
      signingKey: await importSigningKey(keys, "auth"),
      timeoutMs: config.sessionCallTimeoutMs,
    });
    const revocationEpoch = (userId: string) => sessions.revocationEpoch({ userId });
    const accounts = createAccounts({
      users,
      passwords,
      guard,
      signUpGuard,
      clock,
      revocationEpoch,
      grantablePermissions,
    });
    const notes = [
      redis ? "auth store: Redis" : "auth store: in-memory (development only)",
      ...(await provisionAccounts(accounts, config, !redis, grantablePermissions)),
    ];
    const server = await createAuthServer({
      users,
      accounts,
      sessions,
      gatewayJwks: publicKeys(keys, "gateway"),
      logger,
      production: config.production,
      clock,
    });
    return { ...server, notes };
  },
};

export function start(env: Env = process.env, logger: Logger = createLogger(SUBGRAPH_NAME)): Promise<StartedService> {
  return startSubgraph(authSubgraph, env, logger);
}

if (require.main === module) runSubgraph(authSubgraph);
