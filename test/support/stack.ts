import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLogger, generateKeyMaterial, writeKeyMaterial, type Env, type KeyMaterial } from "@fedsession/runtime";
import { connectTestRedis, type TestRedis } from "@fedsession/testing";
import { start as startGateway } from "../../gateway/src/main";
import { start as startAuth } from "../../subgraphs/auth/src/main";
import { start as startDocuments } from "../../subgraphs/documents/src/main";
import { start as startSession } from "../../subgraphs/session/src/main";

export type StoreKind = "memory" | "redis";

export interface Stack {
  gatewayUrl: string;
  sessionUrl: string;
  authUrl: string;
  documentsUrl: string;
  keys: KeyMaterial;
  redis: TestRedis | null;
  /** The environment every service of this stack started with (keys, Redis, ports 0), for starting replicas. */
  env: Env;
  /** Every log line every service wrote, for tests that look for leaks. */
  logs: string[];
  /** Stops one service early, to test how the rest behave without it. */
  stopService(name: "session" | "auth" | "documents"): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real gateway and the three real subgraphs, each on port 0, wired together over HTTP. `serviceEnv` adds to one
 * subgraph's environment only (its own Redis, to fail it alone).
 */
export async function startStack(
  kind: StoreKind,
  extraEnv: Env = {},
  gatewayEnv: Env = {},
  serviceEnv: Partial<Record<"session" | "auth" | "documents", Env>> = {},
): Promise<Stack> {
  const keysDir = await mkdtemp(path.join(tmpdir(), "fedsession-keys-"));
  // Production refuses development keys, so a production-mode stack gets a production set.
  const keys = await generateKeyMaterial(extraEnv.NODE_ENV !== "production");
  await writeKeyMaterial(keysDir, keys);
  const redis = kind === "redis" ? await connectTestRedis() : null;
  const logs: string[] = [];
  const baseEnv: Env = {
    NODE_ENV: "test",
    KEYS_DIR: keysDir,
    BCRYPT_COST: "4",
    SESSION_PORT: "0",
    AUTH_PORT: "0",
    DOCUMENTS_PORT: "0",
    GATEWAY_PORT: "0",
    ...(redis ? redis.env : {}),
    ...extraEnv,
  };
  const loggerFor = (service: string) => createLogger(service, (line) => logs.push(line));
  const running: Partial<
    Record<"session" | "auth" | "documents" | "gateway", { url: string; close(): Promise<void> }>
  > = {};
  const stopService = async (name: keyof typeof running) => {
    const service = running[name];
    delete running[name];
    await service?.close();
  };
  let urls: Record<"session" | "auth" | "documents" | "gateway", string>;
  try {
    const session = (running.session = await startSession({ ...baseEnv, ...serviceEnv.session }, loggerFor("session")));
    const sessionBase = new URL(session.url).origin;
    const auth = (running.auth = await startAuth(
      { ...baseEnv, SESSION_URL: sessionBase, ...serviceEnv.auth },
      loggerFor("auth"),
    ));
    const documents = (running.documents = await startDocuments(
      { ...baseEnv, ...serviceEnv.documents },
      loggerFor("documents"),
    ));
    const gateway = (running.gateway = await startGateway(
      {
        ...baseEnv,
        SESSION_URL: sessionBase,
        AUTH_URL: new URL(auth.url).origin,
        DOCUMENTS_URL: new URL(documents.url).origin,
        ...gatewayEnv,
      },
      loggerFor("gateway"),
    ));
    urls = { session: session.url, auth: auth.url, documents: documents.url, gateway: gateway.url };
  } catch (error) {
    for (const name of ["gateway", "documents", "auth", "session"] as const) await stopService(name);
    await redis?.close();
    throw error;
  }
  return {
    gatewayUrl: urls.gateway,
    sessionUrl: urls.session,
    authUrl: urls.auth,
    documentsUrl: urls.documents,
    keys,
    redis,
    env: baseEnv,
    logs,
    stopService,
    stop: async () => {
      for (const name of ["gateway", "documents", "auth", "session"] as const) await stopService(name);
      await redis?.close();
      await rm(keysDir, { recursive: true, force: true });
    },
  };
}
