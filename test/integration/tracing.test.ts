import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateKeyMaterial, writeKeyMaterial } from "@fedsession/runtime";
import { connectTestRedis, type TestRedis } from "@fedsession/testing";
import { BrowserClient } from "../support/client";
import type { ChildMessage, SpanRecord } from "../support/tracing/supergraph-child";

const SERVER = 1;
const CLIENT = 2;

let child: ChildProcess;
let redis: TestRedis;
let keysDir: string;
let gatewayUrl: string;
const pending: ((message: ChildMessage) => void)[] = [];

function next(): Promise<ChildMessage> {
  return new Promise((resolve) => pending.push(resolve));
}

async function spans(): Promise<SpanRecord[]> {
  const answer = next();
  child.send("spans");
  const message = await answer;
  if (!("spans" in message)) throw new Error("expected spans");
  return message.spans;
}

beforeAll(async () => {
  redis = await connectTestRedis();
  keysDir = await mkdtemp(path.join(tmpdir(), "fedsession-keys-"));
  await writeKeyMaterial(keysDir, await generateKeyMaterial(true));
  // Tracing wraps http and ioredis as they load, so the traced services run in a process of their own.
  child = fork(path.resolve(__dirname, "../support/tracing/supergraph-child.ts"), [], {
    execArgv: ["--import", "tsx"],
    env: {
      ...process.env,
      ...redis.env,
      NODE_ENV: "test",
      KEYS_DIR: keysDir,
      BCRYPT_COST: "4",
      GATEWAY_PORT: "0",
      SESSION_PORT: "0",
      AUTH_PORT: "0",
      DOCUMENTS_PORT: "0",
    },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  child.on("message", (message: ChildMessage) => pending.shift()?.(message));
  const ready = await next();
  if (!("ready" in ready)) throw new Error("expected the gateway URL");
  gatewayUrl = ready.ready;
}, 60_000);

afterAll(async () => {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.send("stop");
  await exited;
  await redis.close();
  await rm(keysDir, { recursive: true, force: true });
});

describe("tracing", () => {
  it("one request's spans form one trace: gateway, session lookup, Redis, every subgraph fetch", async () => {
    const browser = new BrowserClient(gatewayUrl);
    await browser.request(`mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { user { id } } }`, {
      e: `tracing${Date.now()}@example.com`,
      p: "correct horse battery",
    });
    child.send("reset");
    const result = await browser.request(`query Traced { me { id documents { id } } currentSession { id } }`);
    expect(result.body.errors).toBeUndefined();

    const recorded = await spans();
    const gatewayPort = Number(new URL(gatewayUrl).port);
    const servers = recorded.filter((span) => span.kind === SERVER);
    const root = servers.find(
      (span) => span.attributes["server.port"] === gatewayPort && span.parentSpanId === undefined,
    );
    expect(root).toBeDefined();
    const traceId = (root as SpanRecord).traceId;
    // Every HTTP server span since the reset, in every service, belongs to the one trace.
    expect(new Set(servers.map((span) => span.traceId))).toEqual(new Set([traceId]));
    const inTrace = recorded.filter((span) => span.traceId === traceId);
    // The gateway plus the session lookup and subgraph fetches: server spans on four ports.
    expect(new Set(servers.map((span) => span.attributes["server.port"])).size).toBe(4);
    const names = new Set(inTrace.map((span) => span.name));
    for (const name of ["gateway.request", "gateway.plan", "gateway.execute", "gateway.fetch"]) {
      expect([name, names.has(name)]).toEqual([name, true]);
    }
    // Each server span below the root has a client span of the same trace as its parent: the context travelled.
    const ids = new Map(inTrace.map((span) => [span.spanId, span]));
    for (const server of servers.filter((span) => span !== root)) {
      expect(ids.get(server.parentSpanId as string)?.kind).toBe(CLIENT);
    }
    // The session service's Redis commands hang under the lookup's trace too.
    expect(inTrace.some((span) => span.scope.includes("ioredis"))).toBe(true);
  });
});
