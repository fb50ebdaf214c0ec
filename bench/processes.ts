import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..");

/** The last lines a child wrote, shown when it fails to start or dies mid-run. */
const KEPT_LOG_LINES = 40;

export interface ChildService {
  name: string;
  pid: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  recentLog(): string;
  /** Its last warning and error lines, kept apart: a busy service's tail holds only the last seconds. */
  recentProblems(): string[];
  /** How it ended, when it has: "exit code 1", "signal SIGKILL"; null while it runs. */
  ended(): string | null;
  stop(): Promise<void>;
}

const running = new Set<ChildService>();

/** Stops every child this process started, newest first; safe to call more than once. */
export async function stopAllChildren(): Promise<void> {
  const services = [...running].reverse();
  running.clear();
  await Promise.all(services.map((service) => service.stop()));
}

/**
 * Every child writes its log to a file of its own, not to a pipe this process reads: this process also generates the
 * load, and reading the children's pipes took its CPU (149–278 µs per request against 121–172 µs with files), while
 * a synchronous log write into a pipe cost the session service 230–290 µs per line against 45–49 µs into a file.
 */
let logDirectory: string | undefined;

function logFileFor(name: string): string {
  if (logDirectory === undefined) {
    const directory = mkdtempSync(path.join(os.tmpdir(), "fedsession-bench-logs-"));
    logDirectory = directory;
    registerCleanup(() => rm(directory, { recursive: true, force: true }));
  }
  return path.join(logDirectory, `${name}-${Date.now()}.log`);
}

/** The file's lines, or none once the run's log folder is gone. */
function logLines(file: string): string[] {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  return text.split("\n").filter((line) => line.trim() !== "");
}

function logTail(file: string): { recentLog: () => string; recentProblems: () => string[] } {
  return {
    recentLog: () => logLines(file).slice(-KEPT_LOG_LINES).join("\n"),
    recentProblems: () =>
      logLines(file)
        .filter((line) => /"level":"(error|warn)"/.test(line))
        .slice(-KEPT_LOG_LINES),
  };
}

async function waitForHealth(origin: string, child: ChildProcess, name: string, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited before it was ready:\n${log()}`);
    }
    try {
      const response = await fetch(`${origin}/health`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${name} was not healthy within 60 s:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Runs one TypeScript entry point as its own Node process (as production would, one service per process) and
 * waits for its /health. `tsx` is loaded with --import rather than through its CLI, so the pid we hold is the
 * service itself and a signal reaches it directly.
 */
export async function startChild(
  name: string,
  entry: string,
  port: number,
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): Promise<ChildService> {
  const logFile = logFileFor(name);
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, ["--import", "tsx", ...nodeArgs, path.resolve(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name} could not be spawned`);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const { recentLog, recentProblems } = logTail(logFile);
  const origin = `http://127.0.0.1:${port}`;
  const service: ChildService = {
    name,
    pid,
    origin,
    recentLog,
    recentProblems,
    ended: () =>
      child.signalCode !== null
        ? `signal ${child.signalCode}`
        : child.exitCode !== null
          ? `exit code ${child.exitCode}`
          : null,
    stop: async () => {
      running.delete(service);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killed = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killed);
    },
  };
  running.add(service);
  await waitForHealth(origin, child, name, recentLog);
  return service;
}

const cleanups = new Set<() => Promise<void>>();

/** Something to undo if the run is interrupted (a private Redis, a temporary folder); returns its unregister. */
export function registerCleanup(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

export async function runCleanups(): Promise<void> {
  const pending = [...cleanups].reverse();
  cleanups.clear();
  for (const cleanup of pending) await cleanup().catch(() => undefined);
  await stopAllChildren();
}
