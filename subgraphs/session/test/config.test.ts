import { ConfigError } from "@fedsession/runtime";
import { readConfig } from "../src/config";

const configError = (env: Record<string, string>) => {
  try {
    readConfig(env);
  } catch (error) {
    return error instanceof ConfigError ? error.variable : error;
  }
  return "accepted";
};

describe("session config", () => {
  it("defaults to port 4001 on 127.0.0.1, 30 min idle, 12 h absolute, 10 min access tokens and the in-memory store", () => {
    expect(readConfig({})).toEqual({
      port: 4001,
      host: "127.0.0.1",
      production: false,
      idleTtlSeconds: 1800,
      absoluteTtlSeconds: 43_200,
      accessTokenTtlSeconds: 600,
      maxSessionsPerUser: 50,
      redis: null,
    });
  });

  it("reads the cap on sessions per user and refuses one outside 1-1000, naming the variable", () => {
    expect(readConfig({ SESSIONS_PER_USER: "5" }).maxSessionsPerUser).toBe(5);
    expect(() => readConfig({ SESSIONS_PER_USER: "0" })).toThrow(/SESSIONS_PER_USER/);
  });

  it("reads durations with or without a unit and Redis settings", () => {
    const config = readConfig({
      SESSION_IDLE_TTL: "900",
      SESSION_ABSOLUTE_TTL: "7d",
      REDIS_URL: "redis://127.0.0.1:6379",
      SESSION_PORT: "0",
    });
    expect(config).toMatchObject({
      port: 0,
      idleTtlSeconds: 900,
      absoluteTtlSeconds: 604_800,
      redis: { kind: "single", keyPrefix: "fedsession:" },
    });
  });

  it("names the variable at fault", () => {
    expect(configError({ SESSION_IDLE_TTL: "2h", SESSION_ABSOLUTE_TTL: "1h" })).toBe("SESSION_ABSOLUTE_TTL");
    expect(configError({ SESSION_IDLE_TTL: "soon" })).toBe("SESSION_IDLE_TTL");
    expect(configError({ SESSION_PORT: "70000" })).toBe("SESSION_PORT");
    expect(configError({ ACCESS_TOKEN_TTL: "16m" })).toBe("ACCESS_TOKEN_TTL");
    expect(configError({ ACCESS_TOKEN_TTL: "never" })).toBe("ACCESS_TOKEN_TTL");
    expect(configError({ ACCESS_TOKEN_TTL: "15m" })).toBe("accepted");
    expect(configError({ NODE_ENV: "production" })).toBe("REDIS_URL");
    expect(configError({ NODE_ENV: "production", REDIS_URL: "redis://127.0.0.1:6379" })).toBe("accepted");
  });
});
