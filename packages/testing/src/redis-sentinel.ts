import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Redis from "ioredis";
import { freePort } from "./redis-process";

export const SENTINEL_PRIMARY_NAME = "fedsession";

export interface RedisSentinelGroup {
  /** "host:port" of the three Sentinels, the format of REDIS_SENTINELS. */
  sentinels: string[];
  /** REDIS_SENTINELS and REDIS_SENTINEL_NAME for a service. */
  env: Record<string, string>;
  /** The port of the primary the Sentinels name now. */
  primaryPort(): Promise<number>;
  /** How many replicas are in sync with the current primary. */
  onlineReplicas(): Promise<number>;
  /** SENTINEL FAILOVER: resolves with the new primary's port once every Sentinel names it and it takes writes. */
  failover(): Promise<number>;
  /** SIGKILL the current primary, as a crash would; resolves with its port once a replica was promoted. */
  killPrimary(): Promise<number>;
  /**
   * Starts a killed server again as a replica of the current primary, as an orchestrator would (Sentinel alone
   * would demote a returning primary only after about ten seconds); resolves once it has synced.
   */
  restart(port: number): Promise<void>;
  /** Kills every process this group started (only those) and removes its folder. */
  stop(): Promise<void>;
}

/** Short enough that a test sees a failover within seconds of killing the primary. */
const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 1000;
const SENTINELS = 3;

/**
 * A real primary, `replicas` replicas and three Sentinels on free loopback ports, each with a fresh writable config
 * file in a temporary folder (Sentinel rewrites its file as the group changes).
 * The Sentinels' files already list the replicas and each other, so the group can fail over as soon as it is up
 * instead of after the ten seconds discovery takes.
 */
export async function startRedisSentinel(options: { replicas?: number } = {}): Promise<RedisSentinelGroup> {
  const dir = await mkdtemp(path.join(tmpdir(), "fedsession-sentinel-"));
  const replicaCount = options.replicas ?? 1;
  const ports = await Promise.all(Array.from({ length: 1 + replicaCount + SENTINELS }, () => freePort()));
  const primary = ports[0] as number;
  const dataPorts = ports.slice(0, 1 + replicaCount);
  const sentinelPorts = ports.slice(1 + replicaCount);
  const sentinelIds = sentinelPorts.map(() => randomBytes(20).toString("hex"));
  const children = new Map<number, { child: ChildProcess; exited: Promise<void> }>();
  const commandLines = new Map<number, string[]>();
  const launch = (port: number) => {
    const child = spawn("redis-server", commandLines.get(port) as string[], { stdio: "ignore" });
    children.set(port, { child, exited: new Promise((resolve) => child.once("exit", () => resolve())) });
  };
  const kill = async (port: number) => {
    const running = children.get(port);
    if (running === undefined) return;
    if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill("SIGKILL");
    await running.exited;
  };
  const stop = async () => {
    await Promise.all([...children.keys()].map(kill));
    await rm(dir, { recursive: true, force: true });
  };
  const configure = async (port: number, lines: string[], sentinelMode: boolean) => {
    const file = path.join(dir, `${sentinelMode ? "sentinel" : "redis"}-${port}.conf`);
    await writeFile(file, `${[`port ${port}`, "bind 127.0.0.1", `dir ${dir}`, ...lines].join("\n")}\n`);
    commandLines.set(port, sentinelMode ? [file, "--sentinel"] : [file]);
    launch(port);
  };
  const dataServer = (port: number) => [
    `dbfilename dump-${port}.rdb`,
    'save ""',
    "appendonly no",
    // Replicas sync at once instead of after the default five-second wait for more replicas.
    "repl-diskless-sync-delay 0",
    ...(port === primary ? [] : [`replicaof 127.0.0.1 ${primary}`]),
  ];
  const sentinel = (index: number) => [
    `sentinel myid ${sentinelIds[index] as string}`,
    `sentinel monitor ${SENTINEL_PRIMARY_NAME} 127.0.0.1 ${primary} 2`,
    `sentinel down-after-milliseconds ${SENTINEL_PRIMARY_NAME} ${DOWN_AFTER_MS}`,
    `sentinel failover-timeout ${SENTINEL_PRIMARY_NAME} ${FAILOVER_TIMEOUT_MS}`,
    `sentinel parallel-syncs ${SENTINEL_PRIMARY_NAME} ${replicaCount}`,
    ...dataPorts.slice(1).map((port) => `sentinel known-replica ${SENTINEL_PRIMARY_NAME} 127.0.0.1 ${port}`),
    ...sentinelPorts.flatMap((port, other) =>
      other === index
        ? []
        : [`sentinel known-sentinel ${SENTINEL_PRIMARY_NAME} 127.0.0.1 ${port} ${sentinelIds[other] as string}`],
    ),
  ];

  const ask = async <T>(port: number, command: (client: Redis) => Promise<T>): Promise<T> => {
    const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on("error", () => {});
    try {
      await client.connect();
      return await command(client);
    } finally {
      client.disconnect();
    }
  };
  const until = async (what: string, check: () => Promise<boolean>) => {
    const deadline = Date.now() + 20_000;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`Redis Sentinel group: ${what} within 20 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const namedPrimary = async (sentinelPort: number) => {
    const address = (await ask(sentinelPort, (client) =>
      client.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_PRIMARY_NAME),
    )) as [string, string] | null;
    return address === null ? 0 : Number(address[1]);
  };
  const primaryPort = () => namedPrimary(sentinelPorts[0] as number);
  const replication = (port: number) => ask(port, (client) => client.info("replication"));
  /** Every Sentinel names a primary other than `old`, and that one answers as a primary. */
  const movedFrom = async (old: number) => {
    const named = await Promise.all(sentinelPorts.map(namedPrimary));
    const next = named[0] as number;
    if (next === old || !named.every((port) => port === next)) return 0;
    return (await replication(next)).includes("role:master") ? next : 0;
  };
  const moved = async (old: number) => {
    let next = 0;
    await until("no replica was promoted", async () => (next = await movedFrom(old)) !== 0);
    return next;
  };

  try {
    for (const port of dataPorts) await configure(port, dataServer(port), false);
    for (const [index, port] of sentinelPorts.entries()) await configure(port, sentinel(index), true);
    await until(
      "the replicas did not sync",
      async () => (await replication(primary)).match(/state=online/g)?.length === replicaCount,
    );
    await until("the Sentinels did not answer", async () =>
      (await Promise.all(sentinelPorts.map(namedPrimary))).every((port) => port === primary),
    );
  } catch (error) {
    await stop();
    throw new Error(`could not start a Redis Sentinel group (needs redis-server): ${(error as Error).message}`);
  }

  return {
    sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`),
    env: {
      REDIS_SENTINELS: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(","),
      REDIS_SENTINEL_NAME: SENTINEL_PRIMARY_NAME,
    },
    primaryPort,
    onlineReplicas: async () => (await replication(await primaryPort())).match(/state=online/g)?.length ?? 0,
    async failover() {
      const before = await primaryPort();
      // Sentinel aborts a forced failover that has not finished within failover-timeout (1 s here, to keep tests
      // quick) and does not retry it, which a loaded machine can cause: ask again, 3 s apart (more than twice that
      // timeout), for as long as the Sentinel still names the old primary, never once it has moved on.
      let askedAt = 0;
      let next = 0;
      await until("no replica was promoted", async () => {
        if ((next = await movedFrom(before)) !== 0) return true;
        if ((await primaryPort()) === before && Date.now() - askedAt > 3000) {
          askedAt = Date.now();
          await ask(sentinelPorts[0] as number, (client) =>
            client.call("SENTINEL", "FAILOVER", SENTINEL_PRIMARY_NAME),
          ).catch(() => undefined);
        }
        return false;
      });
      return next;
    },
    async killPrimary() {
      const before = await primaryPort();
      await kill(before);
      await moved(before);
      return before;
    },
    async restart(port) {
      const file = (commandLines.get(port) as string[])[0] as string;
      await writeFile(
        file,
        `${(await readFile(file, "utf8")).trimEnd()}\nreplicaof 127.0.0.1 ${await primaryPort()}\n`,
      );
      launch(port);
      await until("the restarted server did not sync", async () => {
        const info = await replication(port);
        return info.includes("role:slave") && info.includes("master_link_status:up");
      });
    },
    stop,
  };
}
