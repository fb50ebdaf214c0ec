import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, type KeyLike } from "jose";
import { ConfigError, type EnvReader } from "./env";

/** Who signs: the gateway (subgraph contexts, its calls to the session service), auth (its calls to the session service), session (access tokens). */
export const KEY_ROLES = ["gateway", "auth", "session"] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

export interface RoleKeys {
  /** Absent where a deployment mounts only public keys for this role. */
  privateJwk?: JWK;
  /** A key published by `pnpm keys --rotate` that signs nothing until `pnpm keys --activate`. */
  nextPrivateJwk?: JWK;
  publicJwks: JSONWebKeySet;
}

export interface KeyMaterial {
  development: boolean;
  roles: Record<KeyRole, RoleKeys>;
  /** The auth service's secret pepper for password hashing (base64url, 32 bytes); only auth needs it. */
  passwordPepper?: string;
}

export interface SigningKey {
  kid: string;
  key: KeyLike | Uint8Array;
}

export const SIGNING_ALGORITHM = "EdDSA";
const DEVELOPMENT_MARKER = "DEVELOPMENT";
const PEPPER_FILE = "auth.password-pepper";
const privateFile = (role: KeyRole) => `${role}.private.json`;
const publicFile = (role: KeyRole) => `${role}.public.json`;
const nextPrivateFile = (role: KeyRole) => `${role}.next.private.json`;

/** Where development key material lives: git-ignored, shared by the local services. */
export const DEVELOPMENT_KEYS_DIR = path.resolve(__dirname, "../../../.keys/development");

export async function generateKeyMaterial(development: boolean): Promise<KeyMaterial> {
  const entries = await Promise.all(
    KEY_ROLES.map(async (role) => {
      const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { crv: "Ed25519", extractable: true });
      const kid = `${role}-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
      const meta = { kid, alg: SIGNING_ALGORITHM, use: "sig" };
      const keys: RoleKeys = {
        privateJwk: { ...(await exportJWK(privateKey)), ...meta },
        publicJwks: { keys: [{ ...(await exportJWK(publicKey)), ...meta }] },
      };
      return [role, keys] as const;
    }),
  );
  return {
    development,
    roles: Object.fromEntries(entries) as Record<KeyRole, RoleKeys>,
    passwordPepper: randomBytes(32).toString("base64url"),
  };
}

export async function writeKeyMaterial(dir: string, material: KeyMaterial): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const role of KEY_ROLES) {
    const keys = material.roles[role];
    if (keys.privateJwk) {
      const text = JSON.stringify(keys.privateJwk, null, 2) + "\n";
      await writeFile(path.join(dir, privateFile(role)), text, { mode: 0o600 });
    }
    if (keys.nextPrivateJwk) {
      const text = JSON.stringify(keys.nextPrivateJwk, null, 2) + "\n";
      await writeFile(path.join(dir, nextPrivateFile(role)), text, { mode: 0o600 });
    } else {
      await rm(path.join(dir, nextPrivateFile(role)), { force: true });
    }
    await writeFile(path.join(dir, publicFile(role)), JSON.stringify(keys.publicJwks, null, 2) + "\n");
  }
  if (material.passwordPepper) {
    await writeFile(path.join(dir, PEPPER_FILE), material.passwordPepper + "\n", { mode: 0o600 });
  }
  if (material.development) {
    await writeFile(path.join(dir, DEVELOPMENT_MARKER), "generated for local development; never use in production\n");
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError("KEYS_DIR", `cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * `partial`: a service's KEYS_DIR, where a deployment mounts only the files that service needs (docker-compose.yml),
 * so an absent public key file reads as an empty set that publicKeys refuses when the service asks for it. Without
 * it (`pnpm keys`), every role's public key file must be there.
 */
export async function readKeyMaterial(dir: string, { partial = false } = {}): Promise<KeyMaterial> {
  // Only single files may be absent: a folder that is not there is a mistake, whatever the service needs.
  await readdir(dir).catch((error: Error) => {
    throw new ConfigError("KEYS_DIR", `cannot read ${dir}: ${error.message}`);
  });
  const entries = await Promise.all(
    KEY_ROLES.map(async (role) => {
      const found = await readJson<JSONWebKeySet>(path.join(dir, publicFile(role)));
      const publicJwks = found === undefined && partial ? { keys: [] } : found;
      if (!publicJwks || !Array.isArray(publicJwks.keys)) {
        throw new ConfigError(
          "KEYS_DIR",
          `${path.join(dir, publicFile(role))} is missing or not a JWKS (run "pnpm keys ${dir}")`,
        );
      }
      const privateJwk = await readJson<JWK>(path.join(dir, privateFile(role)));
      const nextPrivateJwk = await readJson<JWK>(path.join(dir, nextPrivateFile(role)));
      const keys: RoleKeys = {
        publicJwks,
        ...(privateJwk ? { privateJwk } : {}),
        ...(nextPrivateJwk ? { nextPrivateJwk } : {}),
      };
      return [role, keys] as const;
    }),
  );
  const development = (await readFile(path.join(dir, DEVELOPMENT_MARKER)).catch(() => null)) !== null;
  const pepper = (await readFile(path.join(dir, PEPPER_FILE), "utf8").catch(() => null))?.trim();
  return {
    development,
    roles: Object.fromEntries(entries) as Record<KeyRole, RoleKeys>,
    ...(pepper ? { passwordPepper: pepper } : {}),
  };
}

/** Generates development keys once; concurrent first starts agree on one set because the folder appears by an atomic rename. */
export async function ensureDevelopmentKeys(dir: string = DEVELOPMENT_KEYS_DIR): Promise<KeyMaterial> {
  const existing = await readKeyMaterial(dir).catch(() => null);
  if (existing?.passwordPepper) return existing;
  if (existing) {
    // A development folder from before passwords were peppered: add the missing pepper, keep the keys.
    await writeFile(path.join(dir, PEPPER_FILE), randomBytes(32).toString("base64url") + "\n", { mode: 0o600 });
    return readKeyMaterial(dir);
  }
  const staging = `${dir}.${process.pid}.${randomUUID()}`;
  await writeKeyMaterial(staging, await generateKeyMaterial(true));
  await mkdir(path.dirname(dir), { recursive: true });
  try {
    await rename(staging, dir);
  } catch {
    await rm(staging, { recursive: true, force: true });
  }
  return readKeyMaterial(dir);
}

/** Production reads KEYS_DIR and refuses development keys; development falls back to the generated folder. */
export async function loadKeyMaterial(env: EnvReader): Promise<KeyMaterial> {
  const dir = env.optional("KEYS_DIR");
  if (env.isProduction()) {
    if (dir === undefined) {
      throw new ConfigError("KEYS_DIR", 'required when NODE_ENV=production (generate a set with "pnpm keys <dir>")');
    }
    const material = await readKeyMaterial(dir, { partial: true });
    if (material.development) {
      throw new ConfigError("KEYS_DIR", `${dir} holds development keys, refused when NODE_ENV=production`);
    }
    return material;
  }
  return dir === undefined ? ensureDevelopmentKeys() : readKeyMaterial(dir, { partial: true });
}

export async function importSigningKey(material: KeyMaterial, role: KeyRole): Promise<SigningKey> {
  const jwk = material.roles[role].privateJwk;
  if (!jwk || typeof jwk.kid !== "string") {
    throw new ConfigError("KEYS_DIR", `the ${role} private key (${privateFile(role)}) is missing or has no kid`);
  }
  return { kid: jwk.kid, key: await importJWK(jwk, SIGNING_ALGORITHM) };
}

export function publicKeys(material: KeyMaterial, role: KeyRole): JSONWebKeySet {
  const jwks = material.roles[role].publicJwks;
  if (jwks.keys.length === 0) {
    throw new ConfigError(
      "KEYS_DIR",
      `the ${role} public key (${publicFile(role)}) is missing and this service needs it`,
    );
  }
  return jwks;
}

/** The password pepper as bytes; auth refuses to start without one rather than hash passwords unpeppered. */
export function passwordPepper(material: KeyMaterial): Buffer {
  const pepper = material.passwordPepper;
  if (!pepper || Buffer.from(pepper, "base64url").length < 32) {
    throw new ConfigError("KEYS_DIR", `${PEPPER_FILE} is missing or shorter than 32 bytes (run "pnpm keys <dir>")`);
  }
  return Buffer.from(pepper, "base64url");
}

/**
 * Rotation, first step (publish): a new key per role is published beside the current one, but the current one keeps
 * signing. Once every service has restarted with it, every verifier knows the new key, and activateKeys (second
 * step) makes it the signer: no service ever receives a token signed by a key it does not know yet. Public keys older
 * than the current one are dropped. The password pepper never rotates (it would void every hash).
 */
export async function rotateKeyMaterial(material: KeyMaterial): Promise<KeyMaterial> {
  if (KEY_ROLES.some((role) => material.roles[role].nextPrivateJwk)) {
    throw new ConfigError("KEYS_DIR", 'a rotation is already published; run "pnpm keys --activate <dir>" first');
  }
  const fresh = await generateKeyMaterial(material.development);
  const roles = Object.fromEntries(
    KEY_ROLES.map((role) => {
      const current = material.roles[role];
      const currentKid = current.privateJwk?.kid;
      const published = current.publicJwks.keys.filter((key) => currentKid === undefined || key.kid === currentKid);
      const keys: RoleKeys = {
        ...current,
        nextPrivateJwk: fresh.roles[role].privateJwk,
        publicJwks: { keys: [...published, ...fresh.roles[role].publicJwks.keys] },
      };
      return [role, keys];
    }),
  ) as Record<KeyRole, RoleKeys>;
  return { ...material, roles };
}

/**
 * Rotation, second step (sign): the keys rotateKeyMaterial published become the signers. The previous public keys stay
 * published, so tokens they signed keep verifying until they expire; retireKeys later drops them.
 */
export function activateKeys(material: KeyMaterial): KeyMaterial {
  const roles = Object.fromEntries(
    KEY_ROLES.map((role) => {
      const { nextPrivateJwk, ...current } = material.roles[role];
      if (!nextPrivateJwk) {
        throw new ConfigError("KEYS_DIR", `no published ${role} key to activate; run "pnpm keys --rotate <dir>" first`);
      }
      return [role, { ...current, privateJwk: nextPrivateJwk }];
    }),
  ) as Record<KeyRole, RoleKeys>;
  return { ...material, roles };
}

/** Keeps only each role's current public key (the one matching its private key), once old tokens have expired. */
export function retireKeys(material: KeyMaterial): KeyMaterial {
  const roles = Object.fromEntries(
    KEY_ROLES.map((role) => {
      const current = material.roles[role].privateJwk?.kid;
      const keys = material.roles[role].publicJwks.keys.filter((key) => current === undefined || key.kid === current);
      return [role, { ...material.roles[role], publicJwks: { keys } }];
    }),
  ) as Record<KeyRole, RoleKeys>;
  return { ...material, roles };
}
