/**
 * `pnpm keys <dir>`: writes a fresh production key set (Ed25519 JWKs for gateway, auth and session, and the auth
 * password pepper) into an empty <dir>, with the Redis users of docker-compose.yml (scripts/redis-acl.ts).
 * Rotation is two steps with a rolling restart after each, so no service ever meets a token signed by a key it has not
 * loaded yet:
 * `pnpm keys --rotate <dir>`: publishes a new key per role beside the current one, which keeps signing.
 * `pnpm keys --activate <dir>`: the published keys start signing; the previous public keys stay published.
 * `pnpm keys --retire <dir>`: drops the previous public keys once every token they signed has expired.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import {
  generateKeyMaterial,
  readKeyMaterial,
  activateKeys,
  retireKeys,
  rotateKeyMaterial,
  writeKeyMaterial,
} from "@fedsession/runtime";
import { ACL_FILE, composeRedisUsers, writeRedisCredentials } from "./redis-acl";

const USAGE =
  "usage: pnpm keys <dir> | pnpm keys --rotate <dir> | pnpm keys --activate <dir> | pnpm keys --retire <dir>";
const MODES = ["--rotate", "--activate", "--retire"] as const;
const DONE = {
  "--rotate": "published new keys (still signing with the current ones) in",
  "--activate": "the published keys now sign, in",
  "--retire": "retired old keys in",
} as const;

async function main(): Promise<void> {
  const [first, second] = process.argv.slice(2);
  const mode = MODES.find((candidate) => candidate === first) ?? "create";
  const target = mode === "create" ? first : second;
  if (!target) {
    console.error(USAGE);
    process.exit(2);
  }
  const dir = path.resolve(target);
  if (mode === "create") {
    const existing = await readdir(dir).catch(() => []);
    if (existing.length > 0) {
      console.error(`${dir} is not empty; refusing to overwrite key material (use --rotate to rotate it)`);
      process.exit(1);
    }
    await writeKeyMaterial(dir, await generateKeyMaterial(false));
    await writeRedisCredentials(dir, await composeRedisUsers());
    console.log(
      `wrote gateway, auth and session key pairs, the password pepper and the Redis users (${ACL_FILE}) to ${dir}`,
    );
    console.log("keep *.private.json and auth.password-pepper secret; mount each service only what it needs");
    return;
  }
  const material = await readKeyMaterial(dir);
  const next =
    mode === "--rotate"
      ? await rotateKeyMaterial(material)
      : mode === "--activate"
        ? activateKeys(material)
        : retireKeys(material);
  await writeKeyMaterial(dir, next);
  const counts = Object.entries(next.roles).map(
    ([role, keys]) => `${role}: ${keys.publicJwks.keys.length} public key(s)`,
  );
  console.log(`${DONE[mode]} ${dir} (${counts.join(", ")}); restart every service to load it before the next step`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
