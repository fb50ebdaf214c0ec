/**
 * The web app's own server: `pnpm start` runs it beside the supergraph, `pnpm start:web` runs it alone (the
 * docker-compose `web` service) in front of the gateway at GATEWAY_URL. `pnpm dev:web` uses Vite's dev server instead.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { EnvReader, createLogger, runAsProcess, type Env, type StartedService } from "@fedsession/runtime";
import { buildWebApp, WEB_APP_DIR, WEB_DIST_DIR, webBuildIsStale } from "./build";
import { startWebServer } from "./server";

function webAddress(env: Env): { port: number; host: string } {
  const reader = new EnvReader(env);
  return { port: reader.port("WEB_PORT", 5173), host: reader.string("LISTEN_HOST", "127.0.0.1") };
}

/** The built app (built first when missing or older than its sources) with `/graphql` forwarded to the gateway. */
export async function startWeb(env: Env, gatewayOrigin: string): Promise<StartedService> {
  if (await webBuildIsStale()) {
    console.log("building the web app (apps/web/dist)…");
    await buildWebApp();
  }
  const running = await startWebServer({ distDir: WEB_DIST_DIR, gatewayOrigin, ...webAddress(env) });
  return {
    url: `${running.url}/`,
    notes: [`web app: ${running.url}/ (Apollo Sandbox as the signed-in user: ${running.url}/graphql)`],
    close: running.close,
  };
}

/** Vite's dev server with hot reload, proxying `/graphql` to the gateway (apps/web/vite.config.ts). */
export async function startWebDevServer(env: Env, gatewayOrigin: string): Promise<StartedService> {
  const { port, host } = webAddress(env);
  const vite = path.join(WEB_APP_DIR, "node_modules/vite/bin/vite.js");
  const child = spawn(process.execPath, [vite, "--host", host, "--port", String(port), "--strictPort"], {
    cwd: WEB_APP_DIR,
    env: { ...process.env, GATEWAY_URL: gatewayOrigin },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url: `http://${host}:${port}/`,
    notes: ["web app: Vite dev server with hot reload"],
    close: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

if (require.main === module) {
  const reader = new EnvReader(process.env);
  const gatewayOrigin = new URL(reader.url("GATEWAY_URL", "http://127.0.0.1:4000")).origin;
  runAsProcess(() => startWeb(process.env, gatewayOrigin), createLogger("web"));
}
