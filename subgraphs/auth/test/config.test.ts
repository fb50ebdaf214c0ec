import { ConfigError } from "@fedsession/runtime";
import { DEFAULT_SUPERGRAPH_PATH, readConfig } from "../src/config";
import { DEFAULT_LOGIN_LIMITS } from "../src/login-guard";

const variableOf = (env: Record<string, string>) => {
  try {
    readConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.variable;
    throw error;
  }
  return null;
};

const PRODUCTION = { NODE_ENV: "production", REDIS_URL: "redis://127.0.0.1:6379" };

describe("auth configuration", () => {
  it("uses the documented defaults", () => {
    expect(readConfig({})).toEqual({
      port: 4002,
      host: "127.0.0.1",
      production: false,
      supergraphPath: DEFAULT_SUPERGRAPH_PATH,
      sessionUrl: "http://127.0.0.1:4001/",
      sessionCallTimeoutMs: 2000,
      bcryptCost: 12,
      bcryptLimits: { concurrency: 1, queueTimeoutMs: 10_000 },
      loginLimits: DEFAULT_LOGIN_LIMITS,
      signUpLimits: { maxPerIp: 20, windowSeconds: 3600 },
      administrator: null,
      redis: null,
    });
  });

  it("keeps bcrypt's cost within 4 to 15", () => {
    expect(readConfig({ BCRYPT_COST: "4" }).bcryptCost).toBe(4);
    expect(variableOf({ BCRYPT_COST: "3" })).toBe("BCRYPT_COST");
    expect(variableOf({ BCRYPT_COST: "16" })).toBe("BCRYPT_COST");
  });

  it("bounds bcrypt's concurrency to 1-16 and reads its queue timeout, naming the variable of a bad one", () => {
    expect(readConfig({ BCRYPT_CONCURRENCY: "4", BCRYPT_QUEUE_TIMEOUT_MS: "2500" }).bcryptLimits).toEqual({
      concurrency: 4,
      queueTimeoutMs: 2500,
    });
    expect(readConfig({ BCRYPT_CONCURRENCY: "16" }).bcryptLimits.concurrency).toBe(16);
    expect(variableOf({ BCRYPT_CONCURRENCY: "0" })).toBe("BCRYPT_CONCURRENCY");
    expect(variableOf({ BCRYPT_CONCURRENCY: "17" })).toBe("BCRYPT_CONCURRENCY");
    expect(variableOf({ BCRYPT_CONCURRENCY: "two" })).toBe("BCRYPT_CONCURRENCY");
    expect(variableOf({ BCRYPT_QUEUE_TIMEOUT_MS: "10s" })).toBe("BCRYPT_QUEUE_TIMEOUT_MS");
    expect(variableOf({ BCRYPT_QUEUE_TIMEOUT_MS: "0" })).toBe("BCRYPT_QUEUE_TIMEOUT_MS");
  });

  it("reads the login back-off, attempt limits and window, naming the variable of a bad one", () => {
    expect(
      readConfig({
        LOGIN_BACKOFF_AFTER: "3",
        LOGIN_MAX_BACKOFF: "2m",
        LOGIN_MAX_FAILURES_PER_IP: "500",
        LOGIN_MAX_ATTEMPTS_PER_IP: "900",
        LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: "12",
        LOGIN_THROTTLE_WINDOW: "1h",
      }).loginLimits,
    ).toEqual({
      backoffAfterFailures: 3,
      maxBackoffSeconds: 120,
      maxFailuresPerIp: 500,
      maxAttemptsPerIp: 900,
      maxAttemptsPerAccount: 12,
      windowSeconds: 3600,
    });
    expect(variableOf({ LOGIN_BACKOFF_AFTER: "0" })).toBe("LOGIN_BACKOFF_AFTER");
    expect(variableOf({ LOGIN_BACKOFF_AFTER: "21" })).toBe("LOGIN_BACKOFF_AFTER");
    expect(variableOf({ LOGIN_MAX_BACKOFF: "16m" })).toBe("LOGIN_MAX_BACKOFF");
    expect(variableOf({ LOGIN_MAX_BACKOFF: "never" })).toBe("LOGIN_MAX_BACKOFF");
    expect(variableOf({ LOGIN_MAX_FAILURES_PER_IP: "many" })).toBe("LOGIN_MAX_FAILURES_PER_IP");
    expect(variableOf({ LOGIN_MAX_ATTEMPTS_PER_IP: "0" })).toBe("LOGIN_MAX_ATTEMPTS_PER_IP");
    expect(variableOf({ LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: "lots" })).toBe("LOGIN_MAX_ATTEMPTS_PER_ACCOUNT");
    expect(variableOf({ LOGIN_THROTTLE_WINDOW: "soon" })).toBe("LOGIN_THROTTLE_WINDOW");
  });

  it("refuses the retired per-account hard cap by name instead of silently ignoring it", () => {
    expect(() => readConfig({ LOGIN_MAX_FAILURES_PER_ACCOUNT: "10" })).toThrow(
      /LOGIN_MAX_FAILURES_PER_ACCOUNT: .*LOGIN_BACKOFF_AFTER and LOGIN_MAX_BACKOFF/,
    );
  });

  it("reads the sign-up limit per IP and its window, naming the variable of a bad one", () => {
    expect(readConfig({ SIGNUP_MAX_PER_IP: "5", SIGNUP_THROTTLE_WINDOW: "10m" }).signUpLimits).toEqual({
      maxPerIp: 5,
      windowSeconds: 600,
    });
    expect(variableOf({ SIGNUP_MAX_PER_IP: "0" })).toBe("SIGNUP_MAX_PER_IP");
    expect(variableOf({ SIGNUP_MAX_PER_IP: "lots" })).toBe("SIGNUP_MAX_PER_IP");
    expect(variableOf({ SIGNUP_THROTTLE_WINDOW: "forever" })).toBe("SIGNUP_THROTTLE_WINDOW");
  });

  it("refuses a common ADMIN_PASSWORD or one equal to the email's name part", () => {
    expect(variableOf({ ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: "password123" })).toBe("ADMIN_PASSWORD");
    expect(variableOf({ ADMIN_EMAIL: "rootadmin42@example.com", ADMIN_PASSWORD: "RootAdmin42" })).toBe(
      "ADMIN_PASSWORD",
    );
  });

  it("needs ADMIN_EMAIL and ADMIN_PASSWORD together and names the missing one", () => {
    expect(variableOf({ ADMIN_EMAIL: "root@example.com" })).toBe("ADMIN_PASSWORD");
    expect(variableOf({ ADMIN_PASSWORD: "root-password-1" })).toBe("ADMIN_EMAIL");
    expect(readConfig({ ADMIN_EMAIL: " Root@Example.com", ADMIN_PASSWORD: "root-password-1" }).administrator).toEqual({
      email: "root@example.com",
      password: "root-password-1",
    });
  });

  it("applies the password rule to ADMIN_PASSWORD and the email shape to ADMIN_EMAIL", () => {
    expect(variableOf({ ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: "short" })).toBe("ADMIN_PASSWORD");
    expect(variableOf({ ADMIN_EMAIL: "root", ADMIN_PASSWORD: "root-password-1" })).toBe("ADMIN_EMAIL");
  });

  it("refuses a weak administrator password in production", () => {
    expect(
      variableOf({ ...PRODUCTION, ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: "admin-password-1" }),
    ).toBeNull();
    expect(variableOf({ ...PRODUCTION, ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: "root-pass" })).toBe(
      "ADMIN_PASSWORD",
    );
    expect(variableOf({ ...PRODUCTION, ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: "aaaaaaaaaaaaaaaaaaaa" })).toBe(
      "ADMIN_PASSWORD",
    );
  });

  it("refuses in-memory stores in production, naming REDIS_URL", () => {
    expect(variableOf({ NODE_ENV: "production" })).toBe("REDIS_URL");
  });

  it("names the variable of a malformed session URL or timeout", () => {
    expect(variableOf({ SESSION_URL: "not a url" })).toBe("SESSION_URL");
    expect(variableOf({ SESSION_CALL_TIMEOUT_MS: "2s" })).toBe("SESSION_CALL_TIMEOUT_MS");
  });
});
