import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { JSONWebKeySet } from "jose";
import { generateKeyMaterial, writeKeyMaterial } from "@fedsession/runtime";

export interface ConformanceKeysDir {
  /** A KEYS_DIR for the service's start(env). */
  dir: string;
  remove(): Promise<void>;
}

/**
 * Key material for a service of this repository started through its own main.ts (`start({ KEYS_DIR: dir, ... })`)
 * in the subgraph kit's conformance suite: fresh keys for every role, except that the gateway is represented only by
 * the public keys the conformance kit signs with.
 */
export async function conformanceKeysDir(gatewayJwks: JSONWebKeySet): Promise<ConformanceKeysDir> {
  const material = await generateKeyMaterial(true);
  material.roles.gateway = { publicJwks: gatewayJwks };
  const dir = await mkdtemp(path.join(tmpdir(), "fedsession-conformance-"));
  await writeKeyMaterial(dir, material);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
