/**
 * `pnpm test:cluster`: starts a real three-master Redis Cluster on free loopback ports, runs every Redis store
 * contract suite and the gateway integration tests against it (TEST_REDIS_CLUSTER_NODES), then stops it.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { startRedisCluster } from "@fedsession/testing";

const SUITES = [
  "contract\\.test\\.ts$",
  "test/integration/supergraph\\.test\\.ts$",
  "test/integration/replicas\\.test\\.ts$",
  "test/integration/session-cache\\.test\\.ts$",
];

async function main(): Promise<number> {
  const cluster = await startRedisCluster(3);
  console.log(`Redis Cluster up: ${cluster.nodes.join(", ")}`);
  try {
    const jest = path.resolve(__dirname, "../node_modules/jest/bin/jest.js");
    const child = spawn(process.execPath, [jest, ...SUITES, ...process.argv.slice(2)], {
      stdio: "inherit",
      env: { ...process.env, TEST_REDIS_CLUSTER_NODES: cluster.nodes.join(",") },
    });
    return await new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
  } finally {
    await cluster.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
