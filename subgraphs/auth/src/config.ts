import path from "node:path";
import { ConfigError, EnvReader, readRedisConfig, type Env, type RedisConfig } from "@fedsession/runtime";
import type { BcryptLimits } from "./bcrypt-limiter";
import { normaliseEmail } from "./email";
import { AccountError } from "./errors";
import type { LoginLimits } from "./login-guard";
import { passwordProblem } from "./password-policy";
import type { SignUpLimits } from "./sign-up-guard";

export interface AdministratorConfig {
  email: string;
  password: string;
}

export interface AuthConfig {
  port: number;
  host: string;
  production: boolean;
  /** The composed supergraph, whose @requiresScopes scopes are the grantable permissions (SUPERGRAPH_PATH). */
  supergraphPath: string;
  /** Base URL of the session service's internal API. */
  sessionUrl: string;
  /** Upper bound for one call to the session service, in milliseconds (SESSION_CALL_TIMEOUT_MS). */
  sessionCallTimeoutMs: number;
  bcryptCost: number;
  /** How many bcrypt operations run at once and how long one may wait for its turn (BCRYPT_CONCURRENCY, BCRYPT_QUEUE_TIMEOUT_MS). */
  bcryptLimits: BcryptLimits;
  /**
   * Login limits (LOGIN_BACKOFF_AFTER, LOGIN_MAX_BACKOFF, LOGIN_MAX_FAILURES_PER_IP, LOGIN_MAX_ATTEMPTS_PER_IP,
   * LOGIN_MAX_ATTEMPTS_PER_ACCOUNT, LOGIN_THROTTLE_WINDOW).
   */
  loginLimits: LoginLimits;
  /** Sign-up attempts per client IP (SIGNUP_MAX_PER_IP, SIGNUP_THROTTLE_WINDOW). */
  signUpLimits: SignUpLimits;
  /** Created or updated at start-up; null when ADMIN_EMAIL and ADMIN_PASSWORD are both unset. */
  administrator: AdministratorConfig | null;
  /** null: in-memory stores (refused in production). */
  redis: RedisConfig | null;
}

/** Production administrators need a long password with some variety; the general rule alone allows "aaaaaaaa". */
const PRODUCTION_ADMIN_MIN_CHARACTERS = 16;
const PRODUCTION_ADMIN_MIN_DISTINCT = 8;

function readAdministrator(env: EnvReader): AdministratorConfig | null {
  const email = env.optional("ADMIN_EMAIL");
  const password = env.optional("ADMIN_PASSWORD");
  if (email === undefined && password === undefined) return null;
  if (email === undefined)
    throw new ConfigError("ADMIN_EMAIL", "required when ADMIN_PASSWORD is set (set both or neither)");
  if (password === undefined)
    throw new ConfigError("ADMIN_PASSWORD", "required when ADMIN_EMAIL is set (set both or neither)");
  let normalised: string;
  try {
    normalised = normaliseEmail(email);
  } catch (error) {
    if (error instanceof AccountError) throw new ConfigError("ADMIN_EMAIL", error.message);
    throw error;
  }
  const problem = passwordProblem(password, normalised);
  if (problem !== null) throw new ConfigError("ADMIN_PASSWORD", problem);
  if (env.isProduction()) {
    const characters = [...password];
    if (
      characters.length < PRODUCTION_ADMIN_MIN_CHARACTERS ||
      new Set(characters).size < PRODUCTION_ADMIN_MIN_DISTINCT
    ) {
      throw new ConfigError(
        "ADMIN_PASSWORD",
        `too weak for NODE_ENV=production: use at least ${PRODUCTION_ADMIN_MIN_CHARACTERS} characters with at least ${PRODUCTION_ADMIN_MIN_DISTINCT} different ones`,
      );
    }
  }
  return { email: normalised, password };
}

/** The same file the gateway reads by default. */
export const DEFAULT_SUPERGRAPH_PATH = path.resolve(__dirname, "../../../supergraph.graphql");

const MAX_BACKOFF_BOUNDS = { min: 1, max: 15 * 60 };

function readLoginLimits(env: EnvReader): LoginLimits {
  // A hard cap per account let anyone keep a chosen account locked; an old setting must not be silently ignored.
  if (env.optional("LOGIN_MAX_FAILURES_PER_ACCOUNT") !== undefined) {
    throw new ConfigError(
      "LOGIN_MAX_FAILURES_PER_ACCOUNT",
      "is no longer read: accounts back off instead of locking (see LOGIN_BACKOFF_AFTER and LOGIN_MAX_BACKOFF)",
    );
  }
  const maxBackoffSeconds = env.durationSeconds("LOGIN_MAX_BACKOFF", "60s");
  if (maxBackoffSeconds < MAX_BACKOFF_BOUNDS.min || maxBackoffSeconds > MAX_BACKOFF_BOUNDS.max) {
    throw new ConfigError("LOGIN_MAX_BACKOFF", "must be between 1s and 15m");
  }
  return {
    backoffAfterFailures: env.integer("LOGIN_BACKOFF_AFTER", 5, { min: 1, max: 20 }),
    maxBackoffSeconds,
    maxFailuresPerIp: env.integer("LOGIN_MAX_FAILURES_PER_IP", 100, { min: 1, max: 1_000_000 }),
    maxAttemptsPerIp: env.integer("LOGIN_MAX_ATTEMPTS_PER_IP", 300, { min: 1, max: 1_000_000 }),
    maxAttemptsPerAccount: env.integer("LOGIN_MAX_ATTEMPTS_PER_ACCOUNT", 30, { min: 1, max: 1_000_000 }),
    windowSeconds: env.durationSeconds("LOGIN_THROTTLE_WINDOW", "15m"),
  };
}

/**
 * Reads and validates the auth service's environment once; every error names its variable.
 *
 * AUTH_PORT (4002), LISTEN_HOST (127.0.0.1), SUPERGRAPH_PATH (the repository's supergraph.graphql), SESSION_URL (http://127.0.0.1:4001), SESSION_CALL_TIMEOUT_MS (2000,
 * whole milliseconds so sub-second bounds are possible), BCRYPT_COST (12, 4-15), BCRYPT_CONCURRENCY (1, 1-16: bcrypt
 * operations at once, so a login storm leaves CPU to the other services), BCRYPT_QUEUE_TIMEOUT_MS (10000, 100-60000:
 * longest wait for a turn before the login is refused as busy), ADMIN_EMAIL + ADMIN_PASSWORD
 * (both or neither), LOGIN_BACKOFF_AFTER (5 failures per account and window before each attempt must wait, 1-20),
 * LOGIN_MAX_BACKOFF (60s, 1s-15m: the longest such wait; 60 s keeps an account under ASVS's 100 guesses an hour),
 * LOGIN_MAX_FAILURES_PER_IP (100 per window, so one NAT's users do not lock each other out), LOGIN_MAX_ATTEMPTS_PER_IP
 * (300 per window, successful ones included), LOGIN_MAX_ATTEMPTS_PER_ACCOUNT (30 per account from one client and
 * window, successful ones included), LOGIN_THROTTLE_WINDOW (15m), SIGNUP_MAX_PER_IP (20 sign-up attempts per window,
 * successful or not), SIGNUP_THROTTLE_WINDOW (1h), REDIS_URL / REDIS_CLUSTER_NODES / REDIS_KEY_PREFIX.
 */
export function readConfig(source: Env): AuthConfig {
  const env = new EnvReader(source);
  const production = env.isProduction();
  const redis = readRedisConfig(env);
  if (production && redis === null) {
    throw new ConfigError(
      "REDIS_URL",
      "required when NODE_ENV=production (in-memory stores are refused in production)",
    );
  }
  return {
    port: env.port("AUTH_PORT", 4002),
    host: env.string("LISTEN_HOST", "127.0.0.1"),
    production,
    supergraphPath: env.string("SUPERGRAPH_PATH", DEFAULT_SUPERGRAPH_PATH),
    sessionUrl: env.url("SESSION_URL", "http://127.0.0.1:4001"),
    sessionCallTimeoutMs: env.integer("SESSION_CALL_TIMEOUT_MS", 2000, { min: 100, max: 60_000 }),
    bcryptCost: env.integer("BCRYPT_COST", 12, { min: 4, max: 15 }),
    bcryptLimits: {
      concurrency: env.integer("BCRYPT_CONCURRENCY", 1, { min: 1, max: 16 }),
      queueTimeoutMs: env.integer("BCRYPT_QUEUE_TIMEOUT_MS", 10_000, { min: 100, max: 60_000 }),
    },
    loginLimits: readLoginLimits(env),
    signUpLimits: {
      maxPerIp: env.integer("SIGNUP_MAX_PER_IP", 20, { min: 1, max: 1_000_000 }),
      windowSeconds: env.durationSeconds("SIGNUP_THROTTLE_WINDOW", "1h"),
    },
    administrator: readAdministrator(env),
    redis,
  };
}
