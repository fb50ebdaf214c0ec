/**
 * `pnpm soak`: a mixed workload at a fixed rate against the real services, each its own process, with two gateway
 * replicas and a private Redis with the shipped persistence (docker-compose.yml). Short TTLs make sessions and
 * throttle counters expire during the run. Fails on any unexpected error or broken promise, on memory that keeps
 * growing after warm-up, or on keys left behind once everything short-lived has expired.
 *
 * `--quick`: 60 s (CI). `--duration=<s>`, `--rate=<requests/s>`. `--chaos`: kills and restarts the session
 * service, the documents subgraph and Redis once each, and reports what users saw meanwhile: only retryable
 * answers (OUTAGE_ANSWER) are expected then.
 */
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Redis from "ioredis";
import { generateKeyMaterial, writeKeyMaterial } from "@fedsession/runtime";
import { freePort, startRedisProcess, type RedisProcess } from "@fedsession/testing";
import { shippedRedisArguments } from "../../test/support/compose";
import { REPO_ROOT, registerCleanup, runCleanups, startChild, type ChildService } from "../processes";
import { median, percentile, round } from "../stats";
import { maxRotations } from "../../subgraphs/session/src/sessions";
import { EXPECTED_SIGN_OUTS, OUTAGE_ANSWER, Workload, type Outcome } from "./workload";

const IDLE_TTL_SECONDS = 20;
const ABSOLUTE_TTL_SECONDS = 40;
const ACCESS_TOKEN_TTL_SECONDS = 20;
const THROTTLE_WINDOW_SECONDS = 20;
/**
 * Growth allowed between the median live memory (what survives a full GC) of the first and the last third of the
 * run after warm-up. A run shorter than five minutes (`--quick`) is too short for a slow leak to stand out of the
 * caches still filling, so it only catches a gross one.
 */
const liveGrowthLimit = (durationSeconds: number) => (durationSeconds >= 300 ? 0.1 : 0.25);
/**
 * RSS is judged too, more loosely: the allocator and V8 keep freed pages for a while, so RSS moves by 10–20 % with
 * no leak (two gateways running the same code under the same load have differed by 19 points).
 */
const rssGrowthLimit = (durationSeconds: number) => (durationSeconds >= 300 ? 0.25 : 0.4);
const HEAP_PROBE = path.join(__dirname, "heap-probe.ts");
const KEY_PREFIX = "soak:";

interface Options {
  durationSeconds: number;
  rate: number;
  chaos: boolean;
}

function readOptions(argv: string[]): Options {
  const flag = (name: string) => argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1];
  const quick = argv.includes("--quick");
  return {
    durationSeconds: Number(flag("duration") ?? (quick ? 60 : 600)),
    rate: Number(flag("rate") ?? (quick ? 10 : 20)),
    chaos: argv.includes("--chaos"),
  };
}

/** Weighted actions, drawn at random at a fixed rate (open loop: a slow answer does not slow the arrivals). */
function actions(workload: Workload): [number, () => Promise<void>][] {
  return [
    [30, () => workload.query("cookie")],
    [15, () => workload.query("token")],
    [5, () => workload.queryEnded()],
    [8, () => workload.login("COOKIE")],
    [5, () => workload.login("TOKEN")],
    [4, () => workload.signUp()],
    [8, () => workload.refresh()],
    [8, () => workload.setData()],
    [4, () => workload.createDocument()],
    [5, () => workload.logout()],
    [2, () => workload.revokeOthers()],
    [2, () => workload.changePassword()],
  ];
}

function rssOf(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, "utf8").then(
    (status) => Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024,
    () => Number.NaN,
  );
}

interface Sample {
  at: number;
  rssMb: Record<string, number>;
  /** Heap plus external memory after a full GC, per service process (`heap-probe.ts`). */
  liveMb: Record<string, number>;
  keys: number;
}

/** Asks a child for its live memory (`heap-probe.ts`) and waits for the answer, at most 2 s. */
async function liveMemoryOf(pid: number, probeDir: string): Promise<number> {
  const file = path.join(probeDir, String(pid));
  await rm(file, { force: true });
  try {
    process.kill(pid, "SIGUSR2");
  } catch {
    return Number.NaN;
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const bytes = await readFile(file, "utf8").then(Number, () => Number.NaN);
    if (Number.isFinite(bytes) && bytes > 0) return bytes / 1024 / 1024;
  }
  return Number.NaN;
}

async function main(): Promise<number> {
  const options = readOptions(process.argv.slice(2));
  const dir = await mkdtemp(path.join(tmpdir(), "fedsession-soak-"));
  registerCleanup(() => rm(dir, { recursive: true, force: true }));
  const keysDir = path.join(dir, "keys");
  const probeDir = path.join(dir, "heap");
  await mkdir(probeDir);
  await writeKeyMaterial(keysDir, await generateKeyMaterial(false));
  const redisArgs = [...(await shippedRedisArguments()), "--dir", dir];
  let redisProcess: RedisProcess = await startRedisProcess(redisArgs);
  registerCleanup(() => redisProcess.kill());
  const redis = new Redis(redisProcess.url, { maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  registerCleanup(async () => redis.disconnect());

  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    KEYS_DIR: keysDir,
    REDIS_URL: redisProcess.url,
    REDIS_KEY_PREFIX: KEY_PREFIX,
    LISTEN_HOST: "127.0.0.1",
    BCRYPT_COST: "4",
    SESSION_IDLE_TTL: String(IDLE_TTL_SECONDS),
    SESSION_ABSOLUTE_TTL: String(ABSOLUTE_TTL_SECONDS),
    ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS),
    LOGIN_THROTTLE_WINDOW: String(THROTTLE_WINDOW_SECONDS),
    SIGNUP_THROTTLE_WINDOW: String(THROTTLE_WINDOW_SECONDS),
    SIGNUP_MAX_PER_IP: "1000000",
    LOGIN_MAX_FAILURES_PER_IP: "1000000",
    SUPERGRAPH_PATH: path.join(REPO_ROOT, "supergraph.graphql"),
    HEAP_PROBE_DIR: probeDir,
    // A soak looks for leaks and broken promises, not latency: on a loaded machine a 2 s bound would turn slowness
    // into 503s. The chaos outages still answer at once (connections refused, Redis commands refused).
    SESSION_LOOKUP_TIMEOUT_MS: "10000",
    SESSION_CALL_TIMEOUT_MS: "10000",
    // The soak client stands for many users behind a proxy: each user's address arrives in X-Forwarded-For.
    TRUSTED_PROXIES: "127.0.0.1",
  };
  const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  const [sessionPort, authPort, documentsPort, gatewayPort, replicaPort] = ports as [
    number,
    number,
    number,
    number,
    number,
  ];
  const children: Record<string, { service: ChildService; entry: string; port: number; env: NodeJS.ProcessEnv }> = {};
  const start = async (name: string, entry: string, port: number, env: NodeJS.ProcessEnv) => {
    const probe = ["--expose-gc", "--import", HEAP_PROBE];
    children[name] = { service: await startChild(name, entry, port, env, probe), entry, port, env };
  };
  await start("session", "subgraphs/session/src/main.ts", sessionPort, { ...base, SESSION_PORT: String(sessionPort) });
  const sessionUrl = `http://127.0.0.1:${sessionPort}`;
  await start("auth", "subgraphs/auth/src/main.ts", authPort, {
    ...base,
    AUTH_PORT: String(authPort),
    SESSION_URL: sessionUrl,
  });
  await start("documents", "subgraphs/documents/src/main.ts", documentsPort, {
    ...base,
    DOCUMENTS_PORT: String(documentsPort),
  });
  const subgraphs = {
    SESSION_URL: sessionUrl,
    AUTH_URL: `http://127.0.0.1:${authPort}`,
    DOCUMENTS_URL: `http://127.0.0.1:${documentsPort}`,
  };
  await start("gateway", "gateway/src/main.ts", gatewayPort, {
    ...base,
    ...subgraphs,
    GATEWAY_PORT: String(gatewayPort),
  });
  await start("gateway-2", "gateway/src/main.ts", replicaPort, {
    ...base,
    ...subgraphs,
    GATEWAY_PORT: String(replicaPort),
  });

  const workload = new Workload(
    [`http://127.0.0.1:${gatewayPort}/graphql`, `http://127.0.0.1:${replicaPort}/graphql`],
    {
      idleMs: IDLE_TTL_SECONDS * 1000,
      absoluteMs: ABSOLUTE_TTL_SECONDS * 1000,
      accessTokenMs: ACCESS_TOKEN_TTL_SECONDS * 1000,
    },
    maxRotations(ABSOLUTE_TTL_SECONDS, ACCESS_TOKEN_TTL_SECONDS),
  );
  for (let index = 0; index < 20; index++) await workload.signUp();
  console.log(
    `soak: ${options.durationSeconds} s at ${options.rate} requests/s, two gateways, idle TTL ${IDLE_TTL_SECONDS} s${options.chaos ? ", chaos" : ""}`,
  );

  const samples: Sample[] = [];
  /** Processes that ended without being killed by the chaos: always a failure, with their last log lines. */
  const deaths: string[] = [];
  const diedAlone = (name: string, service: ChildService): boolean => {
    const ended = service.ended();
    if (ended !== null) deaths.push(`${name} died on its own (${ended}); its last lines:\n${service.recentLog()}`);
    return ended !== null;
  };
  const restarted = new Set<string>();
  const chaosWindows: { what: string; from: number; to: number }[] = [];
  const sample = async () => {
    const rssMb: Record<string, number> = {};
    const liveMb: Record<string, number> = {};
    for (const [name, child] of Object.entries(children)) {
      rssMb[name] = await rssOf(child.service.pid);
      liveMb[name] = await liveMemoryOf(child.service.pid, probeDir);
    }
    const memory = await redis.info("memory").catch(() => "");
    rssMb.redis = Number(/used_memory_rss:(\d+)/.exec(memory)?.[1] ?? Number.NaN) / 1024 / 1024;
    samples.push({ at: Date.now(), rssMb, liveMb, keys: await redis.dbsize().catch(() => Number.NaN) });
  };

  /** SIGKILL, a few seconds down, then the same process again on the same port. */
  const crash = async (what: string, kill: () => Promise<void>, revive: () => Promise<void>) => {
    const from = Date.now();
    console.log(`chaos: killing ${what}`);
    await kill();
    await new Promise((resolve) => setTimeout(resolve, 5000));
    await revive();
    restarted.add(what);
    chaosWindows.push({ what, from, to: Date.now() + 10_000 });
    console.log(`chaos: ${what} back after ${round((Date.now() - from) / 1000, 1)} s`);
  };
  const crashChild = (name: string) =>
    crash(
      name,
      async () => {
        const { service } = children[name] as { service: ChildService };
        if (!diedAlone(name, service)) process.kill(service.pid, "SIGKILL");
      },
      async () => {
        const child = children[name] as { entry: string; port: number; env: NodeJS.ProcessEnv };
        await start(name, child.entry, child.port, child.env);
      },
    );
  const chaos = [
    { at: 0.25, run: () => crashChild("session") },
    { at: 0.5, run: () => crashChild("documents") },
    {
      at: 0.75,
      run: () =>
        crash(
          "redis",
          () => redisProcess.kill(),
          async () => {
            redisProcess = await startRedisProcess(redisArgs, redisProcess.port);
          },
        ),
    },
  ];

  const table = actions(workload);
  const totalWeight = table.reduce((sum, [weight]) => sum + weight, 0);
  const draw = () => {
    let pick = Math.random() * totalWeight;
    for (const [weight, run] of table) if ((pick -= weight) < 0) return run;
    return (table[0] as [number, () => Promise<void>])[1];
  };
  const started = Date.now();
  const endsAt = started + options.durationSeconds * 1000;
  const inFlight = new Set<Promise<void>>();
  const sampler = setInterval(() => void sample(), options.durationSeconds >= 300 ? 5000 : 2000);
  const chaosRuns: Promise<void>[] = [];
  let skipped = 0;
  for (let tick = 0; Date.now() < endsAt; tick++) {
    const due = started + (tick * 1000) / options.rate;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const next = chaos[0];
    if (options.chaos && next && Date.now() - started >= next.at * options.durationSeconds * 1000) {
      chaos.shift();
      chaosRuns.push(next.run());
    }
    // A bound on concurrency, so an outage cannot pile up unbounded requests in this process.
    if (inFlight.size >= 500) {
      skipped++;
      continue;
    }
    const running: Promise<void> = draw()().finally(() => inFlight.delete(running));
    inFlight.add(running);
  }
  await Promise.all([...inFlight, ...chaosRuns]);
  clearInterval(sampler);
  await sample();
  for (const [name, child] of Object.entries(children)) diedAlone(name, child.service);

  // Everything short-lived (sessions, their indexes, throttle counters) must be gone once its TTL has passed.
  // The per-user index lives until its newest session's absolute deadline.
  const expiryWait = (Math.max(ABSOLUTE_TTL_SECONDS, THROTTLE_WINDOW_SECONDS) + 5) * 1000;
  console.log(`workload done; waiting ${expiryWait / 1000} s for sessions and throttle counters to expire`);
  await new Promise((resolve) => setTimeout(resolve, expiryWait));
  const keys = await countKeys(redis);
  const missingDocuments = (
    await Promise.all(workload.documentIds.map((id) => redis.exists(`${KEY_PREFIX}document:{${id}}`)))
  ).filter((exists) => exists === 0).length;

  const failures = report({
    options,
    outcomes: workload.outcomes,
    samples,
    started,
    restarted,
    chaosWindows,
    keys,
    users: workload.userCount,
    signUps: workload.signUpsAttempted,
    documents: workload.documentIds.length,
    missingDocuments,
    deaths,
    skipped,
  });
  for (const failure of failures) console.log(`FAIL: ${failure}`);
  if (failures.length > 0)
    for (const [name, child] of Object.entries(children)) {
      const errors = child.service.recentProblems();
      if (errors.length > 0) console.log(`${name}, last warnings and errors:\n${errors.join("\n")}`);
    }
  console.log(failures.length === 0 ? "soak: PASS" : `soak: FAIL (${failures.length})`);
  return failures.length === 0 ? 0 : 1;
}

async function countKeys(redis: Redis): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${KEY_PREFIX}*`, "COUNT", 1000);
    for (const key of batch) {
      // A client the owner signed in from is remembered for KNOWN_CLIENT_DAYS by design: not a leak.
      const kind = key.includes(":known:") ? "known-client" : (key.slice(KEY_PREFIX.length).split(/[:{]/)[0] as string);
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    cursor = next;
  } while (cursor !== "0");
  return counts;
}

function report(run: {
  options: Options;
  outcomes: Outcome[];
  samples: Sample[];
  started: number;
  restarted: Set<string>;
  chaosWindows: { what: string; from: number; to: number }[];
  keys: Record<string, number>;
  users: number;
  signUps: number;
  documents: number;
  missingDocuments: number;
  deaths: string[];
  skipped: number;
}): string[] {
  const failures: string[] = [];
  const { outcomes, options } = run;
  const windowMs = options.durationSeconds >= 300 ? 60_000 : 10_000;
  console.log(`\nlatency by ${windowMs / 1000} s window (all requests, both gateways)`);
  console.log("window   requests   p50 ms   p99 ms   errors");
  for (let from = run.started; from < run.started + options.durationSeconds * 1000; from += windowMs) {
    const inWindow = outcomes.filter((outcome) => outcome.at >= from && outcome.at < from + windowMs);
    const sorted = inWindow.map((outcome) => outcome.ms).sort((a, b) => a - b);
    const errors = inWindow.filter((outcome) => outcome.seen !== "ok" && !EXPECTED_SIGN_OUTS.has(outcome.seen)).length;
    console.log(
      `${String((from - run.started) / 1000).padStart(5)} s ${String(inWindow.length).padStart(9)} ${String(round(percentile(sorted, 50), 1)).padStart(8)} ${String(round(percentile(sorted, 99), 1)).padStart(8)} ${String(errors).padStart(8)}`,
    );
  }

  const sinceStart = (outcome: Outcome) => `${round((outcome.at - run.started) / 1000, 1)} s`;
  /** How long after the last chaos window an error came: recovery that outlasted its window shows here. */
  const afterChaos = (outcome: Outcome) => {
    const last = run.chaosWindows.filter((window) => window.to < outcome.at - outcome.ms).at(-1);
    return last === undefined ? "" : ` (${round((outcome.at - last.to) / 1000, 1)} s after the ${last.what} window)`;
  };
  // A request belongs to an outage when its life overlaps the window: one sent during it may be answered (a 503
  // after the lookup timeout) once the window has closed.
  const inChaos = (outcome: Outcome) =>
    run.chaosWindows.some((window) => outcome.at - outcome.ms <= window.to && outcome.at >= window.from);
  const seen = new Map<string, number>();
  for (const outcome of outcomes) {
    const unusual = outcome.seen !== "ok" && !EXPECTED_SIGN_OUTS.has(outcome.seen);
    const key = `${outcome.action}: ${outcome.seen}${unusual && inChaos(outcome) ? " (during chaos)" : ""}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    if (outcome.violation) failures.push(`${outcome.action}: ${outcome.violation}`);
    else if (unusual && !(inChaos(outcome) && OUTAGE_ANSWER.test(outcome.seen))) {
      const when = inChaos(outcome) ? " (during chaos)" : afterChaos(outcome);
      failures.push(`unexpected ${outcome.action} at ${sinceStart(outcome)}: ${outcome.seen}${when}`);
    }
  }
  console.log(`\nwhat users saw (${outcomes.length} requests)`);
  for (const [key, count] of [...seen].sort()) console.log(`  ${String(count).padStart(6)}  ${key}`);
  for (const window of run.chaosWindows)
    console.log(`  chaos window: ${window.what}, ${round((window.to - window.from) / 1000, 1)} s`);

  const warmupMs = Math.min(120_000, (options.durationSeconds * 1000) / 3);
  const settled = run.samples.filter((sample) => sample.at - run.started >= warmupMs);
  const third = Math.max(1, Math.floor(settled.length / 3));
  const judgeGrowth = (title: string, of: (sample: Sample) => Record<string, number>, limit: number) => {
    console.log(`\n${title} (MB): median of the first and last third after warm-up; at most +${limit * 100} %`);
    for (const name of Object.keys(of(run.samples[0] as Sample))) {
      const early = median(settled.slice(0, third).map((sample) => of(sample)[name] as number));
      const late = median(settled.slice(-third).map((sample) => of(sample)[name] as number));
      const growth = (late - early) / early;
      const note = run.restarted.has(name) ? " (restarted by chaos: not judged)" : "";
      console.log(
        `  ${name.padEnd(10)} ${String(round(early, 1)).padStart(7)} -> ${String(round(late, 1)).padStart(7)}  ${round(growth * 100, 1)} %${note}`,
      );
      if (!run.restarted.has(name) && !(growth <= limit))
        failures.push(`${name} ${title} grew ${round(growth * 100, 1)} % after warm-up`);
    }
  };
  judgeGrowth("live memory after a full GC", (sample) => sample.liveMb, liveGrowthLimit(options.durationSeconds));
  judgeGrowth("RSS", (sample) => sample.rssMb, rssGrowthLimit(options.durationSeconds));

  const keyCount = (kind: string) => run.keys[kind] ?? 0;
  console.log(
    `\nRedis keys after expiry: ${JSON.stringify(run.keys)}; users signed up ${run.users}, documents ${run.documents}`,
  );
  for (const kind of ["s", "u", "throttle"])
    if (keyCount(kind) > 0)
      failures.push(`${keyCount(kind)} "${kind}" keys left after every session and throttle window expired`);
  if (keyCount("user") < run.users || keyCount("user-email") < run.users)
    failures.push("an acknowledged sign-up was lost");
  for (const kind of ["user", "user-email"])
    if (keyCount(kind) > run.signUps) failures.push(`${keyCount(kind)} ${kind} keys for ${run.signUps} sign-ups`);
  if (run.missingDocuments > 0) failures.push(`${run.missingDocuments} acknowledged documents were lost`);
  failures.push(...run.deaths);
  if (run.skipped > 0) console.log(`${run.skipped} arrivals skipped: 500 requests were already in flight`);
  return failures;
}

let interrupted = false;
process.on("SIGINT", () => {
  if (interrupted) return;
  interrupted = true;
  void runCleanups().then(() => process.exit(130));
});
main().then(
  async (code) => {
    await runCleanups();
    process.exit(code);
  },
  async (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    await runCleanups();
    process.exit(1);
  },
);
