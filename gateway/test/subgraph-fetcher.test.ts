import http from "node:http";
import type { AddressInfo } from "node:net";
import { createSubgraphFetcher, SubgraphFetchFailed, SubgraphUnreachable } from "../src/subgraph-fetcher";

describe("the gateway's subgraph fetcher", () => {
  let server: http.Server;
  let origin: string;
  const fetcher = createSubgraphFetcher({ maxBytes: 1024, timeoutMs: 300 });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        if (req.url === "/large") res.end(JSON.stringify({ data: "x".repeat(4096) }));
        if (req.url !== "/graphql") return;
        res.writeHead(200, { "content-type": "application/json", "X-Session-Set": "a; max-age=1" });
        res.end(JSON.stringify({ method: req.method, header: req.headers["x-gateway-context"], body }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    fetcher.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("sends the method, headers and body, and answers status, case-insensitive headers and the JSON body", async () => {
    const response = await fetcher.fetcher(`${origin}/graphql`, {
      method: "POST",
      headers: { "x-gateway-context": "signed" },
      body: '{"query":"{ a }"}',
    });
    expect(response.ok).toBe(true);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.headers.get("x-session-set")).toBe("a; max-age=1");
    await expect(response.json()).resolves.toEqual({ method: "POST", header: "signed", body: '{"query":"{ a }"}' });
  });

  it("fails an answer larger than its bound, and one slower than its deadline (that one as unreachable)", async () => {
    const large = fetcher.fetcher(`${origin}/large`, { method: "POST", body: "{}" });
    await expect(large).rejects.toThrow(new SubgraphFetchFailed("answer too large"));
    await expect(large).rejects.not.toBeInstanceOf(SubgraphUnreachable);
    const slow = fetcher.fetcher(`${origin}/hang`, { method: "POST", body: "{}" });
    await expect(slow).rejects.toThrow(new SubgraphUnreachable("timed out"));
    await expect(slow).rejects.toBeInstanceOf(SubgraphUnreachable);
  });

  it("fails promptly, as unreachable, when nothing listens", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetcher.fetcher(`http://127.0.0.1:${port}/graphql`, { method: "POST" })).rejects.toBeInstanceOf(
      SubgraphUnreachable,
    );
  });
});
