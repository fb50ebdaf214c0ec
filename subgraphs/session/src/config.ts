import { ConfigError, EnvReader, readRedisConfig, type Env, type RedisConfig } from "@fedsession/runtime";
import { MAX_ACCESS_TOKEN_LIFETIME_SECONDS } from "@fedsession/session-client";
import { DEFAULT_MAX_SESSIONS_PER_USER } from "./store/session-store";

export interface SessionConfig {
  port: number;
  host: string;
  production: boolean;
  idleTtlSeconds: number;
  absoluteTtlSeconds: number;
  /** Lifetime of the access tokens of TOKEN sessions; short, because the gateway trusts one until it expires. */
  accessTokenTtlSeconds: number;
  /** SESSIONS_PER_USER: past it, a new session ends the user's oldest. */
  maxSessionsPerUser: number;
  /** Null: the in-memory store (development only). */
  redis: RedisConfig | null;
}

export function readConfig(env: Env): SessionConfig {
  const reader = new EnvReader(env);
  const production = reader.isProduction();
  const idleTtlSeconds = reader.durationSeconds("SESSION_IDLE_TTL", "30m");
  const absoluteTtlSeconds = reader.durationSeconds("SESSION_ABSOLUTE_TTL", "12h");
  if (absoluteTtlSeconds < idleTtlSeconds) {
    throw new ConfigError(
      "SESSION_ABSOLUTE_TTL",
      `must be at least SESSION_IDLE_TTL (${idleTtlSeconds} s), got ${absoluteTtlSeconds} s`,
    );
  }
  const accessTokenTtlSeconds = reader.durationSeconds("ACCESS_TOKEN_TTL", "10m");
  if (accessTokenTtlSeconds > MAX_ACCESS_TOKEN_LIFETIME_SECONDS) {
    throw new ConfigError(
      "ACCESS_TOKEN_TTL",
      `must be at most ${MAX_ACCESS_TOKEN_LIFETIME_SECONDS / 60} minutes, got ${accessTokenTtlSeconds} s`,
    );
  }
  const maxSessionsPerUser = reader.integer("SESSIONS_PER_USER", DEFAULT_MAX_SESSIONS_PER_USER, { min: 1, max: 1000 });
  const redis = readRedisConfig(reader);
  if (production && redis === null) {
    throw new ConfigError("REDIS_URL", "required when NODE_ENV=production: in-memory stores are refused in production");
  }
  return {
    port: reader.port("SESSION_PORT", 4001),
    host: reader.string("LISTEN_HOST", "127.0.0.1"),
    production,
    idleTtlSeconds,
    absoluteTtlSeconds,
    accessTokenTtlSeconds,
    maxSessionsPerUser,
    redis,
  };
}
