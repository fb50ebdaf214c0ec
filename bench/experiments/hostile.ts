/**
 * Reproduces issue 8's items 1–3 against a real stack in a child process and prints what happened, as JSON.
 * Bounded on purpose (connection count, durations), so it can run on a shared machine:
 *
 *   npx tsx bench/experiments/hostile.ts fan-out        # item 1: 22 fragments, each spreading the next twice
 *   npx tsx bench/experiments/hostile.ts amplification  # item 2: 30 public documents, then the nested query
 *   npx tsx bench/experiments/hostile.ts slow-bodies    # item 3: stalled bodies, Expect: 100-continue
 *
 * Options: --connections N (slow-bodies, default 300), --wait S (longest wait for a stalled body, default 90),
 * --heap MB (the child's --max-old-space-size, default 1024).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const experiment = args[0];

interface Child {
  process: ChildProcess;
  gatewayUrl: string;
  exited: Promise<{ code: number | null; signal: string | null; at: number }>;
  stderr: string[];
}

async function startChild(heapMb: number): Promise<Child> {
  // node itself with tsx as a loader, so the pid watched and killed is the stack's own process.
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${heapMb}`, "--import", "tsx", path.join(__dirname, "hostile-stack.ts")],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => stderr.push(line));
  const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const gatewayUrl = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      if (line.startsWith("{")) resolve((JSON.parse(line) as { gatewayUrl: string }).gatewayUrl);
    });
    void exited.then(() => reject(new Error(`stack exited: ${stderr.join("\n")}`)));
  });
  return { process: child, gatewayUrl, exited, stderr };
}

/** Resident memory of a process, in MB (0 once it is gone). */
function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

async function graphql(url: string, query: string, headers: Record<string, string> = {}, timeoutMs = 120_000) {
  const started = Date.now();
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return { status: response.status, ms: Date.now() - started, bytes: text.length, body: text.slice(0, 300) };
  } catch (error) {
    return { status: 0, ms: Date.now() - started, error: error instanceof Error ? error.message : String(error) };
  }
}

function fanOutDocument(fragments: number): string {
  const lines = ["query FanOut { publicDocuments(first: 1) { ...F0 } }"];
  for (let i = 0; i < fragments; i++) {
    lines.push(
      i + 1 < fragments
        ? `fragment F${i} on Document { id ...F${i + 1} ...F${i + 1} }`
        : `fragment F${i} on Document { id title }`,
    );
  }
  return lines.join("\n");
}

/** Signs up one account and creates `count` public documents with it. */
async function seedPublicDocuments(gatewayUrl: string, count: number): Promise<void> {
  const signUp = await fetch(gatewayUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query:
        'mutation { signUp(email: "amplifier@example.com", password: "a long enough passphrase") { user { id } } }',
    }),
  });
  const cookie = (signUp.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
  for (let i = 0; i < count; i++) {
    await graphql(gatewayUrl, `mutation { createDocument(title: "doc ${i}", body: "body", public: true) { id } }`, {
      cookie,
    });
  }
}

async function fanOut(child: Child) {
  // One document, so execution (not only validation and planning) walks the fragments too.
  await seedPublicDocuments(child.gatewayUrl, 1);
  const results = [];
  for (const fragments of [16, 18, 20, 22, 60, 120]) {
    const document = fanOutDocument(fragments);
    results.push({ fragments, documentBytes: document.length, ...(await graphql(child.gatewayUrl, document)) });
  }
  return { results };
}

const AMPLIFICATION =
  "{ publicDocuments(first: 30) { owner { documents { owner { documents { owner { documents { owner { documents { id } } } } } } } } } }";

async function amplification(child: Child) {
  await seedPublicDocuments(child.gatewayUrl, 30);
  const rssBefore = rssMb(child.process.pid!);
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(child.process.pid!))), 200);
  const result = await Promise.race([
    graphql(child.gatewayUrl, AMPLIFICATION, {}, 180_000),
    child.exited.then((exit) => ({ died: exit, lastStderr: child.stderr.slice(-3) })),
  ]);
  clearInterval(sampler);
  const alive = child.process.exitCode === null && child.process.signalCode === null;
  const after = alive ? await graphql(child.gatewayUrl, "{ publicDocuments(first: 1) { id } }") : null;
  return { rssBeforeMb: rssBefore, peakRssMb: peak, result, aliveAfter: alive, nextRequest: after };
}

function openStalled(url: URL, declared: number, send: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => {
      socket.write(
        `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${declared}\r\n\r\n`,
      );
      socket.write(Buffer.alloc(send, 0x20), () => resolve(socket));
      // Read what the server answers, or its close would never surface here.
      socket.resume();
    });
    socket.on("error", () => {});
    socket.once("error", reject);
  });
}

async function slowBodies(child: Child) {
  const url = new URL(child.gatewayUrl);
  const connections = option("connections", 300);
  const waitSeconds = option("wait", 90);
  const rssBefore = rssMb(child.process.pid!);
  const sockets: net.Socket[] = [];
  const closedAfter: number[] = [];
  // Set when this side closes what is left, so only closes by the server are counted.
  let giveUp = false;
  const refused: string[] = [];
  const started = Date.now();
  for (let i = 0; i < connections; i++) {
    try {
      // Declared within the gateway's 256 KiB body limit, so the request is read (and held) until it stalls.
      const socket = await openStalled(url, 250 * 1024, 200 * 1024);
      socket.once("close", () => {
        if (!giveUp) closedAfter.push(Date.now() - started);
      });
      sockets.push(socket);
    } catch (error) {
      refused.push(error instanceof Error ? error.message : String(error));
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const rssStalled = rssMb(child.process.pid!);
  const healthy = await graphql(child.gatewayUrl, "{ publicDocuments(first: 1) { id } }", {}, 10_000);
  const deadline = Date.now() + waitSeconds * 1000;
  while (closedAfter.length < sockets.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const rssAfterWait = rssMb(child.process.pid!);
  giveUp = true;
  for (const socket of sockets) socket.destroy();

  // Expect: 100-continue with a body far over the limit: 100 Continue (bad) or a final status at once (good).
  const expectAnswer = await new Promise<string>((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname, () =>
      socket.write(
        `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: 100000000\r\nexpect: 100-continue\r\n\r\n`,
      ),
    );
    socket.once("data", (chunk) => {
      resolve(chunk.toString("latin1").split("\r\n")[0] ?? "");
      socket.destroy();
    });
    socket.on("error", (error) => resolve(`error: ${error.message}`));
    setTimeout(() => {
      resolve("no answer in 5 s");
      socket.destroy();
    }, 5000);
  });
  return {
    connections,
    opened: sockets.length,
    refusedAtConnect: refused.length,
    rssBeforeMb: rssBefore,
    rssWithStalledMb: rssStalled,
    rssAfterWaitMb: rssAfterWait,
    otherClientWhileStalled: healthy,
    closedByServer: closedAfter.length,
    firstClosedAfterMs: closedAfter.length ? Math.min(...closedAfter) : null,
    lastClosedAfterMs: closedAfter.length ? Math.max(...closedAfter) : null,
    waitedSeconds: waitSeconds,
    expectContinueAnswer: expectAnswer,
  };
}

async function main() {
  const experiments: Record<string, (child: Child) => Promise<unknown>> = {
    "fan-out": fanOut,
    amplification,
    "slow-bodies": slowBodies,
  };
  const run = experiment ? experiments[experiment] : undefined;
  if (!run) throw new Error(`usage: hostile.ts ${Object.keys(experiments).join("|")} [options]`);
  const child = await startChild(option("heap", 1024));
  try {
    console.log(JSON.stringify({ experiment, ...((await run(child)) as object) }, null, 2));
  } finally {
    child.process.kill("SIGKILL");
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
