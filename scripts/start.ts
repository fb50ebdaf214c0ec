/**
 * `pnpm start`: the whole supergraph in one process for development — session, auth and documents subgraphs, the
 * gateway, and the web app with `/graphql` on its own origin, on their configured ports. Without REDIS_URL every
 * store is in memory (development only). `pnpm dev:web` (`--dev`) serves the app from Vite's dev server instead.
 */
import { ensureDevelopmentKeys, EnvReader } from "@fedsession/runtime";
import { start as startAuth } from "../subgraphs/auth/src/main";
import { start as startDocuments } from "../subgraphs/documents/src/main";
import { start as startSession } from "../subgraphs/session/src/main";
import { start as startGateway } from "../gateway/src/main";
import { startWeb, startWebDevServer } from "./web/main";

interface Started {
  name: string;
  url: string;
  notes: string[];
  close(): Promise<void>;
}

async function main(): Promise<void> {
  const env = new EnvReader(process.env);
  if (!env.isProduction() && env.optional("KEYS_DIR") === undefined) await ensureDevelopmentKeys();
  const started: Started[] = [];
  const stopAll = async () => {
    for (const service of started.reverse()) await service.close().catch(() => {});
  };
  try {
    for (const [name, start] of [
      ["session", startSession],
      ["auth", startAuth],
      ["documents", startDocuments],
      ["gateway", startGateway],
    ] as const) {
      started.push({ name, ...(await start(process.env)) });
    }
    const gatewayOrigin = new URL((started.at(-1) as Started).url).origin;
    const startApp = process.argv.includes("--dev") ? startWebDevServer : startWeb;
    started.push({ name: "web", ...(await startApp(process.env, gatewayOrigin)) });
  } catch (error) {
    await stopAll();
    throw error;
  }
  console.log("\nfedsession is running:");
  for (const service of started) console.log(`  ${service.name.padEnd(10)} ${service.url}`);
  for (const note of new Set(started.flatMap((service) => service.notes))) console.log(`  - ${note}`);
  console.log("Open the web app URL in a browser; the gateway URL opens Apollo Sandbox. Ctrl-C stops everything.\n");
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    console.log("stopping…");
    void stopAll().then(() => process.exit(0));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((error: unknown) => {
  console.error(`fedsession failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
