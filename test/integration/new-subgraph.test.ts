/**
 * `pnpm new:subgraph` in a temporary copy of the repository (its tracked files, installed offline from the pnpm
 * store): the command succeeds, the copy's compose, codegen and lockfile checks pass, the copy's `pnpm start` (its
 * scripts/start.ts, on free ports, with the web app from Vite's dev server so nothing is built) serves
 * `<name>Hello` through the gateway with the caller's id, and the generated conformance suite passes there.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { generateKeyMaterial, writeKeyMaterial } from "@fedsession/runtime";
import { problemWithName } from "../../scripts/new-subgraph/name";
import { addDockerComposeService, nextFreePort, registerInSupergraph } from "../../scripts/new-subgraph/register";
import { subgraphNames } from "../../scripts/new-subgraph/templates";
import { BrowserClient } from "../support/client";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");
const NAME = "greetings";

/** The pnpm running this test (`pnpm test`), or the workspace's pinned one through npx. */
async function pnpmCommand(): Promise<[string, string[]]> {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm\.c?js$/.test(execPath)) return [process.execPath, [execPath]];
  const manifest: { packageManager: string } = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8"));
  return ["npx", ["-y", manifest.packageManager]];
}

/** Runs a command in the copy and returns its output (stdout, then stderr); a failure shows that output. */
async function inCopy(copy: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd: copy,
      env: { ...process.env, ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return `${stdout}${stderr}`;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout}\n${stderr}`);
  }
}

async function hasDockerCompose(): Promise<boolean> {
  return run("docker-compose", ["version"]).then(
    () => true,
    () => false,
  );
}

async function copyTrackedFiles(destination: string): Promise<void> {
  const { stdout } = await run("git", ["ls-files", "-z"], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const files = stdout.split("\0").filter((file) => file !== "" && existsSync(path.join(ROOT, file)));
  await Promise.all(files.map((file) => cp(path.join(ROOT, file), path.join(destination, file))));
}

/** The copy's `pnpm start` (`--dev`: no web build) on free ports; resolves with the gateway's URL it prints. */
function startCopiedStack(copy: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(path.join(copy, "node_modules/.bin/tsx"), ["scripts/start.ts", "--dev"], {
    cwd: copy,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^ {2}gateway +(\S+)$/m.exec(output);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => reject(new Error(`the copied supergraph exited (${code}):\n${output}`)));
  });
}

describe("pnpm new:subgraph", () => {
  it("refuses names that are not lowercase letters or that are taken, saying why", async () => {
    expect(await problemWithName(undefined, ROOT)).toMatch(/pnpm new:subgraph <name>/);
    expect(await problemWithName("Invoices", ROOT)).toMatch(/lowercase letters/);
    expect(await problemWithName("my-invoices", ROOT)).toMatch(/lowercase letters/);
    expect(await problemWithName("documents", ROOT)).toMatch(/already listed in supergraph.yaml/);
    expect(await problemWithName("gateway", ROOT)).toMatch(/taken/);
    expect(await problemWithName("invoices", ROOT)).toBeNull();
  });

  it("takes the lowest free port from 4004", () => {
    const platform = [4001, 4002, 4003].map((port) => `http://127.0.0.1:${port}/graphql`);
    expect(nextFreePort(platform)).toBe(4004);
    expect(nextFreePort([...platform, "http://127.0.0.1:4004/graphql"])).toBe(4005);
    expect(nextFreePort([...platform, "http://127.0.0.1:4005/graphql"])).toBe(4004);
  });

  it("keeps supergraph.yaml's comments, and refuses a docker-compose.yml without a gateway service", () => {
    const names = subgraphNames("invoices", 4004);
    const yaml = "# composed by pnpm compose\nsubgraphs:\n  session:\n    routing_url: http://127.0.0.1:4001/graphql\n";
    expect(registerInSupergraph(yaml, names)).toMatch(/^# composed by pnpm compose\n[\s\S]* {2}invoices:\n/);
    expect(() => addDockerComposeService("services:\n  web:\n    image: web\n", names)).toThrow(/gateway/);
  });

  describe("in a temporary copy of the repository", () => {
    let copy: string;
    let pnpm: [string, string[]];

    beforeAll(async () => {
      copy = await mkdtemp(path.join(tmpdir(), "fedsession-new-subgraph-"));
      pnpm = await pnpmCommand();
      await copyTrackedFiles(copy);
      await inCopy(copy, pnpm[0], [...pnpm[1], "install", "--offline", "--frozen-lockfile"]);
    }, 180_000);
    afterAll(() => rm(copy, { recursive: true, force: true }));

    it("generates a subgraph that the supergraph serves and the conformance kit passes", async () => {
      // Not offline: the new package's dependencies are resolved afresh (a new importer), which needs the registry's
      // metadata when pnpm's metadata cache is empty, as on a fresh machine whose store was filled by frozen installs.
      const output = await inCopy(copy, pnpm[0], [...pnpm[1], "new:subgraph", NAME]);
      expect(output).toContain(`subgraphs/${NAME} is ready on port 4004`);
      expect(await readFile(path.join(copy, "supergraph.yaml"), "utf8")).toContain(
        `  ${NAME}:\n    routing_url: http://127.0.0.1:4004/graphql`,
      );
      expect(await readFile(path.join(copy, "supergraph.graphql"), "utf8")).toMatch(
        new RegExp(`${NAME}Hello: String! @join__field\\(graph: ${NAME.toUpperCase()}\\) @authenticated`),
      );
      expect(await readFile(path.join(copy, "docker-compose.yml"), "utf8")).toContain(
        `SUBGRAPH_URL_${NAME.toUpperCase()}: http://${NAME}:4004`,
      );

      const bin = (name: string) => path.join(copy, "node_modules/.bin", name);
      const checks = [
        inCopy(copy, bin("tsx"), ["scripts/compose.ts", "--check"]),
        inCopy(copy, bin("tsx"), ["scripts/codegen.ts", "--check"]),
        inCopy(copy, pnpm[0], [...pnpm[1], "install", "--offline", "--frozen-lockfile"]),
        inCopy(copy, bin("prettier"), ["--check", `subgraphs/${NAME}`, "supergraph.yaml", "package.json"]),
        inCopy(copy, bin("eslint"), [`subgraphs/${NAME}`]),
      ];
      // .ci/run installs docker-compose; elsewhere the edited file is still read below, only not parsed.
      if (await hasDockerCompose())
        checks.push(inCopy(copy, "docker-compose", ["-f", "docker-compose.yml", "config", "--quiet"]));
      else console.warn("docker-compose is not installed: the generated docker-compose.yml was not validated");
      await Promise.all(checks);
      expect(await readFile(path.join(copy, "Dockerfile"), "utf8")).toContain(
        `COPY subgraphs/${NAME}/package.json subgraphs/${NAME}/`,
      );

      const keysDir = path.join(copy, ".keys", "test");
      await writeKeyMaterial(keysDir, await generateKeyMaterial(true));
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: "test",
        KEYS_DIR: keysDir,
        BCRYPT_COST: "4",
        GATEWAY_PORT: "0",
        SESSION_PORT: "0",
        AUTH_PORT: "0",
        DOCUMENTS_PORT: "0",
        WEB_PORT: "0",
        METRICS_PORT: "0",
        [`${NAME.toUpperCase()}_PORT`]: "0",
      };
      const conformance = inCopy(copy, bin("jest"), [`subgraphs/${NAME}`]);
      const { child, url } = await startCopiedStack(copy, env);
      try {
        const anonymous = await new BrowserClient(url).request(`{ ${NAME}Hello }`);
        expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

        const alice = new BrowserClient(url);
        const login = await alice.request(
          'mutation { login(email: "alice@example.com", password: "alice-password-1") { user { id } } }',
        );
        const { login: signedIn } = login.body.data as { login: { user: { id: string } } };
        const hello = await alice.request(`{ ${NAME}Hello }`);
        expect(hello.body).toEqual({ data: { [`${NAME}Hello`]: `Hello, ${signedIn.user.id}` } });
      } finally {
        if (child.exitCode === null) {
          const exited = once(child, "exit");
          child.kill("SIGTERM");
          await exited;
        }
      }
      expect(await conformance).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    }, 240_000);
  });
});
