/**
 * `pnpm bench` (`pnpm bench -- --quick` for a CI smoke run): starts the stack in production mode on Redis, each
 * service its own process, seeds it, measures every scenario and experiment of issue 5 in one run, prints a table
 * and writes bench/results/<timestamp>.json and (full runs only) bench/results/latest.json. docs/performance.md explains the method.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { measureAccounting } from "./experiments/accounting";
import { measureLoginStorm, measureOpenLoop } from "./experiments/open-loop";
import { measureRevocation } from "./experiments/revocation";
import { measureSessionStore } from "./experiments/session-store";
import { measureThroughput } from "./experiments/throughput";
import { cookieHeader, postGraphQL } from "./client";
import { graphqlTarget } from "./load";
import { readOptions, type BenchOptions } from "./options";
import { runCleanups } from "./processes";
import { ME_QUERY, PUBLIC_QUERY } from "./queries";
import { evaluateTargets, formatReport, machine, type BenchReport } from "./report";
import { buildScenarios, checkScenario, withCookies } from "./scenarios";
import { login, loginForAccessToken, newAccount, seedDocuments, signUp, type Account } from "./seed";
import { graphqlUrl, startStack } from "./stack";

const RESULTS_DIR = path.join(__dirname, "results");
const LOGIN_LOOPS = 8;
/** Distinct sessions used in turn by B, C and D: more than the 32 connections, so no two concurrent requests share one. */
const SESSIONS_IN_TURN = 64;

const log = (line: string) => console.log(line);

async function userIdOf(gatewayUrl: string, cookie: string): Promise<string> {
  const reply = await postGraphQL(gatewayUrl, ME_QUERY, {}, cookieHeader(cookie));
  const me = reply.data?.me;
  if (typeof me !== "object" || me === null || !("id" in me) || typeof me.id !== "string") {
    throw new Error(`the seeded session is not signed in: ${JSON.stringify(reply)}`);
  }
  return me.id;
}

async function run(options: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg()[0] ?? Number.NaN;
  log(`fedsession benchmark (${options.quick ? "quick" : "full"}): starting the stack in production mode…`);
  const stack = await startStack({ redisUrl: options.redisUrl, bcryptCost: options.bcryptCost });
  const unavailable: Record<string, string> = {};
  try {
    const gateway = graphqlUrl(stack.gateway);
    const replica = graphqlUrl(stack.gatewayReplica);
    const redisVersion = /redis_version:(\S+)/.exec(await stack.redis.info("server"))?.[1] ?? "unknown";
    if (!stack.privateRedis) {
      unavailable.accounting = "BENCH_REDIS_URL is shared: command counts would include other clients' traffic";
    }

    log("seeding accounts and documents…");
    const main: Account = newAccount("main");
    const cookie = await signUp(gateway, main);
    await seedDocuments(gateway, cookie);
    const userId = await userIdOf(gateway, cookie);
    // One after another: auth gives one client (the bench) one bcrypt operation at a time.
    const stormAccounts: Account[] = [];
    for (let i = 0; i < LOGIN_LOOPS; i++) {
      const account = newAccount(`storm${i}`);
      await signUp(gateway, account);
      stormAccounts.push(account);
    }
    const revocationAccount = newAccount("revocation");
    await signUp(gateway, revocationAccount);

    let accessToken: (() => Promise<string | null>) | null = () => loginForAccessToken(gateway, main);
    try {
      if ((await accessToken()) === null) {
        unavailable.C = "the deployed schema has no TOKEN transport";
        accessToken = null;
      }
    } catch (error) {
      unavailable.C = `login with transport TOKEN failed: ${error instanceof Error ? error.message : String(error)}`;
      accessToken = null;
    }

    const cookies = [cookie];
    while (cookies.length < SESSIONS_IN_TURN) cookies.push(await login(gateway, main));
    const scenarios = await buildScenarios(stack, { userId, cookie, cookies, accessToken });
    for (const scenario of scenarios) await checkScenario(scenario);

    log(`closed loop: ${scenarios.map((scenario) => scenario.id).join(" ")} × ${options.rounds} rounds`);
    const throughput = await measureThroughput(scenarios, options, log);
    const anonymousMax = throughput.find((scenario) => scenario.id === "A")?.requestsPerSecond ?? 0;
    const rate = options.openLoopRate ?? Math.max(10, Math.round(anonymousMax / 2));

    const anonymous = graphqlTarget(gateway, PUBLIC_QUERY);
    const withCookie = withCookies(graphqlTarget(gateway, PUBLIC_QUERY), cookies);
    log(`open loop: A and B at ${rate} req/s${options.openLoopRate === null ? " (half of A's maximum)" : ""}`);
    const openLoop = await measureOpenLoop(anonymous, withCookie, {
      ratePerSecond: rate,
      rounds: options.rounds,
      durationSeconds: options.openLoopSeconds,
    });
    log(`login storm: B at ${rate} req/s, idle vs ${LOGIN_LOOPS} login loops (bcrypt cost ${options.bcryptCost})`);
    const loginStorm = await measureLoginStorm(withCookie, gateway, stormAccounts, {
      ratePerSecond: rate,
      rounds: options.rounds,
      durationSeconds: options.openLoopSeconds,
    });

    let accounting = null;
    if (stack.privateRedis) {
      log("cost per request: Redis INFO commandstats and session-service calls around A, B and C on the replica");
      const bearer = accessToken === null ? null : await accessToken();
      accounting = await measureAccounting(
        stack.redis,
        stack.sessionProxy,
        {
          anonymous: graphqlTarget(replica, PUBLIC_QUERY),
          cookie: withCookies(graphqlTarget(replica, PUBLIC_QUERY), cookies),
          bearer: bearer === null ? null : graphqlTarget(replica, PUBLIC_QUERY, { authorization: `Bearer ${bearer}` }),
        },
        { connections: options.connections, durationSeconds: options.durationSeconds },
      );
    }

    log(`revocation: ${options.revocations} logouts through gateway 1, timed until gateway 2 answers anonymously`);
    const revocation = await measureRevocation(gateway, replica, revocationAccount, options.revocations);

    await stack.stop();
    log(`session store: memory at 100000 sessions, resolve latency at 1000 vs ${options.largeStoreSessions}`);
    const sessionStore = await measureSessionStore({
      largeStoreSessions: options.largeStoreSessions,
      rounds: options.rounds,
      resolvesPerRound: options.quick ? 2000 : 10_000,
      log,
    });

    const partial = {
      startedAt,
      machine: machine(redisVersion, loadAtStart),
      options,
      unavailable,
      scenarios: throughput,
      openLoop,
      loginStorm,
      accounting,
      revocation,
      sessionStore,
    };
    return { ...partial, targets: evaluateTargets(partial) };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2), process.env);
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping every process the benchmark started…`);
    void runCleanups().then(() => process.exit(130));
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  const began = Date.now();
  try {
    const report = await run(options);
    log(`\n${formatReport(report)}\n`);
    await mkdir(RESULTS_DIR, { recursive: true });
    const text = JSON.stringify(report, null, 2) + "\n";
    const file = path.join(RESULTS_DIR, `${report.startedAt.replace(/[:.]/g, "-")}.json`);
    await writeFile(file, text);
    // latest.json is the committed record of the last full run; a quick smoke run never replaces it.
    if (!options.quick) await writeFile(path.join(RESULTS_DIR, "latest.json"), text);
    const written = options.quick ? "" : " and latest.json";
    log(`written ${path.relative(process.cwd(), file)}${written} (${((Date.now() - began) / 1000).toFixed(0)} s)`);
  } finally {
    await runCleanups();
  }
}

main().catch((error: unknown) => {
  console.error(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  void runCleanups().then(() => process.exit(1));
});
