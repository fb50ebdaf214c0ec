/**
 * `pnpm redis-acl <dir>`: the Redis users of docker-compose.yml, one per service, each allowed only its own key
 * prefix and the channels it uses. Writes a random password per user into <dir>/redis-<service>.password (kept when
 * already there, so running it again after an upgrade refreshes only the rules) and <dir>/redis-users.acl, the ACL
 * file Redis loads (it holds SHA-256 hashes, never the passwords). `pnpm keys <dir>` runs it too.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { SESSION_EVENTS_CHANNEL } from "@fedsession/session-client";
import { parse } from "yaml";

const COMPOSE_FILE = path.resolve(__dirname, "../docker-compose.yml");

export interface RedisUser {
  /** The compose service, which is also the ACL user name (REDIS_USERNAME). */
  name: string;
  /** Its REDIS_KEY_PREFIX: the only keys it may touch, and the namespace of its channels. */
  keyPrefix: string;
}

interface Access {
  keys: boolean;
  /** Channels under the user's prefix it may use. */
  channels: string[];
  /** False for a listener, so it cannot forge the events it listens to. */
  publish: boolean;
}

/** What a service does in Redis; a service not listed (a generated subgraph) has its keys and no channel. */
const ACCESS: Record<string, Access> = {
  // The session cache (SESSION_CACHE=on) only listens: the gateway's prefix is the session service's, and no key.
  gateway: { keys: false, channels: [SESSION_EVENTS_CHANNEL], publish: false },
  session: { keys: true, channels: [SESSION_EVENTS_CHANNEL], publish: true },
};
const KEYS_ONLY: Access = { keys: true, channels: [], publish: false };

/**
 * Every command but the dangerous ones (FLUSHALL, KEYS, CONFIG, DEBUG, MONITOR, CLIENT LIST…) and those that would
 * list other services' key names; INFO stays, for ioredis's ready check.
 */
const COMMANDS = "+@all -@dangerous +info -scan -randomkey";

interface ComposeFile {
  services: Record<string, { environment?: Record<string, string> }>;
}

/** The services of docker-compose.yml that log in to Redis as their own user. */
export async function composeRedisUsers(file: string = COMPOSE_FILE): Promise<RedisUser[]> {
  const compose = parse(await readFile(file, "utf8"), { merge: true }) as ComposeFile;
  const users: RedisUser[] = [];
  for (const [service, definition] of Object.entries(compose.services)) {
    const username = definition.environment?.REDIS_USERNAME;
    if (username === undefined) continue;
    if (username !== service)
      throw new Error(`${file}: ${service} logs in to Redis as "${username}", not "${service}"`);
    const keyPrefix = definition.environment?.REDIS_KEY_PREFIX;
    if (!keyPrefix) throw new Error(`${file}: ${service} has a Redis user but no REDIS_KEY_PREFIX`);
    users.push({ name: service, keyPrefix });
  }
  return users;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** One ACL line per user; the default user may only PING (the container's healthcheck). */
export function redisAclFile(users: RedisUser[], passwords: Record<string, string>): string {
  const lines = ["user default on nopass resetkeys resetchannels -@all +ping"];
  for (const user of users) {
    const password = passwords[user.name];
    if (password === undefined) throw new Error(`no Redis password for ${user.name}`);
    const access = ACCESS[user.name] ?? KEYS_ONLY;
    const rules = [
      `user ${user.name} reset on #${sha256(password)}`,
      ...(access.keys ? [`~${user.keyPrefix}*`] : []),
      ...access.channels.map((channel) => `&${user.keyPrefix}${channel}`),
      COMMANDS,
      ...(access.publish ? [] : ["-publish -spublish"]),
    ];
    lines.push(rules.join(" "));
  }
  return lines.join("\n") + "\n";
}

export const passwordFile = (dir: string, user: string) => path.join(dir, `redis-${user}.password`);
export const ACL_FILE = "redis-users.acl";

/** Creates the missing passwords, then writes the ACL file from all of them. */
export async function writeRedisCredentials(dir: string, users: RedisUser[]): Promise<void> {
  const passwords: Record<string, string> = {};
  for (const user of users) {
    const file = passwordFile(dir, user.name);
    let password = (await readFile(file, "utf8").catch(() => "")).trim();
    if (password === "") {
      password = randomBytes(32).toString("base64url");
      await writeFile(file, password + "\n", { mode: 0o600 });
    }
    passwords[user.name] = password;
  }
  // Readable by the Redis container's own user: it holds only hashes of 256-bit random passwords.
  await writeFile(path.join(dir, ACL_FILE), redisAclFile(users, passwords), { mode: 0o644 });
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error("usage: pnpm redis-acl <dir>");
    process.exit(2);
  }
  composeRedisUsers()
    .then(async (users) => {
      await writeRedisCredentials(path.resolve(dir), users);
      console.log(`wrote ${ACL_FILE} and the passwords of ${users.map((user) => user.name).join(", ")} to ${dir}`);
    })
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
