import path from "node:path";
import {
  ConfigError,
  DEFAULT_EDGE_LIMITS,
  EnvReader,
  readRedisConfig,
  readShutdownGraceMs,
  type EdgeLimits,
  type Env,
  type RedisConfig,
} from "@fedsession/runtime";
import type { OperationLimits } from "./limits";

export interface CookieConfig {
  name: string;
  secure: boolean;
  /** Lax (default): sent only to this site. None: also from other sites (Apollo's hosted Sandbox); development only. */
  sameSite: "Lax" | "None";
}

export interface SubgraphUrlOverride {
  /** The subgraph's GraphQL endpoint. */
  url: string;
  /** SUBGRAPH_URL_<NAME>, or the older alias (SESSION_URL, AUTH_URL, DOCUMENTS_URL) that set it. */
  variable: string;
}

export interface GatewayConfig {
  port: number;
  host: string;
  production: boolean;
  supergraphPath: string;
  /** Overrides of the routing URLs composed into the supergraph, by subgraph name, with the variable that set each. */
  subgraphUrls: Record<string, SubgraphUrlOverride>;
  sessionServiceUrl: string;
  /** Upper bound on the one session lookup per request; past it the request gets 503. */
  sessionLookupTimeoutMs: number;
  cookie: CookieConfig;
  /** Peers whose X-Forwarded-For is believed (TRUSTED_PROXIES); empty: the socket address is the client. */
  trustedProxies: ReadonlySet<string>;
  /** Origins allowed to call with credentials (CORS_ORIGINS). */
  corsOrigins: ReadonlySet<string>;
  limits: OperationLimits;
  /** MAX_QUERY_COST: demand control's limit on an operation's estimated cost; unannotated lists count as this many. */
  demandControl: { maxCost: number; defaultListSize: number };
  maxBodyBytes: number;
  maxHeaderBytes: number;
  /** SHUTDOWN_GRACE_MS: how long in-flight requests may finish after SIGTERM. */
  shutdownGraceMs: number;
  /** APOLLO_TELEMETRY_DISABLED: true unless set to false or 0. */
  apolloTelemetryDisabled: boolean;
  /** REQUEST_TIMEOUT_MS, HEADERS_TIMEOUT_MS, MAX_CONNECTIONS (and MAX_BODY_BYTES for Expect: 100-continue). */
  edge: EdgeLimits;
  /** MAX_RESPONSE_BYTES: a larger result is replaced by a RESPONSE_TOO_LARGE error before it is serialised. */
  maxResponseBytes: number;
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

/** Items assumed for a list field without @listSize: more than any list the project's subgraphs return unpaged. */
const DEFAULT_LIST_SIZE = 100;

export const SUBGRAPH_URL_PREFIX = "SUBGRAPH_URL_";
/** The variables of the first three subgraphs, from before SUBGRAPH_URL_<NAME>; still read, as aliases. */
const SUBGRAPH_URL_ALIASES = { session: "SESSION_URL", auth: "AUTH_URL", documents: "DOCUMENTS_URL" } as const;

/** A bare origin means its /graphql (the project's subgraphs serve there); a URL with a path is the endpoint itself. */
function graphqlEndpoint(reader: EnvReader, variable: string): string {
  const url = new URL(reader.url(variable, ""));
  return url.pathname === "/" ? new URL("/graphql", url).toString() : url.toString();
}

/**
 * SUBGRAPH_URL_<NAME> for any subgraph (the name in capitals), and the three older aliases. An alias and the
 * SUBGRAPH_URL_ variable of the same subgraph may both be set only to the same endpoint: which one should win is a
 * guess a start-up should not make.
 */
function readSubgraphUrls(reader: EnvReader): Record<string, SubgraphUrlOverride> {
  const overrides: Record<string, SubgraphUrlOverride> = {};
  for (const variable of reader.namesStartingWith(SUBGRAPH_URL_PREFIX)) {
    const name = variable.slice(SUBGRAPH_URL_PREFIX.length);
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) {
      throw new ConfigError(variable, "expected SUBGRAPH_URL_<NAME>, the subgraph's name in capital letters");
    }
    overrides[name.toLowerCase()] = { url: graphqlEndpoint(reader, variable), variable };
  }
  for (const [name, alias] of Object.entries(SUBGRAPH_URL_ALIASES)) {
    if (reader.optional(alias) === undefined) continue;
    const url = graphqlEndpoint(reader, alias);
    const current = overrides[name];
    if (current !== undefined && current.url !== url) {
      throw new ConfigError(alias, `says ${url} but ${current.variable} says ${current.url}: set only one of them`);
    }
    overrides[name] ??= { url, variable: alias };
  }
  return overrides;
}

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

/**
 * COOKIE_SAME_SITE=None lets a page on another site (Apollo Sandbox at studio.apollographql.com) send the session
 * cookie. Browsers accept None only with Secure, and in production it would leave CSRF prevention and the CORS list
 * as the only defence against cross-site requests, so it is a development setting.
 */
function readSameSite(reader: EnvReader, production: boolean, secure: boolean): CookieConfig["sameSite"] {
  const value = reader.string("COOKIE_SAME_SITE", "Lax");
  if (value !== "Lax" && value !== "None")
    throw new ConfigError("COOKIE_SAME_SITE", `expected Lax or None, got "${value}"`);
  if (value === "None" && production)
    throw new ConfigError("COOKIE_SAME_SITE", "None is a development setting and is refused when NODE_ENV=production");
  if (value === "None" && !secure)
    throw new ConfigError("COOKIE_SAME_SITE", "browsers accept None only on Secure cookies: set COOKIE_SECURE=true");
  return value;
}

export function readConfig(env: Env): GatewayConfig {
  const reader = new EnvReader(env);
  const production = reader.isProduction();
  const secure =
    reader.optional("COOKIE_SECURE") === undefined ? production : reader.optional("COOKIE_SECURE") === "true";
  if (production && !secure)
    throw new ConfigError("COOKIE_SECURE", "insecure cookies are refused when NODE_ENV=production");
  const subgraphUrls = readSubgraphUrls(reader);
  const maxBodyBytes = reader.integer("MAX_BODY_BYTES", 256 * 1024, { min: 1024, max: 64 * 1024 * 1024 });
  return {
    port: reader.port("GATEWAY_PORT", 4000),
    host: reader.string("LISTEN_HOST", "127.0.0.1"),
    production,
    supergraphPath: reader.string("SUPERGRAPH_PATH", path.resolve(__dirname, "../../supergraph.graphql")),
    subgraphUrls,
    // The session service's internal routes live beside its GraphQL endpoint, on the same origin.
    sessionServiceUrl: new URL("/", subgraphUrls.session?.url ?? "http://127.0.0.1:4001").toString(),
    sessionLookupTimeoutMs: reader.integer("SESSION_LOOKUP_TIMEOUT_MS", 2000, { min: 50, max: 30_000 }),
    // The __Host- prefix makes browsers insist on Secure, Path=/ and no Domain, so only this origin can set it.
    cookie: {
      name: secure ? "__Host-fedsession" : "fedsession",
      secure,
      sameSite: readSameSite(reader, production, secure),
    },
    trustedProxies: new Set(reader.list("TRUSTED_PROXIES")),
    corsOrigins: readOrigins(reader),
    limits: {
      maxDepth: reader.integer("MAX_QUERY_DEPTH", 10, { min: 1, max: 100 }),
      maxAliases: reader.integer("MAX_QUERY_ALIASES", 30, { min: 0, max: 1000 }),
      maxRootFields: reader.integer("MAX_ROOT_FIELDS", 25, { min: 1, max: 1000 }),
      maxTokens: reader.integer("MAX_QUERY_TOKENS", 3000, { min: 100, max: 100_000 }),
    },
    demandControl: {
      maxCost: reader.integer("MAX_QUERY_COST", 5000, { min: 1, max: 1_000_000_000 }),
      defaultListSize: DEFAULT_LIST_SIZE,
    },
    maxBodyBytes,
    shutdownGraceMs: readShutdownGraceMs(reader),
    // Off unless explicitly turned on: @apollo/gateway would otherwise send usage data to Apollo.
    apolloTelemetryDisabled: !["false", "0"].includes(reader.string("APOLLO_TELEMETRY_DISABLED", "true")),
    maxHeaderBytes: reader.integer("MAX_HEADER_BYTES", 16 * 1024, { min: 4096, max: 1024 * 1024 }),
    maxResponseBytes: reader.integer("MAX_RESPONSE_BYTES", 16 * 1024 * 1024, { min: 1024, max: 256 * 1024 * 1024 }),
    edge: {
      ...DEFAULT_EDGE_LIMITS,
      maxBodyBytes,
      headersTimeoutMs: reader.integer("HEADERS_TIMEOUT_MS", DEFAULT_EDGE_LIMITS.headersTimeoutMs, {
        min: 100,
        max: 120_000,
      }),
      requestTimeoutMs: reader.integer("REQUEST_TIMEOUT_MS", DEFAULT_EDGE_LIMITS.requestTimeoutMs, {
        min: 100,
        max: 600_000,
      }),
      maxConnections: reader.integer("MAX_CONNECTIONS", DEFAULT_EDGE_LIMITS.maxConnections, {
        min: 1,
        max: 1_000_000,
      }),
    },
    sessionCache: readSessionCache(reader),
  };
}
