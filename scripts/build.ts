/**
 * `pnpm build`: compiles every service to one JavaScript file under dist/, the tree the production image runs with
 * plain node (no tsx, no TypeScript). esbuild bundles the workspace packages into each service, so they can keep
 * shipping TypeScript source for `pnpm start` and the tests; every npm package stays external and comes from a
 * production-only install (Dockerfile). dist/ mirrors the repository's layout for the files the services read at
 * run time (schemas, the supergraph, the password list, the built web app), so their paths resolve as from source.
 */
import { cp, mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { builtinModules } from "node:module";
import path from "node:path";
import { build, type Metafile, type Plugin } from "esbuild";
import { ensureWebBuild } from "./web/build";

const ROOT = path.resolve(__dirname, "..");
export const DIST_DIR = path.join(ROOT, "dist");

export interface Service {
  name: string;
  /** The folder whose package.json declares the service's dependencies. */
  package: string;
  entry: string;
}

/** The gateway, every subgraph with a `src/main.ts` (generated ones included) and the web app's server. */
export async function listServices(): Promise<Service[]> {
  const subgraphs = (await readdir(path.join(ROOT, "subgraphs"))).sort();
  const withMain = await Promise.all(
    subgraphs.map(async (name) => ((await exists(path.join(ROOT, "subgraphs", name, "src/main.ts"))) ? name : null)),
  );
  return [
    { name: "gateway", package: "gateway", entry: "gateway/src/main.ts" },
    ...withMain
      .filter((name) => name !== null)
      .map((name) => ({ name, package: `subgraphs/${name}`, entry: `subgraphs/${name}/src/main.ts` })),
    { name: "web", package: ".", entry: "scripts/web/main.ts" },
  ];
}

/** Files read at run time besides each subgraph's schema.graphql, relative to the repository (and so to dist/). */
const ASSETS = ["supergraph.graphql", "subgraphs/auth/src/data"];
const WEB_APP_BUILD = "apps/web/dist";

const WORKSPACE_SCOPE = "@fedsession/";

/** Where a service's bundle goes: <outDir>/<entry folder, without src/>/main.js, e.g. dist/gateway/main.js. */
export const bundlePath = (outDir: string, service: Service) =>
  path.join(outDir, path.dirname(service.entry).replace(/\/src$/, ""), "main.js");

/** Workspace packages are bundled (they ship TypeScript); every other bare import is left for node to resolve. */
const externalNpmPackages: Plugin = {
  name: "external-npm-packages",
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith(WORKSPACE_SCOPE) ? undefined : { path: args.path, external: true },
    );
  },
};

/**
 * A source file's `__dirname` becomes its mirror folder under dist/, so `path.resolve(__dirname, "../schema.graphql")`
 * finds the copied asset whichever bundle the file ended up in.
 */
function sourceDirectories(outDir: string, bundleDir: string): Plugin {
  return {
    name: "source-directories",
    setup(builder) {
      builder.onLoad({ filter: /\.ts$/ }, async (args) => {
        const contents = await readFile(args.path, "utf8");
        if (!contents.includes("__dirname")) return { contents, loader: "ts" };
        const mirror = path.join(outDir, path.relative(ROOT, path.dirname(args.path)));
        const relative = path.relative(bundleDir, mirror);
        const replacement = `require("node:path").resolve(__dirname, ${JSON.stringify(relative)})`;
        return { contents: contents.replace(/\b__dirname\b/g, replacement), loader: "ts" };
      });
    },
  };
}

interface Manifest {
  name?: string;
  dependencies?: Record<string, string>;
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

async function readManifest(folder: string): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(ROOT, folder, "package.json"), "utf8")) as Manifest;
}

/** Folder of every workspace package a service may depend on, by package name. */
async function workspaceFolders(): Promise<Map<string, string>> {
  const candidates = ["gateway"];
  for (const parent of ["subgraphs", "packages"]) {
    for (const child of await readdir(path.join(ROOT, parent))) candidates.push(`${parent}/${child}`);
  }
  const folders = new Map<string, string>();
  for (const folder of candidates) {
    if (!(await exists(path.join(ROOT, folder, "package.json")))) continue;
    const { name } = await readManifest(folder);
    if (name !== undefined) folders.set(name, folder);
  }
  return folders;
}

/** The npm packages a production install provides to a package: its dependencies and its workspace dependencies'. */
async function productionDependencies(folder: string, folders: Map<string, string>): Promise<Set<string>> {
  const found = new Set<string>();
  const visit = async (current: string, seen: Set<string>) => {
    if (seen.has(current)) return;
    seen.add(current);
    for (const name of Object.keys((await readManifest(current)).dependencies ?? {})) {
      const workspace = folders.get(name);
      if (workspace === undefined) found.add(name);
      else await visit(workspace, seen);
    }
  };
  await visit(folder, new Set());
  return found;
}

const packageName = (specifier: string) =>
  specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : (specifier.split("/")[0] ?? specifier);

/** The npm packages a bundle requires at run time (node's own modules excluded). */
function externalPackages(metafile: Metafile): Set<string> {
  const names = new Set<string>();
  for (const input of Object.values(metafile.inputs)) {
    for (const imported of input.imports) {
      if (imported.external && !imported.path.startsWith("node:")) names.add(packageName(imported.path));
    }
  }
  return names;
}

/**
 * A bundle that requires a package its service does not declare (a root dev dependency, say) would run here and fail
 * in the image; the build refuses it instead.
 */
async function checkExternals(service: Service, metafile: Metafile, folders: Map<string, string>): Promise<void> {
  const provided = await productionDependencies(service.package, folders);
  const builtins = new Set(builtinModules);
  const missing = [...externalPackages(metafile)].filter((name) => !provided.has(name) && !builtins.has(name));
  if (missing.length > 0) {
    throw new Error(
      `${service.name} requires ${missing.join(", ")}, not among the production dependencies of ${service.package}/package.json`,
    );
  }
}

/**
 * Writes the bundles and the files they read into `outDir` (emptied first). `webApp: false` leaves out the web app's
 * static build, for a tree that runs only the gateway and the subgraphs.
 */
export async function buildServices(outDir: string = DIST_DIR, { webApp = true } = {}): Promise<Service[]> {
  if (webApp) await ensureWebBuild();
  await rm(outDir, { recursive: true, force: true });
  const folders = await workspaceFolders();
  const services = await listServices();
  for (const service of services) {
    const outfile = bundlePath(outDir, service);
    const result = await build({
      entryPoints: [path.join(ROOT, service.entry)],
      outfile,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      sourcemap: true,
      metafile: true,
      logLevel: "warning",
      plugins: [externalNpmPackages, sourceDirectories(outDir, path.dirname(outfile))],
    });
    await checkExternals(service, result.metafile, folders);
  }
  const schemas = services.filter((service) => service.package.startsWith("subgraphs/"));
  const assets = [
    ...ASSETS,
    ...schemas.map((service) => `${service.package}/schema.graphql`),
    ...(webApp ? [WEB_APP_BUILD] : []),
  ];
  for (const asset of assets) {
    await mkdir(path.dirname(path.join(outDir, asset)), { recursive: true });
    await cp(path.join(ROOT, asset), path.join(outDir, asset), { recursive: true });
  }
  return services;
}

if (require.main === module) {
  buildServices().then(
    (services) => console.log(`built ${services.map((service) => service.name).join(", ")} into ${DIST_DIR}`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
