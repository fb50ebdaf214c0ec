import path from "node:path";
import { ConfigError, EnvReader, readRedisConfig, type Env, type RedisConfig } from "@fedsession/runtime";
import type { OperationLimits } from "./limits";

export interface CookieConfig {
  name: string;
  secure: boolean;
}

export interface GatewayConfig {
  port: number;
  host: string;
  production: boolean;
  supergraphPath: string;
  /** Overrides of the routing URLs composed into the supergraph, by subgraph name. */
  subgraphUrls: Record<string, string>;
  sessionServiceUrl: string;
  /** Upper bound on the one session lookup per request; past it the request gets 503. */
  sessionLookupTimeoutMs: number;
  cookie: CookieConfig;
  /** Peers whose X-Forwarded-For is believed (TRUSTED_PROXIES); empty: the socket address is the client. */
  trustedProxies: ReadonlySet<string>;
  /** Origins allowed to call with credentials (CORS_ORIGINS). */
  corsOrigins: ReadonlySet<string>;
  limits: OperationLimits;
  maxBodyBytes: number;
  maxHeaderBytes: number;
  /** SESSION_CACHE=on: keep resolves between lookups, evicted by the session service's Redis pub/sub events. */
  sessionCache: RedisConfig | null;
}

/** An origin is scheme://host[:port] and nothing else; `*` and `null` would hand credentials to anyone. */
function readOrigins(reader: EnvReader): Set<string> {
  const origins = new Set<string>();
  for (const entry of reader.list("CORS_ORIGINS")) {
    let origin: string | null = null;
    try {
      const url = new URL(entry);
      if ((url.protocol === "https:" || url.protocol === "http:") && url.origin === entry) origin = url.origin;
    } catch {
      origin = null;
    }
    if (origin === null)
      throw new ConfigError(
        "CORS_ORIGINS",
        `"${entry}" is not an origin such as https://app.example.com (no *, null, path or trailing slash)`,
      );
    origins.add(origin);
  }
  return origins;
}

const SUBGRAPH_URL_VARIABLES = { session: "SESSION_URL", auth: "AUTH_URL", documents: "DOCUMENTS_URL" } as const;

function readSessionCache(reader: EnvReader): RedisConfig | null {
  const setting = reader.string("SESSION_CACHE", "off");
  if (setting === "off") return null;
  if (setting !== "on") throw new ConfigError("SESSION_CACHE", `expected on or off, got "${setting}"`);
  const redis = readRedisConfig(reader);
  if (redis === null) {
    throw new ConfigError(
      "SESSION_CACHE",
      "on needs REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS: evictions arrive by Redis pub/sub",
    );
  }
  return redis;
}

export function readConfig(env: Env): GatewayConfig {
  const reader = new EnvReader(env);
  const production = reader.isProduction();
  const secure =
    reader.optional("COOKIE_SECURE") === undefined ? production : reader.optional("COOKIE_SECURE") === "true";
  if (production && !secure)
    throw new ConfigError("COOKIE_SECURE", "insecure cookies are refused when NODE_ENV=production");
  const subgraphUrls: Record<string, string> = {};
  for (const [name, variable] of Object.entries(SUBGRAPH_URL_VARIABLES)) {
    const url = reader.optional(variable);
    if (url !== undefined) subgraphUrls[name] = new URL("/graphql", reader.url(variable, url)).toString();
  }
  return {
    port: reader.port("GATEWAY_PORT", 4000),
    host: reader.string("LISTEN_HOST", "127.0.0.1"),
    production,
    supergraphPath: reader.string("SUPERGRAPH_PATH", path.resolve(__dirname, "../../supergraph.graphql")),
    subgraphUrls,
    sessionServiceUrl: reader.url("SESSION_URL", "http://127.0.0.1:4001"),
    sessionLookupTimeoutMs: reader.integer("SESSION_LOOKUP_TIMEOUT_MS", 2000, { min: 50, max: 30_000 }),
    // The __Host- prefix makes browsers insist on Secure, Path=/ and no Domain, so only this origin can set it.
    cookie: { name: secure ? "__Host-fedsession" : "fedsession", secure },
    trustedProxies: new Set(reader.list("TRUSTED_PROXIES")),
    corsOrigins: readOrigins(reader),
    limits: {
      maxDepth: reader.integer("MAX_QUERY_DEPTH", 10, { min: 1, max: 100 }),
      maxAliases: reader.integer("MAX_QUERY_ALIASES", 30, { min: 0, max: 1000 }),
      maxRootFields: reader.integer("MAX_ROOT_FIELDS", 25, { min: 1, max: 1000 }),
      maxTokens: reader.integer("MAX_QUERY_TOKENS", 3000, { min: 100, max: 100_000 }),
    },
    maxBodyBytes: reader.integer("MAX_BODY_BYTES", 256 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
    maxHeaderBytes: reader.integer("MAX_HEADER_BYTES", 16 * 1024, { min: 4096, max: 1024 * 1024 }),
    sessionCache: readSessionCache(reader),
  };
}
