import { postGraphQL } from "../client";
import { runOpenLoop, type LoadResult, type LoadTarget } from "../load";
import { LOGIN } from "../queries";
import type { Account } from "../seed";
import { median } from "../stats";

export interface OpenLoopFigures {
  ratePerSecond: number;
  /** Medians over rounds. */
  anonymousP50Ms: number;
  anonymousP99Ms: number;
  cookieP50Ms: number;
  cookieP99Ms: number;
  /** Median over rounds of p99(B) − p99(A) within the round. */
  p99DifferenceMs: number;
  failures: number;
}

/** A and B at the same fixed rate, alternating, latency measured from each request's scheduled start. */
export async function measureOpenLoop(
  anonymous: LoadTarget,
  cookie: LoadTarget,
  options: { ratePerSecond: number; rounds: number; durationSeconds: number },
): Promise<OpenLoopFigures> {
  const a: LoadResult[] = [];
  const b: LoadResult[] = [];
  await runOpenLoop(anonymous, options.ratePerSecond, 1);
  await runOpenLoop(cookie, options.ratePerSecond, 1);
  for (let round = 0; round < options.rounds; round++) {
    a.push(await runOpenLoop(anonymous, options.ratePerSecond, options.durationSeconds));
    b.push(await runOpenLoop(cookie, options.ratePerSecond, options.durationSeconds));
  }
  return {
    ratePerSecond: options.ratePerSecond,
    anonymousP50Ms: median(a.map((run) => run.p50Ms)),
    anonymousP99Ms: median(a.map((run) => run.p99Ms)),
    cookieP50Ms: median(b.map((run) => run.p50Ms)),
    cookieP99Ms: median(b.map((run) => run.p99Ms)),
    p99DifferenceMs: median(b.map((run, round) => run.p99Ms - (a[round] as LoadResult).p99Ms)),
    failures: [...a, ...b].reduce((sum, run) => sum + run.failures, 0),
  };
}

export interface LoginStormFigures {
  ratePerSecond: number;
  loginLoops: number;
  idleP99Ms: number;
  stormP99Ms: number;
  idleP50Ms: number;
  stormP50Ms: number;
  /** stormP99Ms / idleP99Ms. */
  p99Ratio: number;
  loginsPerSecond: number;
  loginFailures: number;
  failures: number;
}

/** Scenario B at a fixed rate, idle and while `loops` clients log in back to back (bcrypt at the deployed cost). */
export async function measureLoginStorm(
  cookie: LoadTarget,
  gatewayUrl: string,
  accounts: Account[],
  options: { ratePerSecond: number; rounds: number; durationSeconds: number },
): Promise<LoginStormFigures> {
  const idle: LoadResult[] = [];
  const storm: LoadResult[] = [];
  let logins = 0;
  let loginFailures = 0;
  let stormSeconds = 0;
  for (let round = 0; round < options.rounds; round++) {
    idle.push(await runOpenLoop(cookie, options.ratePerSecond, options.durationSeconds));
    let running = true;
    // Each loop is a client of its own (the gateway trusts X-Forwarded-For from the bench): auth queues bcrypt work
    // fairly per client, so eight loops from one address would mostly be refused at once rather than load bcrypt.
    const loop = async (account: Account, index: number) => {
      while (running) {
        const reply = await postGraphQL(
          gatewayUrl,
          LOGIN,
          { ...account },
          { "x-forwarded-for": `198.51.100.${index + 1}` },
        );
        if (reply.data?.login == null) loginFailures++;
        else logins++;
      }
    };
    const loops = accounts.map(loop);
    // Let the storm reach full strength before measuring.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = Date.now();
    storm.push(await runOpenLoop(cookie, options.ratePerSecond, options.durationSeconds));
    stormSeconds += (Date.now() - started) / 1000;
    running = false;
    await Promise.all(loops);
  }
  const idleP99 = median(idle.map((run) => run.p99Ms));
  const stormP99 = median(storm.map((run) => run.p99Ms));
  return {
    ratePerSecond: options.ratePerSecond,
    loginLoops: accounts.length,
    idleP99Ms: idleP99,
    stormP99Ms: stormP99,
    idleP50Ms: median(idle.map((run) => run.p50Ms)),
    stormP50Ms: median(storm.map((run) => run.p50Ms)),
    p99Ratio: stormP99 / idleP99,
    loginsPerSecond: logins / stormSeconds,
    loginFailures,
    failures: [...idle, ...storm].reduce((sum, run) => sum + run.failures, 0),
  };
}
