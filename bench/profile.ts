import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "./processes";

/** The parts of a V8 .cpuprofile this summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

function isCpuProfile(value: unknown): value is CpuProfile {
  if (typeof value !== "object" || value === null) return false;
  const fields: Partial<Record<keyof CpuProfile, unknown>> = value;
  return (
    Array.isArray(fields.nodes) &&
    Array.isArray(fields.samples) &&
    Array.isArray(fields.timeDeltas) &&
    typeof fields.startTime === "number"
  );
}

export interface ProfileWindow {
  /** CLOCK_MONOTONIC in µs (process.hrtime), the clock V8 stamps its samples with. */
  startMicros: number;
  endMicros: number;
  requests: number;
}

/** Where a frame's code lives: an npm package, a Node built-in, a file of this repository, or V8 itself. */
function ownerOf(url: string): string {
  if (url === "") return "(v8/native)";
  if (url.startsWith("node:")) return url;
  const file = url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : url;
  const inPackage = /node_modules\/(@[^/]+\/[^/]+|[^/.@][^/]*)\/(?!.*node_modules\/)/.exec(file);
  if (inPackage) return inPackage[1] as string;
  return path.relative(REPO_ROOT, file);
}

function top(totals: Map<string, number>, count: number, requests: number): string[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => `${(micros / requests).toFixed(1).padStart(8)} µs/req  ${name}`);
}

/**
 * Self time per request inside the measured window (start-up and warm-up left out), by owner and by function:
 * a first reading of where the gateway's CPU goes, next to the .cpuprofile for a real viewer.
 */
export function summarizeProfile(profile: CpuProfile, window: ProfileWindow): string {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let at = profile.startTime;
  let inWindow = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at < window.startMicros || at > window.endMicros) return;
    const frame = nodes.get(id);
    if (frame === undefined) return;
    inWindow += delta;
    const owner = ownerOf(frame.url);
    const name = `${frame.functionName || "(anonymous)"} ${owner}:${frame.lineNumber + 1}`;
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + delta);
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
  });
  const requests = Math.max(1, window.requests);
  return [
    `${window.requests} requests; main-thread samples in the window: ${(inWindow / requests).toFixed(0)} µs/req (idle included as "(idle)")`,
    "",
    "self time by owner:",
    ...top(byOwner, 25, requests),
    "",
    "self time by function:",
    ...top(byFunction, 40, requests),
  ].join("\n");
}

/** Reads the one profile the gateway wrote into `directory`, writes its summary beside it, and returns both paths. */
export async function summarizeProfileIn(
  directory: string,
  window: ProfileWindow,
): Promise<{ profilePath: string; summaryPath: string; summary: string }> {
  const name = (await readdir(directory)).find((file) => file.endsWith(".cpuprofile"));
  if (name === undefined) throw new Error(`no .cpuprofile in ${directory}: did the gateway exit cleanly?`);
  const profilePath = path.join(directory, name);
  const profile: unknown = JSON.parse(await readFile(profilePath, "utf8"));
  if (!isCpuProfile(profile)) throw new Error(`${profilePath} is not a V8 CPU profile`);
  const summary = summarizeProfile(profile, window);
  const summaryPath = path.join(directory, "summary.txt");
  await writeFile(summaryPath, summary + "\n");
  return { profilePath, summaryPath, summary };
}
