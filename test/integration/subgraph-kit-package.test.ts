import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { generateKeyMaterial, importSigningKey, publicKeys } from "@fedsession/runtime";
import { createContextSigner } from "../../gateway/src/context-signer";

const run = promisify(execFile);
const kitDir = path.resolve(__dirname, "../../packages/subgraph-kit");
const repoRoot = path.resolve(kitDir, "../..");
const PNPM = ["-y", "pnpm@10.34.9"];

/**
 * Runs in the scratch project with plain Node, as a team outside the monorepo would: both entries load, the main one
 * pulls in no test runner and no Redis client, and the verifier accepts the gateway's context and refuses a tampered
 * copy.
 */
const CONSUMER = `
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createContextTokenVerifier, ContextTokenError, ERROR_CODES } from "@fedsession/subgraph-kit";
import { describeSubgraphConformance } from "@fedsession/subgraph-kit/testing";

const require = createRequire(import.meta.url);
require("@fedsession/subgraph-kit");
const loaded = Object.keys(require.cache).filter((file) => /[\\\\/](jest|ioredis|@fedsession[\\\\/]runtime)/.test(file));

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const verify = createContextTokenVerifier({ jwks: input.jwks, audience: "billing", currentDate: () => new Date(input.now) });
const verified = await verify(input.token);
const tampered = await verify(input.tampered).then(
  () => "accepted",
  (error) => (error instanceof ContextTokenError ? error.reason : String(error)),
);
console.log(JSON.stringify({
  verified,
  tampered,
  loaded,
  forbiddenCode: ERROR_CODES.FORBIDDEN,
  conformance: typeof describeSubgraphConformance,
}));
`;

/** Type-checked against the shipped .d.ts files, so a missing or wrong declaration fails here. */
const TYPED_CONSUMER = `
import { createContextTokenVerifier, PublicError, type Identity } from "@fedsession/subgraph-kit";
import { generateGatewayKeys, type SubgraphConformanceOptions } from "@fedsession/subgraph-kit/testing";

export async function check(token: string): Promise<Identity> {
  const { jwks } = await generateGatewayKeys();
  const verify = createContextTokenVerifier({ jwks, audience: "billing" });
  const options: Pick<SubgraphConformanceOptions, "name"> = { name: "billing" };
  if (options.name !== "billing") throw new PublicError("NOT_FOUND", "no such subgraph");
  return (await verify(token)).identity;
}
`;

/** Replaces the payload's subject, keeping the gateway's header and signature. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split(".") as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  const forged = Buffer.from(JSON.stringify({ ...claims, sub: "u-admin" })).toString("base64url");
  return `${header}.${forged}.${signature}`;
}

describe("@fedsession/subgraph-kit packed and installed outside the monorepo", () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "fedsession-kit-consumer-"));
    // prepack builds dist/ with tsc; the tarball's package.json takes its exports from publishConfig.
    await run("npx", [...PNPM, "pack", "--pack-destination", scratch], { cwd: kitDir });
    const tarball = (await readdir(scratch)).find((name) => name.endsWith(".tgz"));
    if (tarball === undefined) throw new Error(`pnpm pack left no tarball in ${scratch}`);
    await writeFile(path.join(scratch, "package.json"), JSON.stringify({ name: "consumer", private: true }));
    // From the pnpm store this machine already holds, so the registry is asked only for what it lacks.
    await run("npx", [...PNPM, "add", "--prefer-offline", `./${tarball}`, "graphql@16.15.0"], { cwd: scratch });
  }, 180_000);

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("verifies a context the gateway's signer made, refuses a tampered one, and loads neither jest nor Redis", async () => {
    const keys = await generateKeyMaterial(false);
    const now = Date.UTC(2026, 0, 1, 12);
    const sign = createContextSigner(await importSigningKey(keys, "gateway"), () => now);
    const identity = { authenticated: true, userId: "u-42", permissions: ["billing:read"], sessionId: "s-42" } as const;
    const token = await sign(identity, { ip: "203.0.113.7", userAgent: "curl/8" }, "billing");
    const input = path.join(scratch, "input.json");
    await writeFile(input, JSON.stringify({ jwks: publicKeys(keys, "gateway"), token, tampered: tamper(token), now }));
    await writeFile(path.join(scratch, "consumer.mjs"), CONSUMER);

    const { stdout } = await run(process.execPath, ["consumer.mjs", input], { cwd: scratch });
    expect(JSON.parse(stdout)).toEqual({
      verified: { identity, client: { ip: "203.0.113.7", userAgent: "curl/8" } },
      tampered: "invalid",
      loaded: [],
      forbiddenCode: "FORBIDDEN",
      conformance: "function",
    });
  });

  it("ships type declarations for both entries", async () => {
    await writeFile(path.join(scratch, "consumer.ts"), TYPED_CONSUMER);
    const tsconfig = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: "node16",
        moduleResolution: "node16",
        target: "ES2022",
        types: [],
        skipLibCheck: true,
      },
      files: ["consumer.ts"],
    };
    await writeFile(path.join(scratch, "tsconfig.json"), JSON.stringify(tsconfig));
    const tsc = path.join(repoRoot, "node_modules/typescript/bin/tsc");
    await expect(run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: scratch })).resolves.toMatchObject({
      stdout: "",
    });
  }, 60_000);
});
