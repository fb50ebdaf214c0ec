import { cpuPerRequest, cpuSnapshot, type MeteredProcess } from "../cpu";
import { runClosedLoop, type LoadResult } from "../load";
import type { Scenario } from "../scenarios";
import { median } from "../stats";

export interface ScenarioRun extends LoadResult {
  /** CPU µs per request sent, by process (user + system time from /proc). */
  cpuMicrosPerRequest: Record<string, number>;
}

export interface ScenarioFigures {
  id: string;
  label: string;
  /** The gateway process that served it. */
  process: string;
  /** Medians over rounds. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  /** Median over rounds of each process's CPU µs per request. */
  cpuMicrosPerRequest: Record<string, number>;
  runs: ScenarioRun[];
}

/**
 * One closed-loop run with every process's CPU time read before and after, after `settleSeconds` of the same load
 * unmeasured: a gateway process that sat idle while other scenarios ran costs more per request for its first
 * seconds back (docs/performance.md, "Why a gateway process that serves one scenario costs more").
 */
export async function meteredRun(
  scenario: Scenario,
  processes: readonly MeteredProcess[],
  connections: number,
  seconds: number,
  settleSeconds = 0,
): Promise<ScenarioRun> {
  const target = await scenario.prepare();
  if (settleSeconds > 0) await runClosedLoop(target, connections, settleSeconds);
  const before = cpuSnapshot(processes);
  const result = await runClosedLoop(target, connections, seconds);
  return { ...result, cpuMicrosPerRequest: cpuPerRequest(before, cpuSnapshot(processes), result.sent) };
}

function medianByProcess(runs: readonly ScenarioRun[]): Record<string, number> {
  const names = new Set(runs.flatMap((run) => Object.keys(run.cpuMicrosPerRequest)));
  const medians: Record<string, number> = {};
  for (const name of names) {
    medians[name] = median(runs.map((run) => run.cpuMicrosPerRequest[name] ?? Number.NaN).filter(Number.isFinite));
  }
  return medians;
}

/**
 * Warms every scenario up, then runs them in turn, forwards in odd rounds and backwards in even ones (A B … H H … B
 * A …), so drift hits all of them alike and neither member of a neighbouring pair always runs first.
 */
export async function measureThroughput(
  scenarios: Scenario[],
  processes: readonly MeteredProcess[],
  options: {
    rounds: number;
    connections: number;
    durationSeconds: number;
    warmupSeconds: number;
    settleSeconds: number;
  },
  log: (line: string) => void,
): Promise<ScenarioFigures[]> {
  // Every gateway process is warmed up as long as the one serving the most scenarios (the main gateway, five), its
  // time shared among its scenarios: V8 is still optimising a process after one scenario's few seconds.
  const scenariosOf = new Map<string, number>();
  for (const { process } of scenarios) scenariosOf.set(process, (scenariosOf.get(process) ?? 0) + 1);
  const most = Math.max(...scenariosOf.values());
  for (const scenario of scenarios) {
    const seconds = Math.ceil((options.warmupSeconds * most) / (scenariosOf.get(scenario.process) ?? 1));
    await runClosedLoop(await scenario.prepare(), options.connections, seconds);
  }
  const runs = new Map<string, ScenarioRun[]>(scenarios.map((scenario) => [scenario.id, []]));
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? scenarios : [...scenarios].reverse();
    for (const scenario of order) {
      const result = await meteredRun(
        scenario,
        processes,
        options.connections,
        options.durationSeconds,
        options.settleSeconds,
      );
      runs.get(scenario.id)?.push(result);
      const gatewayCpu = result.cpuMicrosPerRequest[scenario.process] ?? Number.NaN;
      log(
        `  round ${round} ${scenario.id.padEnd(2)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms  gateway CPU ${gatewayCpu.toFixed(0)} µs/req${result.failures > 0 ? `  FAILURES ${result.failures}` : ""}`,
      );
    }
  }
  return scenarios.map((scenario) => {
    const list = runs.get(scenario.id) ?? [];
    return {
      id: scenario.id,
      label: scenario.label,
      process: scenario.process,
      requestsPerSecond: median(list.map((run) => run.requestsPerSecond)),
      p50Ms: median(list.map((run) => run.p50Ms)),
      p99Ms: median(list.map((run) => run.p99Ms)),
      failures: list.reduce((sum, run) => sum + run.failures, 0),
      cpuMicrosPerRequest: medianByProcess(list),
      runs: list,
    };
  });
}
