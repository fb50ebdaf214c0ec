import { DEFAULT_MAX_DOCUMENTS_PER_USER } from "./limits";
import { ConfigError, EnvReader, readRedisConfig, type Env, type RedisConfig } from "@fedsession/runtime";

export interface DocumentsConfig {
  port: number;
  host: string;
  production: boolean;
  /** null: the in-memory store, refused in production. */
  redis: RedisConfig | null;
  /** MAX_DOCUMENTS_PER_USER: createDocument is refused (FORBIDDEN) once a user has this many. */
  maxDocumentsPerUser: number;
}

export function readConfig(env: Env): DocumentsConfig {
  const reader = new EnvReader(env);
  const production = reader.isProduction();
  const redis = readRedisConfig(reader);
  if (production && redis === null) {
    throw new ConfigError(
      "REDIS_URL",
      "required when NODE_ENV=production (or REDIS_CLUSTER_NODES): in-memory stores are refused in production",
    );
  }
  return {
    port: reader.port("DOCUMENTS_PORT", 4003),
    host: reader.string("LISTEN_HOST", "127.0.0.1"),
    production,
    redis,
    maxDocumentsPerUser: reader.integer("MAX_DOCUMENTS_PER_USER", DEFAULT_MAX_DOCUMENTS_PER_USER, {
      min: 1,
      max: 1_000_000,
    }),
  };
}
