/**
 * Issue 8, item 4 (bcrypt starvation): with BCRYPT_CONCURRENCY=1, one client sends correct logins for its own account
 * faster than bcrypt runs, while another user logs in from another address. Reports the other user's login latency
 * and outcome, idle and under the flood. Bounded: one private Redis, four services, a fixed flood duration.
 *
 *   npx tsx bench/experiments/login-flood.ts [--seconds 20] [--rate 40] [--cost 10] [--no-attempt-limits]
 *
 * The flood is open-loop: `--rate` logins a second whatever the answers (at most MAX_IN_FLIGHT unanswered), several
 * times what one bcrypt thread gets through at cost 10, so a plain FIFO queue would only grow.
 *
 * Every service runs as its own process in production mode; the gateway trusts X-Forwarded-For from 127.0.0.1, so the
 * two clients have the addresses the run gives them. `--no-attempt-limits` lifts the per-client attempt limits, so
 * that only the fair bcrypt queue stands between the flood and the victim.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { generateKeyMaterial, writeKeyMaterial } from "@fedsession/runtime";
import { freePort, startRedisProcess } from "@fedsession/testing";
import { postGraphQL, type GraphQLReply } from "../client";
import { REPO_ROOT, startChild, stopAllChildren } from "../processes";
import { LOGIN, SIGN_UP } from "../queries";
import { newAccount, type Account } from "../seed";
import { median, percentile } from "../stats";

interface Options {
  seconds: number;
  rate: number;
  cost: number;
  attemptLimits: boolean;
}

function readOptions(argv: string[]): Options {
  const value = (name: string, fallback: number) => {
    const index = argv.indexOf(name);
    if (index === -1) return fallback;
    const parsed = Number(argv[index + 1]);
    if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name} needs a positive whole number`);
    return parsed;
  };
  return {
    seconds: value("--seconds", 20),
    rate: value("--rate", 40),
    cost: value("--cost", 10),
    attemptLimits: !argv.includes("--no-attempt-limits"),
  };
}

const MAX_IN_FLIGHT = 400;
const FLOODER_IP = "203.0.113.7";
const VICTIM_IP = "198.51.100.30";

const from = (ip: string) => ({ "x-forwarded-for": ip });

function outcomeOf(reply: GraphQLReply): string {
  const error = reply.errors[0];
  if (error === undefined) return reply.data?.login ? "ok" : "no data";
  const code = error.extensions?.code ?? "no code";
  // Without the number of seconds, so that answers of one kind are tallied together.
  return `${code} (${error.message.replace(/\d+ seconds/, "N seconds")})`;
}

async function timedLogin(url: string, account: Account, ip: string) {
  const started = performance.now();
  const reply = await postGraphQL(url, LOGIN, { ...account }, from(ip));
  return { ms: performance.now() - started, outcome: outcomeOf(reply) };
}

const tally = (outcomes: string[]) =>
  outcomes.reduce<Record<string, number>>(
    (counts, outcome) => ({ ...counts, [outcome]: (counts[outcome] ?? 0) + 1 }),
    {},
  );

const figures = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: Math.round(median(sorted)),
    p90: Math.round(percentile(sorted, 90)),
    max: Math.round(sorted[sorted.length - 1] ?? Number.NaN),
  };
};

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const keysDir = await mkdtemp(path.join(tmpdir(), "fedsession-login-flood-"));
  const redis = await startRedisProcess();
  try {
    await writeKeyMaterial(keysDir, await generateKeyMaterial(false));
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      KEYS_DIR: keysDir,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: "flood:",
      LISTEN_HOST: "127.0.0.1",
      SUPERGRAPH_PATH: path.join(REPO_ROOT, "supergraph.graphql"),
    };
    const [sessionPort, authPort, documentsPort, gatewayPort] = (await Promise.all(
      Array.from({ length: 4 }, () => freePort()),
    )) as [number, number, number, number];
    const session = await startChild("session", "subgraphs/session/src/main.ts", sessionPort, {
      ...base,
      SESSION_PORT: String(sessionPort),
    });
    const [auth, documents] = await Promise.all([
      startChild("auth", "subgraphs/auth/src/main.ts", authPort, {
        ...base,
        AUTH_PORT: String(authPort),
        SESSION_URL: session.origin,
        BCRYPT_COST: String(options.cost),
        BCRYPT_CONCURRENCY: "1",
        ...(options.attemptLimits
          ? {}
          : { LOGIN_MAX_ATTEMPTS_PER_IP: "1000000", LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: "1000000" }),
      }),
      startChild("documents", "subgraphs/documents/src/main.ts", documentsPort, {
        ...base,
        DOCUMENTS_PORT: String(documentsPort),
      }),
    ]);
    await startChild("gateway", "gateway/src/main.ts", gatewayPort, {
      ...base,
      SESSION_URL: session.origin,
      AUTH_URL: auth.origin,
      DOCUMENTS_URL: documents.origin,
      GATEWAY_PORT: String(gatewayPort),
      TRUSTED_PROXIES: "127.0.0.1",
    });
    const url = `http://127.0.0.1:${gatewayPort}/graphql`;

    const flooder = newAccount("flooder");
    const victim = newAccount("victim");
    for (const [account, ip] of [
      [flooder, FLOODER_IP],
      [victim, VICTIM_IP],
    ] as const) {
      const reply = await postGraphQL(url, SIGN_UP, { ...account }, from(ip));
      if (reply.errors.length > 0) throw new Error(`sign-up failed: ${outcomeOf(reply)}`);
    }

    const idle = [];
    for (let i = 0; i < 5; i += 1) idle.push(await timedLogin(url, victim, VICTIM_IP));

    const floodOutcomes: string[] = [];
    const floodMs: number[] = [];
    const inFlight = new Set<Promise<void>>();
    let skipped = 0;
    const flood = setInterval(() => {
      if (inFlight.size >= MAX_IN_FLIGHT) {
        skipped += 1;
        return;
      }
      const request: Promise<void> = timedLogin(url, flooder, FLOODER_IP).then(
        (sample) => {
          floodOutcomes.push(sample.outcome);
          floodMs.push(sample.ms);
        },
        (error: unknown) => void floodOutcomes.push(error instanceof Error ? error.message : String(error)),
      );
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }, 1000 / options.rate);
    // Let the queue fill before the victim arrives, as it would in a flood already under way.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const during = [];
    const until = performance.now() + options.seconds * 1000;
    while (performance.now() < until) {
      during.push(await timedLogin(url, victim, VICTIM_IP));
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    clearInterval(flood);
    await Promise.all(inFlight);

    const report = {
      // The machine's 1-minute load average at the end: the latencies mean little without it.
      loadAverage: Number(loadavg()[0]?.toFixed(1)),
      scenario: `BCRYPT_CONCURRENCY=1, bcrypt cost ${options.cost}, ${options.rate} correct logins/s from ${FLOODER_IP} for its own account, ${options.seconds} s; victim logs in from ${VICTIM_IP} every 0.5 s after its previous answer`,
      attemptLimits: options.attemptLimits ? "defaults" : "lifted",
      victimIdle: {
        ms: figures(idle.map((sample) => sample.ms)),
        outcomes: tally(idle.map((sample) => sample.outcome)),
      },
      victimUnderFlood: {
        logins: during.length,
        ms: figures(during.map((sample) => sample.ms)),
        outcomes: tally(during.map((sample) => sample.outcome)),
      },
      flood: {
        requests: floodOutcomes.length,
        skippedAtInFlightCap: skipped,
        ms: figures(floodMs),
        outcomes: tally(floodOutcomes),
      },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await stopAllChildren();
    await redis.kill();
    await rm(keysDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
