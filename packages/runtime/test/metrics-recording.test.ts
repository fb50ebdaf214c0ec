import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger, httpRequests, metricsRecording, observeRequests, serveMetrics } from "../src";

/** A process that serves no metrics (METRICS_PORT unset) must not pay for counting them on every request. */
describe("per-request metrics", () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const handler = observeRequests(
      { service: "probe-test", logger: createLogger("test", () => undefined), requestId: () => "r" },
      async (_req, res) => {
        res.end("ok");
      },
    );
    server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const counted = async () =>
    (await httpRequests.get()).values
      .filter((sample) => sample.labels.service === "probe-test")
      .reduce((sum, sample) => sum + sample.value, 0);

  it("are not recorded until the process serves them, then are", async () => {
    expect(metricsRecording()).toBe(false);
    await (await fetch(url)).text();
    expect(await counted()).toBe(0);

    const metrics = await serveMetrics({ port: 0, host: "127.0.0.1" });
    try {
      expect(metricsRecording()).toBe(true);
      await (await fetch(url)).text();
      // The observer runs when the response closes, which can follow the client's read by a tick.
      for (let i = 0; i < 500 && (await counted()) === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await counted()).toBe(1);
      expect(await (await fetch(metrics.url)).text()).toContain('service="probe-test"');
    } finally {
      await metrics.close();
    }
  });
});
