import { spawn } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";

export const WEB_APP_DIR = path.resolve(__dirname, "../../apps/web");
export const WEB_DIST_DIR = path.join(WEB_APP_DIR, "dist");
const SOURCES = ["src", "index.html", "vite.config.ts", "package.json"];

/** Newest modification time under `entry`; 0 when it is absent (the production image ships the build, no sources). */
async function newestModification(entry: string): Promise<number> {
  const info = await stat(entry).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  if (info === null) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const children = await readdir(entry);
  const times = await Promise.all(children.map((child) => newestModification(path.join(entry, child))));
  return Math.max(info.mtimeMs, ...times);
}

/** True when there is no build yet, or a source file changed after the last one. */
export async function webBuildIsStale(): Promise<boolean> {
  let built: number;
  try {
    built = (await stat(path.join(WEB_DIST_DIR, "index.html"))).mtimeMs;
  } catch {
    return true;
  }
  const sources = await Promise.all(SOURCES.map((source) => newestModification(path.join(WEB_APP_DIR, source))));
  return Math.max(...sources) > built;
}

/** Runs Vite's own CLI (`vite build`) in apps/web, so the build is exactly the one `pnpm build:web` makes. */
export function buildWebApp(): Promise<void> {
  const vite = path.join(WEB_APP_DIR, "node_modules/vite/bin/vite.js");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vite, "build", "--logLevel", "warn"], {
      cwd: WEB_APP_DIR,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`vite build in apps/web exited with code ${code}`)),
    );
  });
}

/** A fresh clone has no apps/web/dist: build it once, and again only when the app's sources changed. */
export async function ensureWebBuild(): Promise<string> {
  if (await webBuildIsStale()) await buildWebApp();
  return WEB_DIST_DIR;
}
