import { readFileSync } from "node:fs";

/** Linux reports utime and stime in /proc/<pid>/stat in USER_HZ ticks, which is 100 per second on every platform. */
const MICROS_PER_TICK = 10_000;

export interface MeteredProcess {
  name: string;
  pid: number;
}

/**
 * CPU time (user + system, µs) a process has used so far, read from /proc so that no process under test has to
 * report anything (and so that Redis is metered too); null when the process is gone or /proc is missing.
 */
export function cpuMicros(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted from the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  return Number.isFinite(userTicks) && Number.isFinite(systemTicks)
    ? (userTicks + systemTicks) * MICROS_PER_TICK
    : null;
}

export type CpuSnapshot = Map<string, number>;

export function cpuSnapshot(processes: readonly MeteredProcess[]): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const { name, pid } of processes) {
    const micros = cpuMicros(pid);
    if (micros !== null) snapshot.set(name, micros);
  }
  return snapshot;
}

/** CPU µs each process used between two snapshots, divided by the requests of the run. */
export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, requests: number): Record<string, number> {
  const perRequest: Record<string, number> = {};
  for (const [name, start] of before) {
    const end = after.get(name);
    if (end !== undefined && requests > 0) perRequest[name] = (end - start) / requests;
  }
  return perRequest;
}
