import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";

export const COMPOSE_FILE = path.resolve(__dirname, "../../docker-compose.yml");

export interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

/** The services of docker-compose.yml, with the `<<:` merges applied. */
export async function readComposeServices(): Promise<Record<string, ComposeService>> {
  const text = await readFile(COMPOSE_FILE, "utf8");
  return (parse(text, { merge: true }) as { services: Record<string, ComposeService> }).services;
}

/** Compose's `${NAME:-default}` with the given values, or the default. */
export const interpolate = (value: string, values: Record<string, string> = {}) =>
  value.replace(/\$\{(\w+):-([^}]*)\}/g, (_, name: string, fallback: string) => values[name] ?? fallback);

/**
 * The arguments of the shipped `redis-server` (persistence, memory limit), without the ACL file: for a private Redis
 * whose clients log in as the default user. The ACL users are tested in test/integration/image.test.ts.
 */
export async function shippedRedisArguments(): Promise<string[]> {
  const [program, ...args] = ((await readComposeServices()).redis?.command ?? []).map((arg) => interpolate(arg));
  if (program !== "redis-server") throw new Error(`${COMPOSE_FILE}: the redis service does not run redis-server`);
  const acl = args.indexOf("--aclfile");
  return acl === -1 ? args : [...args.slice(0, acl), ...args.slice(acl + 2)];
}
