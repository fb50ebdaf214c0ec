import { spawn, execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Cluster } from "ioredis";
import { freePort } from "./redis-process";

const run = promisify(execFile);

export interface RedisClusterProcess {
  /** "host:port" seeds, the format of REDIS_CLUSTER_NODES. */
  nodes: string[];
  stop(): Promise<void>;
}

/**
 * Starts a real three-master Redis Cluster on free loopback ports (redis-server --cluster-enabled yes, then
 * redis-cli --cluster create) and waits until every slot is served. stop() kills exactly what it started.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), "fedsession-cluster-"));
  const ports = await Promise.all(Array.from({ length: masters }, () => freePort()));
  const children = ports.map((port) =>
    spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        path.join(dir, `nodes-${port}.conf`),
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      { stdio: "ignore" },
    ),
  );
  const exits = children.map((child) => new Promise<void>((resolve) => child.once("exit", () => resolve())));
  const stop = async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await Promise.all(exits);
    await rm(dir, { recursive: true, force: true });
  };
  const nodes = ports.map((port) => `127.0.0.1:${port}`);
  try {
    for (const port of ports) await waitForPing(port);
    await run("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"]);
    await waitForClusterOk(ports);
    return { nodes, stop };
  } catch (error) {
    await stop();
    throw new Error(`could not start a Redis Cluster (needs redis-server and redis-cli): ${(error as Error).message}`);
  }
}

async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const ok = await run("redis-cli", ["-p", String(port), "ping"]).then(
      ({ stdout }) => stdout.trim() === "PONG",
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitForClusterOk(ports: number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const states = await Promise.all(
      ports.map((port) =>
        run("redis-cli", ["-p", String(port), "cluster", "info"]).then(
          ({ stdout }) => stdout,
          () => "",
        ),
      ),
    );
    if (states.every((info) => info.includes("cluster_state:ok"))) {
      const probe = new Cluster(
        ports.map((port) => ({ host: "127.0.0.1", port })),
        { lazyConnect: true },
      );
      try {
        await probe.connect();
        await probe.set("fedsession:cluster-probe", "1", "PX", 1000);
        return;
      } finally {
        probe.disconnect();
      }
    }
    if (Date.now() > deadline) throw new Error("the cluster did not reach cluster_state:ok");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
