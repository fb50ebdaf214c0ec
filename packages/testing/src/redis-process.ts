import { spawn } from "node:child_process";
import { createServer } from "node:net";
import Redis from "ioredis";

export interface RedisProcess {
  port: number;
  /** The redis-server's process id (the benchmark reads its CPU time). */
  pid: number;
  url: string;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, as in a stall or a partition. */
  stall(): void;
  /** Lets a stalled server run again (SIGCONT); what it had received meanwhile is then processed. */
  resume(): void;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

/**
 * Starts a private redis-server on a free loopback port (or `port`, to restart one where its clients expect it)
 * and waits until it answers PING, which it does only once it has loaded its data files.
 */
export async function startRedisProcess(extraArgs: string[] = [], port?: number): Promise<RedisProcess> {
  port ??= await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArgs],
    { stdio: "ignore" },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error("redis-server could not be spawned (is it installed?)");
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  // No ready check (INFO): a server started with an ACL file may let an unauthenticated client PING and nothing else.
  const probe = new Redis(url, {
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // Refused connections are expected until the server listens; the loop below reports a real failure.
  probe.on("error", () => {});
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch (error) {
      probe.disconnect();
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`redis-server did not start on port ${port} (is it installed?): ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    port,
    pid,
    url,
    kill: async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
    stall: () => child.kill("SIGSTOP"),
    resume: () => child.kill("SIGCONT"),
  };
}
