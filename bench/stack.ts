import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Redis from "ioredis";
import { generateKeyMaterial, writeKeyMaterial, type KeyMaterial } from "@fedsession/runtime";
import { freePort, startRedisProcess, type RedisProcess } from "@fedsession/testing";
import type { MeteredProcess } from "./cpu";
import { startCountingProxy, type CountingProxy } from "./counting-proxy";
import { createHiveTokenIssuer, type HiveTokenIssuer } from "./peers/hive-token";
import { REPO_ROOT, registerCleanup, startChild, stopAllChildren, type ChildService } from "./processes";
import { deleteByPrefix } from "./redis-stats";

export interface BenchStack {
  keys: KeyMaterial;
  /**
   * A plain client (no key prefix) on the Redis that holds the sessions, for INFO. With a private Redis the session
   * service has one of its own, so its command counters are the session lookups' and nothing else's.
   */
  redis: Redis;
  /** True when the Redis is a private redis-server: its counters and memory are the stack's alone. */
  privateRedis: boolean;
  gateway: ChildService;
  /** A second replica, reaching the session service through the counting proxy. */
  gatewayReplica: ChildService;
  sessionProxy: CountingProxy;
  statelessGateway: ChildService;
  /** A gateway with SESSION_CACHE=on, subscribed to the session service's events on its Redis. */
  cachedGateway: ChildService;
  /** The main gateway's configuration plus METRICS_PORT: per-request metrics recorded, served at metricsUrl. */
  metricsGateway: ChildService;
  metricsUrl: string;
  /** Its twin without METRICS_PORT (as the main gateway): nothing recorded. */
  noMetricsGateway: ChildService;
  hiveGateway: ChildService;
  hiveTokens: HiveTokenIssuer;
  /** Every process of the stack whose CPU time the benchmark reads (the Redis servers only when private). */
  processes: MeteredProcess[];
  stop(): Promise<void>;
}

/** The gateway processes a scenario can run against, by the name the stack starts them under. */
export type GatewayProcess =
  "gateway" | "cached-gateway" | "stateless-gateway" | "gateway-metrics" | "gateway-no-metrics" | "hive-gateway";

export interface StackOptions {
  redisUrl: string | null;
  bcryptCost: number;
  /**
   * Writes V8 CPU profiles (--cpu-prof) when the processes stop: this gateway's into `<directory>/gateway`, and the
   * session service's into `<directory>/session`.
   */
  profile?: { process: GatewayProcess; directory: string };
}

const graphqlUrl = (service: ChildService) => `${service.origin}/graphql`;
export { graphqlUrl };

/** Starts Redis and every service in production mode, each service a process of its own on a free loopback port. */
export async function startStack(options: StackOptions): Promise<BenchStack> {
  const profileInto = (folder: string) =>
    options.profile ? ["--cpu-prof", `--cpu-prof-dir=${path.join(options.profile.directory, folder)}`] : [];
  const flagsFor = (name: GatewayProcess) => (options.profile?.process === name ? profileInto("gateway") : []);
  const keysDir = await mkdtemp(path.join(tmpdir(), "fedsession-bench-keys-"));
  const keys = await generateKeyMaterial(false);
  await writeKeyMaterial(keysDir, keys);
  const keyPrefix = `bench:${randomUUID().slice(0, 8)}:`;
  let redisProcess: RedisProcess | null = null;
  let sessionRedisProcess: RedisProcess | null = null;
  let redis: Redis | null = null;
  let proxy: CountingProxy | null = null;
  let unregister: () => void = () => undefined;
  let stopped = false;
  const cleanUp = async () => {
    if (stopped) return;
    stopped = true;
    unregister();
    await stopAllChildren();
    await proxy?.close();
    if (redis !== null) {
      if (redisProcess === null) await deleteByPrefix(redis, keyPrefix).catch(() => 0);
      redis.disconnect();
    }
    await redisProcess?.kill();
    await sessionRedisProcess?.kill();
    await rm(keysDir, { recursive: true, force: true });
  };
  unregister = registerCleanup(cleanUp);
  try {
    redisProcess = options.redisUrl === null ? await startRedisProcess() : null;
    sessionRedisProcess = options.redisUrl === null ? await startRedisProcess() : null;
    const redisUrl = redisProcess?.url ?? (options.redisUrl as string);
    const sessionRedisUrl = sessionRedisProcess?.url ?? redisUrl;
    redis = new Redis(sessionRedisUrl, { maxRetriesPerRequest: 1 });
    await redis.ping();
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      KEYS_DIR: keysDir,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      LISTEN_HOST: "127.0.0.1",
      BCRYPT_COST: String(options.bcryptCost),
      SUPERGRAPH_PATH: path.join(REPO_ROOT, "supergraph.graphql"),
    };
    const [
      sessionPort,
      authPort,
      documentsPort,
      gatewayPort,
      replicaPort,
      statelessPort,
      hivePort,
      cachedPort,
      metricsGatewayPort,
      metricsPort,
      noMetricsGatewayPort,
    ] = await Promise.all(Array.from({ length: 11 }, () => freePort()));
    const session = await startChild(
      "session",
      "subgraphs/session/src/main.ts",
      sessionPort as number,
      {
        ...base,
        REDIS_URL: sessionRedisUrl,
        SESSION_PORT: String(sessionPort),
        // Scenario B cycles 64 sessions of one account: above the default per-user cap of 50, which would end the oldest.
        SESSIONS_PER_USER: "1000",
      },
      profileInto("session"),
    );
    const [auth, documents] = await Promise.all([
      startChild("auth", "subgraphs/auth/src/main.ts", authPort as number, {
        ...base,
        AUTH_PORT: String(authPort),
        SESSION_URL: session.origin,
        // Every bench login comes from 127.0.0.1 and many are of one account: lift the per-client attempt limits.
        LOGIN_MAX_ATTEMPTS_PER_IP: "1000000",
        LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: "1000000",
      }),
      startChild("documents", "subgraphs/documents/src/main.ts", documentsPort as number, {
        ...base,
        DOCUMENTS_PORT: String(documentsPort),
      }),
    ]);
    proxy = await startCountingProxy(session.origin);
    const subgraphs = { SESSION_URL: session.origin, AUTH_URL: auth.origin, DOCUMENTS_URL: documents.origin };
    const hiveTokens = await createHiveTokenIssuer();
    const gatewayEnv = (port: number | undefined): NodeJS.ProcessEnv => ({
      ...base,
      ...subgraphs,
      GATEWAY_PORT: String(port),
      // The login storm gives each of its loops a client address of its own.
      TRUSTED_PROXIES: "127.0.0.1",
    });
    const [gateway, gatewayReplica, statelessGateway, hiveGateway, cachedGateway, metricsGateway, noMetricsGateway] =
      await Promise.all([
        startChild(
          "gateway",
          "gateway/src/main.ts",
          gatewayPort as number,
          gatewayEnv(gatewayPort),
          flagsFor("gateway"),
        ),
        startChild("gateway-replica", "gateway/src/main.ts", replicaPort as number, {
          ...base,
          ...subgraphs,
          SESSION_URL: proxy.origin,
          GATEWAY_PORT: String(replicaPort),
        }),
        startChild(
          "stateless-gateway",
          "bench/peers/stateless-gateway.ts",
          statelessPort as number,
          {
            ...base,
            ...subgraphs,
            GATEWAY_PORT: String(statelessPort),
          },
          flagsFor("stateless-gateway"),
        ),
        startChild(
          "hive-gateway",
          "bench/peers/hive-gateway.ts",
          hivePort as number,
          {
            ...base,
            ...subgraphs,
            HIVE_PORT: String(hivePort),
            JWT_PUBLIC_KEY: hiveTokens.publicKeyPem,
          },
          flagsFor("hive-gateway"),
        ),
        startChild(
          "cached-gateway",
          "gateway/src/main.ts",
          cachedPort as number,
          {
            ...base,
            ...subgraphs,
            REDIS_URL: sessionRedisUrl,
            SESSION_CACHE: "on",
            GATEWAY_PORT: String(cachedPort),
          },
          flagsFor("cached-gateway"),
        ),
        // Twins of the main gateway that serve one scenario each: metrics on against off, and between them what serving
        // a single scenario does to a gateway process's cost (see docs/performance.md).
        startChild(
          "gateway-metrics",
          "gateway/src/main.ts",
          metricsGatewayPort as number,
          { ...gatewayEnv(metricsGatewayPort), METRICS_PORT: String(metricsPort) },
          flagsFor("gateway-metrics"),
        ),
        startChild(
          "gateway-no-metrics",
          "gateway/src/main.ts",
          noMetricsGatewayPort as number,
          gatewayEnv(noMetricsGatewayPort),
          flagsFor("gateway-no-metrics"),
        ),
      ]);
    return {
      keys,
      redis,
      privateRedis: redisProcess !== null,
      gateway,
      gatewayReplica,
      sessionProxy: proxy,
      statelessGateway,
      cachedGateway,
      metricsGateway,
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      noMetricsGateway,
      hiveGateway,
      hiveTokens,
      processes: [
        ...[
          session,
          auth,
          documents,
          gateway,
          gatewayReplica,
          statelessGateway,
          hiveGateway,
          cachedGateway,
          metricsGateway,
          noMetricsGateway,
        ].map(({ name, pid }) => ({ name, pid })),
        ...(sessionRedisProcess === null ? [] : [{ name: "session-redis", pid: sessionRedisProcess.pid }]),
        ...(redisProcess === null ? [] : [{ name: "redis", pid: redisProcess.pid }]),
      ],
      stop: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
