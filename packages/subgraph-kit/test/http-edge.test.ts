import net from "node:net";
import { ApolloServer } from "@apollo/server";
import { buildSchema } from "graphql";
import { createGraphQLHttpHandler, listen, type EdgeLimits, type RunningServer } from "../src";

/** What a raw socket saw: the bytes the server sent and when it closed, in ms after the first write. */
interface Exchange {
  text: string;
  closedAfterMs: number | null;
}

/** Writes `chunks` on a fresh connection and collects the answer until the server closes or `waitMs` passes. */
function exchange(port: number, chunks: string[], waitMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    let text = "";
    const socket = net.connect(port, "127.0.0.1", () => {
      for (const chunk of chunks) socket.write(chunk);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closedAfterMs: null });
    }, waitMs);
    socket.on("data", (data) => (text += data.toString("latin1")));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
  });
}

const head = (extra: string) =>
  `POST /graphql HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\n${extra}\r\n`;

describe("the HTTP edge every service listens behind", () => {
  const errors: unknown[] = [];
  let apollo: ApolloServer;
  let running: RunningServer;
  const limits: Partial<EdgeLimits> = {
    headersTimeoutMs: 500,
    requestTimeoutMs: 1000,
    maxConnections: 3,
    maxBodyBytes: 1024,
  };

  beforeAll(async () => {
    apollo = new ApolloServer({ schema: buildSchema("type Query { hello: String }"), rootValue: { hello: "hi" } });
    await apollo.start();
    const handler = createGraphQLHttpHandler({ server: apollo, maxBodyBytes: 1024, context: async () => ({}) });
    running = await listen(handler, 0, "127.0.0.1", (error) => errors.push(error), 16 * 1024, limits);
  });
  afterAll(async () => {
    await running.close();
    await apollo.stop();
  });
  beforeEach(() => errors.splice(0));

  it("closes a connection whose headers stall, within the headers deadline", async () => {
    const seen = await exchange(running.port, ["POST /graphql HTTP/1.1\r\nHost: local"], 5000);
    expect(seen.closedAfterMs).not.toBeNull();
    expect(seen.closedAfterMs).toBeLessThan(3000);
  });

  it("answers 408 and closes a request whose body stalls, within the request deadline", async () => {
    const seen = await exchange(running.port, [head("content-length: 1000\r\n"), '{"query":'], 6000);
    expect(seen.text).toMatch(/^HTTP\/1.1 408/);
    expect(seen.closedAfterMs).toBeLessThan(4000);
  });

  it("answers 413 at once to Expect: 100-continue over the body limit, without 100 Continue", async () => {
    const seen = await exchange(running.port, [head("content-length: 100000000\r\nexpect: 100-continue\r\n")], 3000);
    expect(seen.text).toMatch(/^HTTP\/1.1 413/);
    expect(seen.text).not.toContain("100 Continue");
    expect(seen.closedAfterMs).not.toBeNull();
  });

  it("answers 413 to a declared body over the limit and closes the connection even if the client stalls", async () => {
    const seen = await exchange(running.port, [head("content-length: 5000\r\n"), '{"query":'], 8000);
    expect(seen.text).toMatch(/^HTTP\/1.1 413/);
    expect(seen.closedAfterMs).not.toBeNull();
    expect(seen.closedAfterMs).toBeLessThan(5000);
  });

  it("still sends 100 Continue for a body within the limit, then serves it", async () => {
    const body = '{"query":"{ hello }"}';
    const seen = await new Promise<string>((resolve) => {
      let text = "";
      const socket = net.connect(running.port, "127.0.0.1", () =>
        socket.write(head(`content-length: ${body.length}\r\nexpect: 100-continue\r\nconnection: close\r\n`)),
      );
      socket.on("data", (data) => {
        text += data.toString("latin1");
        if (text.startsWith("HTTP/1.1 100 Continue") && !text.includes("200")) socket.write(body);
      });
      socket.on("close", () => resolve(text));
    });
    expect(seen).toMatch(/^HTTP\/1.1 100 Continue/);
    expect(seen).toContain('{"data":{"hello":"hi"}}');
  });

  it("closes connections over the cap as they arrive and serves again once they are gone", async () => {
    const sockets = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const socket = net.connect(running.port, "127.0.0.1", () => resolve(socket));
            socket.on("error", () => {});
          }),
      ),
    );
    const over = await exchange(running.port, [head("content-length: 2\r\n") + "{}"], 3000);
    expect(over.text).toBe("");
    expect(over.closedAfterMs).not.toBeNull();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const response = await fetch(`${running.url}/graphql?query=%7Bhello%7D`, {
      headers: { "apollo-require-preflight": "1" },
    });
    expect(response.status).toBe(200);
  });

  it("answers 400, not 500, to a request target that is not a URL", async () => {
    const seen = await exchange(running.port, ["GET //[ HTTP/1.1\r\nHost: localhost\r\n\r\n"], 3000);
    expect(seen.text).toMatch(/^HTTP\/1.1 400/);
    expect(seen.text).toContain("BAD_REQUEST");
    expect(errors).toEqual([]);
  });

  it("treats a client that goes away mid-body as gone, not as a server error", async () => {
    await new Promise<void>((resolve) => {
      const socket = net.connect(running.port, "127.0.0.1", () => {
        socket.write(head("content-length: 500\r\n") + '{"query":');
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(errors).toEqual([]);
  });
});
