import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  EnvReader,
  generateKeyMaterial,
  importSigningKey,
  loadKeyMaterial,
  passwordPepper,
  publicKeys,
  readKeyMaterial,
  activateKeys,
  retireKeys,
  rotateKeyMaterial,
  writeKeyMaterial,
} from "../src";

describe("key material", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "fedsession-keys-test-"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips through a folder, private keys readable by the owner only", async () => {
    const material = await generateKeyMaterial(false);
    await writeKeyMaterial(dir, material);
    await expect(readKeyMaterial(dir)).resolves.toEqual(material);
    expect((await stat(path.join(dir, "gateway.private.json"))).mode & 0o077).toBe(0);
    expect(await readFile(path.join(dir, "gateway.public.json"), "utf8")).not.toContain('"d"');
  });

  it("refuses development keys and a missing KEYS_DIR in production, naming the variable", async () => {
    await writeKeyMaterial(dir, await generateKeyMaterial(true));
    await expect(loadKeyMaterial(new EnvReader({ NODE_ENV: "production", KEYS_DIR: dir }))).rejects.toThrow(
      /KEYS_DIR: .*development keys/,
    );
    await expect(loadKeyMaterial(new EnvReader({ NODE_ENV: "production" }))).rejects.toThrow(/KEYS_DIR: required/);
  });

  it("a service's KEYS_DIR may hold only what it needs; asking for an absent key names the missing file", async () => {
    const full = await mkdtemp(path.join(tmpdir(), "fedsession-keys-full-"));
    await writeKeyMaterial(full, await generateKeyMaterial(false));
    // What docker-compose.yml mounts for the documents service: the gateway's public key, nothing else.
    await writeFile(path.join(dir, "gateway.public.json"), await readFile(path.join(full, "gateway.public.json")));
    await rm(full, { recursive: true, force: true });
    const material = await loadKeyMaterial(new EnvReader({ NODE_ENV: "production", KEYS_DIR: dir }));
    expect(publicKeys(material, "gateway").keys).toHaveLength(1);
    expect(() => publicKeys(material, "session")).toThrow(/KEYS_DIR: .*session\.public\.json/);
    await expect(importSigningKey(material, "gateway")).rejects.toThrow(/gateway\.private\.json/);
    expect(() => passwordPepper(material)).toThrow(/auth\.password-pepper/);
    await expect(
      loadKeyMaterial(new EnvReader({ NODE_ENV: "production", KEYS_DIR: path.join(dir, "absent") })),
    ).rejects.toThrow(/KEYS_DIR: cannot read/);
    // `pnpm keys` still wants the whole set.
    await expect(readKeyMaterial(dir)).rejects.toThrow(/\.public\.json is missing/);
  });

  it("rotation publishes the new key first and signs with it only once activated; retiring keeps only the current one", async () => {
    const original = await generateKeyMaterial(false);
    const oldKid = original.roles.gateway.privateJwk?.kid;
    const published = await rotateKeyMaterial(original);
    const newKid = published.roles.gateway.nextPrivateJwk?.kid;
    expect(newKid).not.toBe(oldKid);
    // Step 1: both verify, the old one still signs.
    expect(published.roles.gateway.privateJwk?.kid).toBe(oldKid);
    expect(published.roles.gateway.publicJwks.keys.map((key) => key.kid)).toEqual([oldKid, newKid]);
    expect(published.passwordPepper).toBe(original.passwordPepper);
    await expect(rotateKeyMaterial(published)).rejects.toThrow(/--activate/);
    // It survives the trip through the folder.
    const dir = await mkdtemp(path.join(tmpdir(), "fedsession-rotate-"));
    await writeKeyMaterial(dir, published);
    const reread = await readKeyMaterial(dir);
    expect(reread.roles.gateway.nextPrivateJwk?.kid).toBe(newKid);
    // Step 2: the new one signs; both stay published until retired.
    const active = activateKeys(reread);
    expect(active.roles.gateway.privateJwk?.kid).toBe(newKid);
    expect(active.roles.gateway.nextPrivateJwk).toBeUndefined();
    expect(() => activateKeys(active)).toThrow(/--rotate/);
    await writeKeyMaterial(dir, active);
    expect((await readKeyMaterial(dir)).roles.gateway.nextPrivateJwk).toBeUndefined();
    expect(retireKeys(active).roles.gateway.publicJwks.keys.map((key) => key.kid)).toEqual([newKid]);
    const next = await rotateKeyMaterial(active);
    expect(next.roles.gateway.publicJwks.keys.map((key) => key.kid)).toEqual([
      newKid,
      next.roles.gateway.nextPrivateJwk?.kid,
    ]);
    await rm(dir, { recursive: true, force: true });
  });
});
