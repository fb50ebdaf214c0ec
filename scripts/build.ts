/**
 * `pnpm build`: compiles every service to one JavaScript file under dist/, the tree the production image runs with
 * plain node (no tsx, no TypeScript). esbuild bundles the workspace packages into each service, so they can keep
 * shipping TypeScript source for `pnpm start` and the tests; every npm package stays external, required from the
 * workspace package that imports it, and comes from a production-only install laid out like the repository's
 * (Dockerfile). dist/ mirrors the repository's layout for the files the services read at run time (schemas, the
 * supergraph, the password list, the built web app), so their paths resolve as from source.
 */
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import path from "node:path";
import { build, type Plugin } from "esbuild";
import { ensureWebBuild } from "./web/build";

const ROOT = path.resolve(__dirname, "..");
export const DIST_DIR = path.join(ROOT, "dist");

export interface Service {
  name: string;
  /** The service's package folder (a subgraph's schema.graphql is there). */
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

/**
 * An npm package is required at run time from the folder of the workspace package whose source imports it, as node
 * would from source: each package gets the version it declares, even where two packages declare different versions
 * (pnpm then links each its own). esbuild leaves `require("<marker><folder>|<specifier>")` in the bundle, which
 * `requireFromPackages` turns into a `createRequire` from that folder once the bundle is written.
 */
const FROM_PACKAGE = "fedsession-from-package:";
const REQUIRE_FROM = "__fedsessionRequireFrom";
const REQUIRE_FROM_DEFINITION = `const ${REQUIRE_FROM} = (folder, specifier) => require("node:module").createRequire(require("node:path").join(__dirname, folder, "package.json"))(specifier);`;

const builtins = new Set(builtinModules);

interface Manifest {
  dependencies?: Record<string, string>;
  /** Provided by the package's consumer (the subgraph kit's graphql): resolved from the service's own package. */
  peerDependencies?: Record<string, string>;
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

async function readManifest(folder: string): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(ROOT, folder, "package.json"), "utf8")) as Manifest;
}

/** The workspace package (its folder, relative to the repository) a source file belongs to. */
async function owningPackage(file: string): Promise<string> {
  for (let folder = path.dirname(file); folder.startsWith(ROOT); folder = path.dirname(folder)) {
    if (await exists(path.join(folder, "package.json"))) return path.relative(ROOT, folder) || ".";
  }
  throw new Error(`${file} is outside the repository`);
}

const packageName = (specifier: string) =>
  specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : (specifier.split("/")[0] ?? specifier);

/**
 * Workspace packages are bundled (they ship TypeScript); an npm package must be a production dependency of the
 * package importing it, or the image (production install only) would not have it: the build refuses it instead.
 * A peer dependency comes from the service's own package (`consumer`), as Node finds it for an installed package.
 */
function npmPackagesFromTheirImporters(outDir: string, bundleDir: string, consumer: string): Plugin {
  return {
    name: "npm-packages-from-their-importers",
    setup(builder) {
      builder.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith(WORKSPACE_SCOPE)) return undefined;
        if (args.path.startsWith("node:") || builtins.has(args.path)) return { path: args.path, external: true };
        const importer = await owningPackage(args.importer);
        const name = packageName(args.path);
        const isPeer = name in ((await readManifest(importer)).peerDependencies ?? {});
        const owner = isPeer ? consumer : importer;
        const declared = (await readManifest(owner)).dependencies ?? {};
        if (!(name in declared)) {
          const text = `${packageName(args.path)} is not among the production dependencies of ${owner}/package.json`;
          return { errors: [{ text }] };
        }
        const folder = path.relative(bundleDir, path.join(outDir, owner)) || ".";
        return { path: `${FROM_PACKAGE}${folder}|${args.path}`, external: true };
      });
    },
  };
}

/** Turns the markers npmPackagesFromTheirImporters left into calls of the `createRequire` helper. */
const requireFromPackages = (code: string) =>
  code.replace(
    new RegExp(`require\\("${FROM_PACKAGE}([^|"]*)\\|([^"]*)"\\)`, "g"),
    (_, folder: string, specifier: string) =>
      `${REQUIRE_FROM}(${JSON.stringify(folder)}, ${JSON.stringify(specifier)})`,
  );

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

/**
 * Writes the bundles and the files they read into `outDir` (emptied first). `webApp: false` leaves out the web app's
 * static build, for a tree that runs only the gateway and the subgraphs.
 */
export async function buildServices(outDir: string = DIST_DIR, { webApp = true } = {}): Promise<Service[]> {
  if (webApp) await ensureWebBuild();
  await rm(outDir, { recursive: true, force: true });
  const services = await listServices();
  for (const service of services) {
    const outfile = bundlePath(outDir, service);
    const bundleDir = path.dirname(outfile);
    const result = await build({
      entryPoints: [path.join(ROOT, service.entry)],
      outfile,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      sourcemap: true,
      write: false,
      banner: { js: REQUIRE_FROM_DEFINITION },
      logLevel: "warning",
      plugins: [
        npmPackagesFromTheirImporters(outDir, bundleDir, service.package),
        sourceDirectories(outDir, bundleDir),
      ],
    });
    await mkdir(bundleDir, { recursive: true });
    // The rewrite only lengthens a few `require(...)` calls: the source map stays right but for columns after them.
    for (const file of result.outputFiles) {
      await writeFile(file.path, file.path === outfile ? requireFromPackages(file.text) : file.contents);
    }
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
