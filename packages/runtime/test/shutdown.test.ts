import { Agent, request, type IncomingMessage, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { listen, Probes, type RunningServer } from "../src";

interface Answer {
  status: number;
  body: string;
  connection: string | undefined;
}

function get(port: number, path: string, agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** A handler that takes `delayMs` and answers with the request's number, so a cut answer is visible. */
function slowHandler(delayMs: number, started: Set<string>) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const id = req.url?.slice(1) ?? "";
    started.add(id);
    await sleep(delayMs, undefined, { ref: false });
    res.end(`done ${id}`);
  };
}

describe("draining on shutdown", () => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("every request accepted before close() gets its full answer, with Connection: close; later ones are refused", async () => {
    const started = new Set<string>();
    running = await listen(slowHandler(200, started), 0, "127.0.0.1", undefined, undefined, undefined, {
      shutdownGraceMs: 5000,
    });
    const { port } = running;
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const answers = new Map<string, Answer>();
    const refused: string[] = [];
    let next = 0;
    let closing = false;
    // Staggered, so at any moment most clients have a request inside the 200 ms handler, not between two.
    const client = async (index: number) => {
      await sleep(index * 12);
      while (!closing || next < 10_000) {
        const id = String(next++);
        try {
          answers.set(id, await get(port, `/${id}`, agent));
        } catch {
          refused.push(id);
          if (closing) return;
        }
      }
    };
    const clients = Array.from({ length: 16 }, (_, index) => client(index));
    await sleep(500);
    closing = true;
    const acceptedBeforeClose = [...started];
    const closedAt = Date.now();
    await running.close();
    running = undefined;
    // Every in-flight request had up to 200 ms left; nowhere near the 5 s grace.
    expect(Date.now() - closedAt).toBeLessThan(1500);
    await Promise.all(clients);
    agent.destroy();

    expect(acceptedBeforeClose.length).toBeGreaterThanOrEqual(16);
    for (const id of acceptedBeforeClose) {
      expect(answers.get(id)).toMatchObject({ status: 200, body: `done ${id}` });
    }
    // The answers that were still running when the drain began tell their keep-alive client to go.
    const inFlightAtClose = acceptedBeforeClose.filter((id) => answers.get(id)?.connection === "close");
    expect(inFlightAtClose.length).toBeGreaterThan(0);
    // Whatever the server never started, the client learned of as a failed connection, not as a cut answer.
    for (const id of refused) expect(started.has(id)).toBe(false);
  });

  it("cuts a request still running when the grace period ends", async () => {
    const started = new Set<string>();
    running = await listen(slowHandler(60_000, started), 0, "127.0.0.1", undefined, undefined, undefined, {
      shutdownGraceMs: 300,
    });
    const agent = new Agent({ keepAlive: true });
    const pending = get(running.port, "/stuck", agent);
    pending.catch(() => {});
    while (!started.has("stuck")) await sleep(10);
    const closedAt = Date.now();
    await running.close();
    running = undefined;
    const elapsed = Date.now() - closedAt;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    await expect(pending).rejects.toThrow("socket hang up");
    agent.destroy();
  });
});

describe("probes", () => {
  it("/health is alive; /ready needs every check and fails as soon as shutdown starts", async () => {
    const probes = new Probes("test");
    let redisUp = true;
    probes.addCheck("redis", async () => {
      if (!redisUp) throw new Error("down");
    });
    const running = await listen(
      async (_req, res) => void res.end("handler"),
      0,
      "127.0.0.1",
      undefined,
      undefined,
      undefined,
      {
        probes,
        shutdownGraceMs: 1000,
      },
    );
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await get(running.port, "/health", agent)).toMatchObject({ status: 200 });
      const ready = await get(running.port, "/ready", agent);
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toEqual({ status: "ready", service: "test", failing: [] });
      redisUp = false;
      const notReady = await get(running.port, "/ready", agent);
      expect(notReady.status).toBe(503);
      expect(JSON.parse(notReady.body)).toMatchObject({ failing: ["redis"] });
      redisUp = true;
      expect(await get(running.port, "/other", agent)).toMatchObject({ status: 200, body: "handler" });
      probes.markStopping();
      expect(JSON.parse((await get(running.port, "/ready", agent)).body)).toMatchObject({
        status: "not ready",
        failing: ["shutting down"],
      });
    } finally {
      agent.destroy();
      await running.close();
    }
  });
});
