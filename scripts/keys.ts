/** `pnpm keys <dir>`: writes a fresh production key set (Ed25519 JWKs for gateway, auth and session) into <dir>. */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { generateKeyMaterial, writeKeyMaterial } from "@fedsession/runtime";

async function main(): Promise<void> {
  const target = process.argv[2];
  if (!target) {
    console.error("usage: pnpm keys <dir>");
    process.exit(2);
  }
  const dir = path.resolve(target);
  const existing = await readdir(dir).catch(() => []);
  if (existing.length > 0) {
    console.error(`${dir} is not empty; refusing to overwrite key material`);
    process.exit(1);
  }
  await writeKeyMaterial(dir, await generateKeyMaterial(false));
  console.log(
    `wrote gateway, auth and session key pairs to ${dir} (keep *.private.json secret; mount each service only what it needs)`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
