import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  EnvReader,
  generateKeyMaterial,
  loadKeyMaterial,
  readKeyMaterial,
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

  it("rotation publishes the new key beside the previous one; retiring keeps only the current one", async () => {
    const original = await generateKeyMaterial(false);
    const rotated = await rotateKeyMaterial(original);
    const oldKid = original.roles.gateway.privateJwk?.kid;
    const newKid = rotated.roles.gateway.privateJwk?.kid;
    expect(newKid).not.toBe(oldKid);
    expect(rotated.roles.gateway.publicJwks.keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
    expect(rotated.passwordPepper).toBe(original.passwordPepper);
    const twice = await rotateKeyMaterial(rotated);
    expect(twice.roles.gateway.publicJwks.keys).toHaveLength(2);
    expect(retireKeys(rotated).roles.gateway.publicJwks.keys.map((key) => key.kid)).toEqual([newKid]);
  });
});
