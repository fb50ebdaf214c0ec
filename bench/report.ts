import os from "node:os";
import type { AccountingFigures } from "./experiments/accounting";
import type { LoginStormFigures, OpenLoopFigures } from "./experiments/open-loop";
import type { RevocationFigures } from "./experiments/revocation";
import type { SessionStoreFigures } from "./experiments/session-store";
import type { ScenarioFigures, ScenarioRun } from "./experiments/throughput";
import type { BenchOptions } from "./options";
import { median } from "./stats";

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

export interface BenchReport {
  startedAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGb: number;
    node: string;
    redis: string;
    platform: string;
    /** 1-minute load average when the run started and ended: anything above ~0 means other work shared the cores. */
    loadAverage: { atStart: number; atEnd: number };
  };
  options: BenchOptions;
  /** Why a scenario or an experiment is missing, by id. */
  unavailable: Record<string, string>;
  scenarios: ScenarioFigures[];
  openLoop: OpenLoopFigures | null;
  loginStorm: LoginStormFigures | null;
  accounting: AccountingFigures | null;
  revocation: RevocationFigures | null;
  sessionStore: SessionStoreFigures | null;
  targets: Target[];
}

export function machine(redisVersion: string, loadAtStart: number): BenchReport["machine"] {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    redis: redisVersion,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: { atStart: loadAtStart, atEnd: os.loadavg()[0] ?? Number.NaN },
  };
}

const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");

/** The targets, each with the measured value and whether it holds (null: not measured in this run). */
export function evaluateTargets(report: Omit<BenchReport, "targets">): Target[] {
  const byId = new Map(report.scenarios.map((scenario) => [scenario.id, scenario]));
  const a = byId.get("A");
  const b = byId.get("B");
  const targets: Target[] = [];
  const ratio = a && b ? b.requestsPerSecond / a.requestsPerSecond : Number.NaN;
  targets.push({
    name: "B/A throughput",
    goal: "≥ 0.95",
    measured: fixed(ratio),
    met: Number.isFinite(ratio) ? ratio >= 0.95 : null,
  });
  // Throughput on a shared two-core box moves with other load; the CPU each request costs all processes does not
  // as much, and on a CPU-bound box the throughput ratio follows it.
  const cpuRatio = a && b ? totalCpuMicros(a) / totalCpuMicros(b) : Number.NaN;
  targets.push({
    name: "B/A by CPU per request (A's total ÷ B's total)",
    goal: "≥ 0.95",
    measured: fixed(cpuRatio),
    met: Number.isFinite(cpuRatio) ? cpuRatio >= 0.95 : null,
  });
  const stateless = byId.get("S");
  const statelessRatio = a && stateless ? stateless.requestsPerSecond / a.requestsPerSecond : Number.NaN;
  targets.push({
    name: "S/A throughput, raw (S's own process vs A on the main gateway)",
    goal: "≥ 0.97",
    measured: `${fixed(statelessRatio)} (by CPU per request: ${a && stateless ? fixed(totalCpuMicros(a) / totalCpuMicros(stateless)) : "n/a"})`,
    met: Number.isFinite(statelessRatio) ? statelessRatio >= 0.97 : null,
  });
  targets.push(pairTarget(report.scenarios, "S/A throughput, same process (S ÷ A@S)", "S", "A@S", 0.97));
  const cached = byId.get("BC");
  const cachedRatio = a && cached ? cached.requestsPerSecond / a.requestsPerSecond : Number.NaN;
  targets.push({
    name: "BC/A throughput, raw (BC's own process vs A on the main gateway)",
    goal: "≥ 0.95",
    measured: fixed(cachedRatio),
    met: Number.isFinite(cachedRatio) ? cachedRatio >= 0.95 : null,
  });
  targets.push(pairTarget(report.scenarios, "BC/A throughput, same process (BC ÷ A@BC)", "BC", "A@BC", 0.95));
  const metrics = comparePair(report.scenarios, METRICS_PAIR);
  // Two processes differ by more than metrics cost (docs/performance.md): when the rounds disagree on which twin
  // costs more, the difference is within this run's noise.
  const offOverOn = metrics ? metrics.gatewayCpuRatios.map((ratio) => 1 / ratio) : [];
  targets.push({
    name: "metrics' cost: A's gateway CPU, metrics off ÷ on (AN ÷ AM)",
    goal: "≥ 0.97 or rounds disagree",
    measured: metrics
      ? `${fixed(1 / metrics.gatewayCpuRatio)} (rounds ${fixed(Math.min(...offOverOn))}–${fixed(Math.max(...offOverOn))}; ${fixed(metrics.secondGatewayMicros, 0)} / ${fixed(metrics.firstGatewayMicros, 0)} µs; throughput AM/AN ${fixed(metrics.throughputRatio)})`
      : "n/a",
    met: metrics
      ? 1 / metrics.gatewayCpuRatio >= 0.97 || (Math.min(...offOverOn) <= 1 && Math.max(...offOverOn) >= 1)
      : null,
  });
  const open = report.openLoop;
  targets.push({
    name: "p99(B) − p99(A), open loop",
    goal: "≤ 2 ms",
    measured: open ? `${fixed(open.p99DifferenceMs)} ms at ${fixed(open.ratePerSecond, 0)} req/s` : "n/a",
    met: open ? open.p99DifferenceMs <= 2 : null,
  });
  const accounting = report.accounting;
  const batch = accounting?.cookie.batchSize;
  targets.push({
    name: `session-service calls per credentialed request (${report.options.connections} connections)`,
    goal: "≤ 0.2",
    measured:
      accounting && batch
        ? `${fixed(accounting.cookie.sessionServiceCallsPerRequest, 3)} (batch mean ${fixed(batch.mean, 1)}, p50 ${fixed(batch.p50, 0)}, max ${batch.max})`
        : "n/a",
    met: accounting ? accounting.cookie.sessionServiceCallsPerRequest <= 0.2 : null,
  });
  targets.push({
    name: "session-Redis round trips per batch",
    goal: "1 (one MGET)",
    measured: accounting
      ? `${fixed(accounting.mgetsPerBatch, 3)} MGET per call; all commands ${fixed(accounting.redisCommandsPerCredentialedRequest, 3)} per request`
      : "n/a",
    met: accounting ? Math.abs(accounting.mgetsPerBatch - 1) < 0.01 : null,
  });
  targets.push({
    name: "resolves that write to Redis",
    goal: "≤ 1 %",
    measured: accounting ? `${fixed(accounting.writesPerResolve * 100, 3)} %` : "n/a",
    met: accounting ? accounting.writesPerResolve <= 0.01 : null,
  });
  const revocation = report.revocation;
  targets.push({
    name: "logout on replica 1 seen by replica 2 (p99)",
    goal: "≤ 100 ms",
    measured: revocation ? `${fixed(revocation.p99Ms)} ms (n=${revocation.samples})` : "n/a",
    met: revocation ? revocation.p99Ms <= 100 : null,
  });
  const storm = report.loginStorm;
  targets.push({
    name: "p99 during 8 login loops / idle p99",
    goal: "≤ 2×",
    measured: storm ? `${fixed(storm.p99Ratio)}× (${fixed(storm.stormP99Ms)} / ${fixed(storm.idleP99Ms)} ms)` : "n/a",
    met: storm ? storm.p99Ratio <= 2 : null,
  });
  const store = report.sessionStore;
  targets.push({
    name: `Redis memory per session at ${store?.memorySessions ?? 100000}`,
    goal: "≤ 512 bytes",
    measured: store ? `${fixed(store.bytesPerSession, 0)} bytes` : "n/a",
    met: store ? store.bytesPerSession <= 512 : null,
  });
  targets.push({
    name: store
      ? `resolve p50, ${store.largeStoreSessions} vs ${store.smallStoreSessions} sessions`
      : "resolve latency, large vs small store",
    goal: "within 10 %",
    measured: store
      ? `${fixed(store.resolveRatio)}× (${fixed(store.largeResolveP50Ms, 3)} / ${fixed(store.smallResolveP50Ms, 3)} ms)`
      : "n/a",
    met: store ? store.resolveRatio <= 1.1 : null,
  });
  return targets;
}

/** Two scenarios compared round by round: `first` against `second`, run in the same round (S and A@S next to each other). */
interface Pair {
  first: string;
  second: string;
  isolates: string;
}

const METRICS_PAIR: Pair = { first: "AM", second: "AN", isolates: "metrics on vs off (twin gateways, A each)" };

/** The same-process controls, and the process comparisons that tell whether one is needed. */
const PAIRS: Pair[] = [
  { first: "S", second: "A@S", isolates: "the stateless-token path, on the peer's process" },
  { first: "BC", second: "A@BC", isolates: "the cached cookie path, on BC's process" },
  { first: "A@S", second: "A", isolates: "the peer's process vs the main gateway (same query)" },
  { first: "AN", second: "A", isolates: "a one-scenario twin vs the main gateway (same code, config)" },
  METRICS_PAIR,
];

export interface PairFigures {
  /** Median over rounds of first's 2xx per second ÷ second's, both measured in that round. */
  throughputRatio: number;
  /** Median over rounds of first's CPU µs per request, all processes, ÷ second's (> 1: first costs more). */
  cpuRatio: number;
  /** The same for the serving gateway process alone. */
  gatewayCpuRatio: number;
  /** The per-round gateway CPU ratios it is the median of. */
  gatewayCpuRatios: number[];
  firstGatewayMicros: number;
  secondGatewayMicros: number;
}

/** CPU µs per request of every process but the idle gateways, in one run (or the medians of a scenario's). */
function runTotalCpu(run: Pick<ScenarioRun, "cpuMicrosPerRequest">, process: string): number {
  return Object.entries(run.cpuMicrosPerRequest)
    .filter(([name]) => !GATEWAYS.has(name) || name === process)
    .reduce((sum, [, micros]) => sum + micros, 0);
}

export function comparePair(scenarios: readonly ScenarioFigures[], pair: Pair): PairFigures | null {
  const first = scenarios.find((scenario) => scenario.id === pair.first);
  const second = scenarios.find((scenario) => scenario.id === pair.second);
  if (first === undefined || second === undefined) return null;
  const rounds = Math.min(first.runs.length, second.runs.length);
  if (rounds === 0) return null;
  const ratios = (ratio: (x: ScenarioRun, y: ScenarioRun) => number) =>
    first.runs.slice(0, rounds).map((run, index) => ratio(run, second.runs[index] as ScenarioRun));
  const gatewayMicros = (run: ScenarioRun, process: string) => run.cpuMicrosPerRequest[process] ?? Number.NaN;
  const gatewayCpuRatios = ratios((x, y) => gatewayMicros(x, first.process) / gatewayMicros(y, second.process));
  return {
    throughputRatio: median(ratios((x, y) => x.requestsPerSecond / y.requestsPerSecond)),
    cpuRatio: median(ratios((x, y) => runTotalCpu(x, first.process) / runTotalCpu(y, second.process))),
    gatewayCpuRatio: median(gatewayCpuRatios),
    gatewayCpuRatios,
    firstGatewayMicros: first.cpuMicrosPerRequest[first.process] ?? Number.NaN,
    secondGatewayMicros: second.cpuMicrosPerRequest[second.process] ?? Number.NaN,
  };
}

function pairTarget(
  scenarios: readonly ScenarioFigures[],
  name: string,
  first: string,
  second: string,
  goal: number,
): Target {
  const figures = comparePair(scenarios, { first, second, isolates: name });
  return {
    name,
    goal: `≥ ${goal}`,
    measured: figures
      ? `${fixed(figures.throughputRatio)} (by CPU per request: ${fixed(1 / figures.cpuRatio)})`
      : "n/a",
    met: figures ? figures.throughputRatio >= goal : null,
  };
}

function pairsTable(report: BenchReport): string {
  const rows = PAIRS.flatMap((pair) => {
    const figures = comparePair(report.scenarios, pair);
    if (figures === null) return [];
    return [
      [
        `${pair.first} vs ${pair.second}`,
        pair.isolates,
        fixed(figures.throughputRatio),
        fixed(figures.cpuRatio),
        fixed(figures.gatewayCpuRatio),
        `${fixed(figures.firstGatewayMicros, 0)} / ${fixed(figures.secondGatewayMicros, 0)}`,
      ],
    ];
  });
  return table(["pair", "what it isolates", "req/s ratio", "CPU ratio", "gateway CPU ratio", "gateway µs/req"], rows);
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] as number)).join("  ");
  return [line(headers), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}

/** The processes shown in the CPU table, in order; the serving gateway is its own column. */
const CPU_COLUMNS = ["session", "documents", "auth", "session-redis", "redis"] as const;
const GATEWAYS = new Set([
  "gateway",
  "gateway-replica",
  "cached-gateway",
  "stateless-gateway",
  "gateway-metrics",
  "gateway-no-metrics",
  "hive-gateway",
]);

/** CPU µs per request of every process but the idle gateways (their background work is not the scenario's). */
export function totalCpuMicros(scenario: ScenarioFigures): number {
  return runTotalCpu(scenario, scenario.process);
}

function cpuTable(report: BenchReport): string {
  const a = report.scenarios.find((scenario) => scenario.id === "A");
  const rows = report.scenarios.map((scenario) => {
    const cpu = scenario.cpuMicrosPerRequest;
    const total = totalCpuMicros(scenario);
    return [
      scenario.id,
      scenario.process,
      fixed(cpu[scenario.process] ?? Number.NaN, 0),
      ...CPU_COLUMNS.map((name) => fixed(cpu[name] ?? Number.NaN, 0)),
      fixed(total, 0),
      a ? fixed(total - totalCpuMicros(a), 0) : "",
    ];
  });
  return table(["id", "served by", "gateway", ...CPU_COLUMNS, "total", "over A"], rows);
}

export function formatReport(report: BenchReport): string {
  const a = report.scenarios.find((scenario) => scenario.id === "A");
  const scenarioRows = report.scenarios.map((scenario) => [
    scenario.id,
    scenario.label,
    fixed(scenario.requestsPerSecond, 0),
    a ? `${fixed(scenario.requestsPerSecond / a.requestsPerSecond)}×` : "",
    fixed(scenario.p50Ms),
    fixed(scenario.p99Ms),
    String(scenario.failures),
  ]);
  const { loadAverage } = report.machine;
  const parts = [
    `Machine: ${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}, Redis ${report.machine.redis}; load average ${fixed(loadAverage.atStart)} at start, ${fixed(loadAverage.atEnd)} at end`,
    `Closed loop: ${report.options.connections} connections, ${report.options.durationSeconds} s per run, median of ${report.options.rounds} rounds`,
    table(["id", "scenario", "req/s", "vs A", "p50 ms", "p99 ms", "failed"], scenarioRows),
    "",
    "CPU µs per request, by process (user + system time from /proc, median of the rounds):",
    cpuTable(report),
    "",
    "Pairs, each compared within every round (medians of the per-round ratios; a CPU ratio > 1: the first costs more):",
    pairsTable(report),
    "",
    table(
      ["target", "goal", "measured", "met"],
      report.targets.map((target) => [
        target.name,
        target.goal,
        target.measured,
        target.met === null ? "n/a" : target.met ? "yes" : "NO",
      ]),
    ),
  ];
  for (const [id, reason] of Object.entries(report.unavailable)) parts.push(`not available: ${id}: ${reason}`);
  return parts.join("\n");
}
