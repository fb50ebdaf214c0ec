import { parseDuration } from "./duration";

/** A configuration problem found at start-up; the message always names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = "ConfigError";
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Typed, validated reads of environment variables; every error names the variable it came from. */
export class EnvReader {
  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const value = this.optional(name);
    return value ?? fallback;
  }

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  port(name: string, fallback: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const port = Number(value);
    if (!/^\d+$/.test(value) || port > 65535)
      throw new ConfigError(name, `expected a port number 0-65535, got "${value}"`);
    return port;
  }

  integer(name: string, fallback: number, { min, max }: { min: number; max: number }): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
      throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got "${value}"`);
    }
    return parsed;
  }

  /** Seconds, from plain seconds ("1800") or a suffixed number ("30m", "12h", "7d"). */
  durationSeconds(name: string, fallback: string): number {
    const value = this.string(name, fallback);
    const seconds = parseDuration(value);
    if (seconds === null || seconds <= 0) {
      throw new ConfigError(name, `expected a duration such as 1800, 30m, 12h or 7d, got "${value}"`);
    }
    return seconds;
  }

  /** The names of the set (non-empty) variables that start with `prefix`, for families like SUBGRAPH_URL_<NAME>. */
  namesStartingWith(prefix: string): string[] {
    return Object.keys(this.env).filter((name) => name.startsWith(prefix) && this.optional(name) !== undefined);
  }

  list(name: string): string[] {
    return (this.optional(name) ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }

  url(name: string, fallback: string): string {
    const value = this.string(name, fallback);
    try {
      return new URL(value).toString();
    } catch {
      throw new ConfigError(name, `expected a URL, got "${value}"`);
    }
  }

  isProduction(): boolean {
    return this.optional("NODE_ENV") === "production";
  }
}
