import { runClosedLoop, type LoadResult } from "../load";
import type { Scenario } from "../scenarios";
import { median } from "../stats";

export interface ScenarioFigures {
  id: string;
  label: string;
  /** Medians over rounds. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  runs: LoadResult[];
}

/** Warms every scenario up, then runs them in turn (A B C D … A B C D …) so drift hits all of them alike. */
export async function measureThroughput(
  scenarios: Scenario[],
  options: { rounds: number; connections: number; durationSeconds: number; warmupSeconds: number },
  log: (line: string) => void,
): Promise<ScenarioFigures[]> {
  for (const scenario of scenarios) {
    await runClosedLoop(await scenario.prepare(), options.connections, options.warmupSeconds);
  }
  const runs = new Map<string, LoadResult[]>(scenarios.map((scenario) => [scenario.id, []]));
  for (let round = 1; round <= options.rounds; round++) {
    for (const scenario of scenarios) {
      const result = await runClosedLoop(await scenario.prepare(), options.connections, options.durationSeconds);
      runs.get(scenario.id)?.push(result);
      log(
        `  round ${round} ${scenario.id.padEnd(2)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms${result.failures > 0 ? `  FAILURES ${result.failures}` : ""}`,
      );
    }
  }
  return scenarios.map((scenario) => {
    const list = runs.get(scenario.id) ?? [];
    return {
      id: scenario.id,
      label: scenario.label,
      requestsPerSecond: median(list.map((run) => run.requestsPerSecond)),
      p50Ms: median(list.map((run) => run.p50Ms)),
      p99Ms: median(list.map((run) => run.p99Ms)),
      failures: list.reduce((sum, run) => sum + run.failures, 0),
      runs: list,
    };
  });
}
