/**
 * The production image, as far as a test can check it without a Docker engine: the Dockerfile (parsed), and the
 * compiled services run the way docker-compose.yml runs them: `node <bundle>` from the tree `pnpm build` writes, beside
 * only the production dependencies the Dockerfile's install gives (its own command, run offline), each service with
 * only the key files compose mounts for it, logged in to a private Redis started with the shipped arguments and ACL
 * file as its own ACL user.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Redis from "ioredis";
import { generateKeyMaterial, writeKeyMaterial } from "@fedsession/runtime";
import { startRedisProcess, type RedisProcess } from "@fedsession/testing";
import { buildServices } from "../../scripts/build";
import { composeRedisUsers, passwordFile, writeRedisCredentials } from "../../scripts/redis-acl";
import { BrowserClient } from "../support/client";
import { interpolate, readComposeServices, type ComposeService } from "../support/compose";

const ROOT = path.resolve(__dirname, "../..");
const PNPM = ["npx", "--yes", "pnpm@10.34.9"];

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages, each with its instructions (continuation lines joined, comments dropped). */
async function readDockerfile(): Promise<Stage[]> {
  const text = (await readFile(path.join(ROOT, "Dockerfile"), "utf8")).replace(/\\\n\s*/g, "");
  const stages: Stage[] = [];
  for (const line of text.split("\n")) {
    const match = /^([A-Z]+)\s+(.*)$/.exec(line.trim());
    if (!match || line.trim().startsWith("#")) continue;
    const [, keyword = "", args = ""] = match;
    if (keyword === "FROM") stages.push({ name: /\sAS\s+(\S+)/i.exec(args)?.[1] ?? "", instructions: [] });
    stages.at(-1)?.instructions.push({ keyword, args });
  }
  return stages;
}

const argsOf = (stage: Stage, keyword: string) =>
  stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);

/** host path → container path of each bind mount (named volumes left out). */
function bindMounts(service: ComposeService, values: Record<string, string>): [string, string][] {
  return (service.volumes ?? [])
    .map((volume) => interpolate(volume, values).split(":"))
    .filter(([host]) => host !== undefined && (host.startsWith("/") || host.startsWith(".")))
    .map(([host = "", container = ""]) => [host, container]);
}

describe("the Dockerfile", () => {
  it("runs node on the compiled tree as a non-root user, with a HEALTHCHECK, and installs nothing in that stage", async () => {
    const stages = await readDockerfile();
    const runtime = stages.at(-1) as Stage;
    const user = argsOf(runtime, "USER");
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(argsOf(runtime, "HEALTHCHECK")).toEqual([expect.stringMatching(/CMD \["node", "-e", /)]);
    expect(JSON.parse(argsOf(runtime, "CMD")[0] ?? "[]")).toEqual(["node", expect.stringMatching(/\.js$/)]);
    expect(argsOf(runtime, "RUN")).toEqual([]);
    // Everything in the final image comes from the production install and from the compiled tree.
    const copies = argsOf(runtime, "COPY");
    expect(copies).toEqual([
      expect.stringMatching(/^--from=deps \/src \.\/$/),
      expect.stringMatching(/^--from=build \S*\/dist /),
    ]);
    const deps = stages.find((stage) => stage.name === "deps") as Stage;
    expect(argsOf(deps, "RUN").join(" ")).toMatch(/pnpm install --frozen-lockfile --prod\b/);
    expect(runtime.instructions.map((instruction) => instruction.args).join("\n")).not.toMatch(/tsx|pnpm|typescript/);
  });

  it("copies the manifest of every workspace package before the frozen install", async () => {
    const stages = await readDockerfile();
    const manifests = stages.find((stage) => stage.name === "manifests") as Stage;
    const copied = argsOf(manifests, "COPY").flatMap((args) => args.split(/\s+/).slice(0, -1));
    const packages = ["gateway"];
    for (const parent of ["subgraphs", "packages", "apps"]) {
      for (const child of await readdir(path.join(ROOT, parent))) packages.push(`${parent}/${child}`);
    }
    for (const folder of packages) expect(copied).toContain(`${folder}/package.json`);
  });
});

describe("docker-compose.yml", () => {
  it("mounts each service only its own private key and the public keys it uses; documents gets no secret", async () => {
    const services = await readComposeServices();
    const keyFiles = (name: string) =>
      bindMounts(services[name] as ComposeService, {})
        .map(([, container]) => container)
        .filter((container) => container.startsWith("/keys/"))
        .map((container) => path.basename(container))
        .sort();
    expect(keyFiles("gateway")).toEqual(["gateway.private.json", "gateway.public.json", "session.public.json"]);
    expect(keyFiles("session")).toEqual(["auth.public.json", "gateway.public.json", "session.private.json"]);
    expect(keyFiles("auth")).toEqual(["auth.password-pepper", "auth.private.json", "gateway.public.json"]);
    expect(keyFiles("documents")).toEqual(["gateway.public.json"]);
    expect(keyFiles("web")).toEqual([]);
  });

  it("runs Redis with a memory limit that refuses writes rather than evicting a session or a revocation", async () => {
    const [program, ...args] = (await readComposeServices()).redis?.command ?? [];
    expect(program).toBe("redis-server");
    expect(args[args.indexOf("--maxmemory") + 1]).toMatch(/^\$\{REDIS_MAXMEMORY:-\d+mb\}$/);
    expect(args[args.indexOf("--maxmemory-policy") + 1]).toBe("noeviction");
    expect(args).toContain("--aclfile");
  });
});

interface RunningService {
  url: string;
  output: string[];
  process: ChildProcess;
}

/** Starts `node <bundle>` and waits for the line announcing its URL (port 0: the system picks it). */
function startService(name: string, appDir: string, args: string[], env: Record<string, string>) {
  return new Promise<RunningService>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: appDir, env, stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    const timer = setTimeout(() => fail(new Error("no URL announced within 30 s")), 30_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${name}: ${error.message}\n${output.join("")}`));
    };
    const read = (chunk: Buffer) => {
      output.push(chunk.toString());
      // The service's own URL (its GraphQL endpoint), not its metrics listener's.
      const url = /http:\/\/127\.0\.0\.1:\d+(?=\/graphql)/.exec(chunk.toString())?.[0];
      if (url && !url.endsWith(":0")) {
        clearTimeout(timer);
        resolve({ url, output, process: child });
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.once("exit", (code) => fail(new Error(`exited with code ${code}`)));
  });
}

async function stopService(service: RunningService): Promise<void> {
  if (service.process.exitCode !== null || service.process.signalCode !== null) return;
  const exited = new Promise((resolve) => service.process.once("exit", resolve));
  service.process.kill("SIGTERM");
  await exited;
}

/** The Dockerfile's production install, run offline from pnpm's store, in a folder holding the manifests it copies. */
async function installProductionDependencies(dir: string): Promise<void> {
  const stages = await readDockerfile();
  const manifests = stages.find((stage) => stage.name === "manifests") as Stage;
  for (const args of argsOf(manifests, "COPY")) {
    const parts = args.split(/\s+/);
    const target = path.join(dir, parts.at(-1) ?? "");
    await mkdir(target, { recursive: true });
    for (const source of parts.slice(0, -1))
      await cp(path.join(ROOT, source), path.join(target, path.basename(source)));
  }
  const install = argsOf(stages.find((stage) => stage.name === "deps") as Stage, "RUN").join(" && ");
  const script = `pnpm() { ${PNPM.join(" ")} "$@" --offline; }; ${install}`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn("bash", ["-c", script], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`production install failed (${code}):\n${output.join("")}`)),
    );
  });
}

describe("the compiled services, run as docker-compose.yml runs them, each as its own Redis user", () => {
  let work: string;
  let keysDir: string;
  let redis: RedisProcess;
  const running: Record<string, RunningService> = {};
  const passwords: Record<string, string> = {};
  const composeValues = { SESSION_CACHE: "on" };

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "fedsession-image-"));
    const appDir = path.join(work, "app");
    await buildServices(appDir, { webApp: false });
    // The image copies the install over /app, then the compiled tree: the same files, installed in place here.
    await installProductionDependencies(appDir);

    keysDir = path.join(work, "keys");
    const users = await composeRedisUsers();
    await writeKeyMaterial(keysDir, await generateKeyMaterial(false));
    await writeRedisCredentials(keysDir, users);
    for (const user of users) passwords[user.name] = (await readFile(passwordFile(keysDir, user.name), "utf8")).trim();

    const services = await readComposeServices();
    const hostValues = { KEYS_DIR_HOST: keysDir, ...composeValues };
    const redisService = services.redis as ComposeService;
    const containerToHost = new Map(bindMounts(redisService, hostValues).map(([host, container]) => [container, host]));
    const redisArgs = (redisService.command ?? [])
      .slice(1)
      .map((arg) => containerToHost.get(interpolate(arg, hostValues)) ?? interpolate(arg, hostValues));
    redis = await startRedisProcess([...redisArgs, "--dir", work]);

    const urls: Record<string, string> = {};
    for (const name of ["session", "auth", "documents", "gateway"]) {
      const service = services[name] as ComposeService;
      // A root folder per service holding exactly what compose mounts, at the container's paths.
      const root = path.join(work, "roots", name);
      for (const [host, container] of bindMounts(service, hostValues)) {
        await mkdir(path.dirname(path.join(root, container)), { recursive: true });
        await cp(path.resolve(host), path.join(root, container));
      }
      const environment = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), hostValues)]),
      );
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "",
        ...environment,
        ...Object.fromEntries(Object.keys(environment).flatMap((key) => (key.endsWith("_PORT") ? [[key, "0"]] : []))),
        LISTEN_HOST: "127.0.0.1",
        METRICS_HOST: "127.0.0.1",
        KEYS_DIR: path.join(root, environment.KEYS_DIR ?? ""),
        REDIS_PASSWORD_FILE: path.join(root, environment.REDIS_PASSWORD_FILE ?? ""),
        REDIS_URL: redis.url,
        SESSION_URL: urls.session ?? "",
        AUTH_URL: urls.auth ?? "",
        DOCUMENTS_URL: urls.documents ?? "",
        BCRYPT_COST: "4",
      };
      const [program, ...args] = service.command ?? [];
      expect(program).toBe("node");
      running[name] = await startService(name, appDir, args, env);
      urls[name] = new URL(running[name].url).origin;
    }
  }, 180_000);

  afterAll(async () => {
    for (const name of ["gateway", "documents", "auth", "session"]) {
      const service = running[name];
      if (service) await stopService(service);
    }
    await redis?.kill();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const connectAs = async (user: string | null) => {
    const client = new Redis(redis.url, {
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      ...(user === null ? {} : { username: user, password: passwords[user] }),
    });
    await client.connect();
    return client;
  };

  it("runs from a tree with no tsx, no TypeScript and no dev dependency", async () => {
    // Every package of the production install, one folder per name and version in pnpm's store layout.
    const installed = (await readdir(path.join(work, "app/node_modules/.pnpm"))).map((entry) =>
      entry.replace(/^(@?[^@]+)@.*$/, "$1"),
    );
    for (const devOnly of ["tsx", "typescript", "jest", "esbuild", "@swc+core", "eslint", "vite", "prettier"]) {
      expect(installed).not.toContain(devOnly);
    }
    expect(installed).toEqual(expect.arrayContaining(["@apollo+gateway", "bcrypt", "graphql", "ioredis", "jose"]));
  });

  it("signs up, queries, writes, signs out and in again through the compiled gateway and subgraphs", async () => {
    const client = new BrowserClient(`${running.gateway?.url ?? ""}/graphql`);
    const email = `image-${Date.now()}@example.com`;
    const signUp = await client.request(
      `mutation ($email: String!) { signUp(email: $email, password: "correct horse battery") { user { id } } }`,
      { email },
    );
    expect(signUp.body.errors).toBeUndefined();
    expect((await client.request(`{ me { email } }`)).body.data).toEqual({ me: { email } });
    const created = await client.request(`mutation { createDocument(title: "t", body: "b") { id } }`);
    const documentId = (created.body.data?.createDocument as { id: string }).id;
    expect((await client.request(`{ documents { id } }`)).body.data).toEqual({ documents: [{ id: documentId }] });
    expect((await client.request(`mutation { logout }`)).body.data).toEqual({ logout: true });
    expect((await client.request(`{ me { id } }`)).body.data).toEqual({ me: null });
    // A wrong password first: the login throttle's keys are written too, under auth's prefix.
    const login = `mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { user { email } } }`;
    const refused = await client.request(login, { email, password: "not the password" });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const signedIn = await client.request(login, { email, password: "correct horse battery" });
    expect(signedIn.body.data).toEqual({ login: { user: { email } } });
    expect((await client.request(`{ me { email } }`)).body.data).toEqual({ me: { email } });
  });

  it("each service writes under its own prefix as its own user, and is refused every other service's keys", async () => {
    const client = new BrowserClient(`${running.gateway?.url ?? ""}/graphql`);
    const signUp = await client.request(
      `mutation ($email: String!) { signUp(email: $email, password: "correct horse battery") { user { id } } }`,
      { email: `acl-${Date.now()}@example.com` },
    );
    const userId = (signUp.body.data?.signUp as { user: { id: string } }).user.id;
    const created = await client.request(`mutation { createDocument(title: "t", body: "b") { id } }`);
    const documentId = (created.body.data?.createDocument as { id: string }).id;
    const token = [...client.cookies.values()][0] ?? "";
    const sessionKey = `fedsession:session:s:{${token.split(".")[0]}}`;
    const userKey = `fedsession:auth:user:{${userId}}`;
    const documentKey = `fedsession:documents:document:{${documentId}}`;

    const [gateway, session, auth, documents, anonymous] = await Promise.all(
      ["gateway", "session", "auth", "documents", null].map(connectAs),
    );
    try {
      expect(await session?.exists(sessionKey)).toBe(1);
      expect(await auth?.exists(userKey)).toBe(1);
      expect(await documents?.exists(documentKey)).toBe(1);

      await expect(documents?.get(sessionKey)).rejects.toThrow(/NOPERM/);
      await expect(auth?.get(sessionKey)).rejects.toThrow(/NOPERM/);
      await expect(auth?.get(documentKey)).rejects.toThrow(/NOPERM/);
      await expect(documents?.get(userKey)).rejects.toThrow(/NOPERM/);
      await expect(session?.get(userKey)).rejects.toThrow(/NOPERM/);
      await expect(gateway?.get(sessionKey)).rejects.toThrow(/NOPERM/);
      await expect(anonymous?.get(sessionKey)).rejects.toThrow(/NOPERM/);
      // The gateway listens to the session events and cannot forge one; nobody lists or flushes the keyspace.
      await expect(gateway?.publish("fedsession:session:session-events", "{}")).rejects.toThrow(/NOPERM/);
      await expect(session?.scan("0")).rejects.toThrow(/NOPERM/);
      await expect(session?.keys("*")).rejects.toThrow(/NOPERM/);
      await expect(session?.flushall()).rejects.toThrow(/NOPERM/);
      // WAIT (REDIS_WAIT_REPLICAS) stays allowed to the services that write.
      expect(await session?.wait(0, 0)).toBe(0);
      expect(await auth?.wait(0, 0)).toBe(0);
    } finally {
      for (const connection of [gateway, session, auth, documents, anonymous]) connection?.disconnect();
    }
    for (const service of Object.values(running)) expect(service.output.join("")).not.toMatch(/NOPERM/);
  });

  it("answers the Dockerfile's HEALTHCHECK on every service", async () => {
    const runtime = (await readDockerfile()).at(-1) as Stage;
    const command = JSON.parse((argsOf(runtime, "HEALTHCHECK")[0] ?? "").replace(/^.*?CMD\s+/, "")) as string[];
    expect(command[0]).toBe("node");
    for (const service of Object.values(running)) {
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, command.slice(1), {
          env: { HEALTH_URL: `${new URL(service.url).origin}/health` },
          stdio: "ignore",
        });
        child.once("exit", resolve);
      });
      expect(code).toBe(0);
    }
  });
});

/** A file the compose file mounts must exist in what `pnpm keys` writes, or Docker would mount an empty folder. */
it("pnpm keys writes every file docker-compose.yml mounts", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "fedsession-image-keys-"));
  try {
    await writeKeyMaterial(dir, await generateKeyMaterial(false));
    await writeRedisCredentials(dir, await composeRedisUsers());
    for (const service of Object.values(await readComposeServices())) {
      for (const [host] of bindMounts(service, { KEYS_DIR_HOST: dir })) {
        expect((await stat(host)).isFile()).toBe(true);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
