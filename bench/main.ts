/**
 * `pnpm bench` (`pnpm bench -- --quick` for a CI smoke run, `pnpm bench -- --profile <scenario>` for a gateway CPU
 * profile of one scenario): starts the stack in production mode on Redis, each
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
import { measureThroughput, meteredRun } from "./experiments/throughput";
import { cookieHeader, postGraphQL } from "./client";
import { graphqlTarget, runClosedLoop } from "./load";
import { readOptions, type BenchOptions } from "./options";
import { runCleanups } from "./processes";
import { ME_QUERY, PUBLIC_QUERY } from "./queries";
import { evaluateTargets, formatReport, machine, type BenchReport } from "./report";
import { summarizeProfileIn, type ProfileWindow } from "./profile";
import {
  SCENARIO_PROCESSES,
  buildScenarios,
  checkScenario,
  scenarioProcess,
  withCookies,
  type Scenario,
} from "./scenarios";
import { login, loginForAccessToken, newAccount, seedDocuments, signUp, type Account } from "./seed";
import { graphqlUrl, startStack, type BenchStack } from "./stack";

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

/** Scenario AM is "metrics on" only if its gateway counted the check's request and serves the count. */
async function checkMetricsServed(metricsUrl: string): Promise<void> {
  const response = await fetch(metricsUrl);
  const text = await response.text();
  if (!response.ok || !/^fedsession_http_requests_total\{service="gateway"[^}]*\} [1-9]/m.test(text)) {
    throw new Error(`the metrics gateway's ${metricsUrl} does not count its requests (${response.status})`);
  }
}

interface Seeded {
  gateway: string;
  replica: string;
  cookie: string;
  cookies: string[];
  stormAccounts: Account[];
  revocationAccount: Account;
  accessToken: (() => Promise<string | null>) | null;
  scenarios: Scenario[];
  unavailable: Record<string, string>;
}

/** Accounts, documents and sessions every scenario needs; every scenario checked once. */
async function seed(stack: BenchStack): Promise<Seeded> {
  const unavailable: Record<string, string> = {};
  const gateway = graphqlUrl(stack.gateway);
  const replica = graphqlUrl(stack.gatewayReplica);
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
  await checkMetricsServed(stack.metricsUrl);
  return { gateway, replica, cookie, cookies, stormAccounts, revocationAccount, accessToken, scenarios, unavailable };
}

/**
 * `--profile <scenario>`: the scenario alone (warm-up, then one measured run) with its gateway and the session
 * service under --cpu-prof; each profile and a summary of the measured window go to
 * bench/results/profiles/<timestamp>-<scenario>/{gateway,session}/.
 */
async function runProfile(options: BenchOptions, id: string): Promise<void> {
  const gatewayProcess = scenarioProcess(id);
  if (gatewayProcess === null) {
    throw new Error(`--profile: no scenario "${id}" (try ${Object.keys(SCENARIO_PROCESSES).join(", ")})`);
  }
  const directory = path.join(RESULTS_DIR, "profiles", `${new Date().toISOString().replace(/[:.]/g, "-")}-${id}`);
  await mkdir(directory, { recursive: true });
  log(`profiling scenario ${id} on ${gatewayProcess}: starting the stack in production mode…`);
  const stack = await startStack({
    redisUrl: options.redisUrl,
    bcryptCost: options.bcryptCost,
    profile: { process: gatewayProcess, directory },
  });
  let window: ProfileWindow;
  try {
    const { scenarios } = await seed(stack);
    const scenario = scenarios.find((candidate) => candidate.id === id);
    if (scenario === undefined) throw new Error(`scenario ${id} is not available in this run`);
    await runClosedLoop(await scenario.prepare(), options.connections, options.warmupSeconds);
    const startMicros = monotonicMicros();
    const run = await meteredRun(scenario, stack.processes, options.connections, options.durationSeconds);
    window = { startMicros, endMicros: monotonicMicros(), requests: run.sent };
    log(
      `${id}: ${run.requestsPerSecond.toFixed(0)} req/s, CPU µs/req: ${Object.entries(run.cpuMicrosPerRequest)
        .filter(([, micros]) => micros > 1)
        .map(([name, micros]) => `${name} ${micros.toFixed(0)}`)
        .join(", ")}`,
    );
  } finally {
    // The gateway writes its profile as it exits.
    await stack.stop();
  }
  for (const folder of ["gateway", "session"]) {
    const { profilePath, summaryPath, summary } = await summarizeProfileIn(path.join(directory, folder), window);
    log(`\n${folder}: ${summary}\n`);
    log(`written ${path.relative(process.cwd(), profilePath)} and ${path.relative(process.cwd(), summaryPath)}`);
  }
}

/** The clock V8 stamps profile samples with (CLOCK_MONOTONIC), in µs. */
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

async function run(options: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg()[0] ?? Number.NaN;
  log(`fedsession benchmark (${options.quick ? "quick" : "full"}): starting the stack in production mode…`);
  const stack = await startStack({ redisUrl: options.redisUrl, bcryptCost: options.bcryptCost });
  try {
    const redisVersion = /redis_version:(\S+)/.exec(await stack.redis.info("server"))?.[1] ?? "unknown";
    const { gateway, replica, cookies, stormAccounts, revocationAccount, accessToken, scenarios, unavailable } =
      await seed(stack);
    if (!stack.privateRedis) {
      unavailable.accounting = "BENCH_REDIS_URL is shared: command counts would include other clients' traffic";
    }

    log(`closed loop: ${scenarios.map((scenario) => scenario.id).join(" ")} × ${options.rounds} rounds`);
    const throughput = await measureThroughput(scenarios, stack.processes, options, log);
    const cookieMax = throughput.find((scenario) => scenario.id === "B")?.requestsPerSecond ?? 0;
    const rate = options.openLoopRate ?? Math.max(10, Math.round(cookieMax / 2));

    // Before the login storm, whose logins still in flight would be counted as session writes.
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

    const anonymous = graphqlTarget(gateway, PUBLIC_QUERY);
    const withCookie = withCookies(graphqlTarget(gateway, PUBLIC_QUERY), cookies);
    log(`open loop: A and B at ${rate} req/s${options.openLoopRate === null ? " (half of B's maximum)" : ""}`);
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
    if (options.profile !== null) return await runProfile(options, options.profile);
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
