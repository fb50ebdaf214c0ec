import { createServer, type Server } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, generateKeyMaterial, sendJson, silentLogger, writeKeyMaterial } from "@fedsession/runtime";
import { startSubgraph, type ListenConfig, type SubgraphDefinition } from "../src";

/** A subgraph whose build opens two named resources and records every release, in order. */
function recordingSubgraph(events: string[], options: { failBuild?: boolean; port?: number } = {}) {
  const definition: SubgraphDefinition<ListenConfig> = {
    name: "recording",
    readConfig: (env) => {
      if (env.RECORDING_PORT === "bad") throw new ConfigError("RECORDING_PORT", "not a port");
      return { port: options.port ?? 0, host: "127.0.0.1" };
    },
    build: async ({ opened }) => {
      opened("store", (name) => void events.push(`released ${name}`));
      opened("timer", (name) => void events.push(`released ${name}`));
      if (options.failBuild) throw new Error("schema did not build");
      return {
        handler: async (_req, res) => sendJson(res, 200, { ok: true }),
        stop: async () => {
          events.push("stopped server");
        },
        notes: ["recording store: in-memory"],
      };
    },
  };
  return definition;
}

let keysDir: string;

beforeAll(async () => {
  keysDir = await mkdtemp(path.join(tmpdir(), "subgraph-host-keys-"));
  await writeKeyMaterial(keysDir, await generateKeyMaterial(true));
});
afterAll(() => rm(keysDir, { recursive: true, force: true }));

describe("startSubgraph", () => {
  it("listens, reports its notes, and on close releases everything it opened, newest first", async () => {
    const events: string[] = [];
    const service = await startSubgraph(recordingSubgraph(events), { KEYS_DIR: keysDir }, silentLogger);
    expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(service.notes).toEqual(["recording store: in-memory"]);
    expect(await (await fetch(service.url)).json()).toEqual({ ok: true });
    await service.close();
    expect(events).toEqual(["stopped server", "released timer", "released store"]);
    await expect(fetch(service.url)).rejects.toThrow();
  });

  it("releases what the build opened when the build fails, and reports the build's error", async () => {
    const events: string[] = [];
    await expect(
      startSubgraph(recordingSubgraph(events, { failBuild: true }), { KEYS_DIR: keysDir }, silentLogger),
    ).rejects.toThrow("schema did not build");
    expect(events).toEqual(["released timer", "released store"]);
  });

  it("stops the server and releases the rest when the port cannot be bound", async () => {
    const occupied: Server = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, "127.0.0.1", resolve));
    const address = occupied.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const events: string[] = [];
    try {
      await expect(
        startSubgraph(recordingSubgraph(events, { port }), { KEYS_DIR: keysDir }, silentLogger),
      ).rejects.toThrow(/EADDRINUSE/);
      expect(events).toEqual(["stopped server", "released timer", "released store"]);
    } finally {
      await new Promise((resolve) => occupied.close(resolve));
    }
  });

  it("opens nothing when the configuration or the keys cannot be read", async () => {
    const events: string[] = [];
    await expect(
      startSubgraph(recordingSubgraph(events), { KEYS_DIR: keysDir, RECORDING_PORT: "bad" }, silentLogger),
    ).rejects.toThrow(expect.objectContaining({ variable: "RECORDING_PORT" }));
    await expect(
      startSubgraph(recordingSubgraph(events), { KEYS_DIR: path.join(keysDir, "missing") }, silentLogger),
    ).rejects.toThrow();
    expect(events).toEqual([]);
  });
});
