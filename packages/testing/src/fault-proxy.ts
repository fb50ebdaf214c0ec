import { createConnection, createServer, type Socket } from "node:net";

/** A TCP proxy in front of a real server that can lose a reply, reset connections or stall, on demand. */
export interface FaultProxy {
  port: number;
  /** redis://127.0.0.1:<port>, for a Redis behind it. */
  url: string;
  /** The next `count` data chunks from the server are thrown away, and each loss resets its connection. */
  dropNextReplies(count?: number): void;
  /** Resets every open connection at once (both sides see the socket close). */
  resetAll(): void;
  /** Holds every byte in both directions until resume(), as a partition would. */
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let dropping = 0;
  let stalled = false;
  const server = createServer((client) => {
    const upstream = createConnection(target);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    if (stalled) {
      client.pause();
      upstream.pause();
    }
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => {
      if (dropping > 0) {
        dropping -= 1;
        // resetAndDestroy sends an RST, as a crashed peer or a middlebox would.
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const each = (action: (socket: Socket) => void) => {
    for (const { client, upstream } of pairs) {
      action(client);
      action(upstream);
    }
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dropNextReplies: (count = 1) => {
      dropping += count;
    },
    resetAll: () => each((socket) => socket.destroy()),
    stall: () => {
      stalled = true;
      each((socket) => socket.pause());
    },
    resume: () => {
      stalled = false;
      each((socket) => socket.resume());
    },
    close: async () => {
      each((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
