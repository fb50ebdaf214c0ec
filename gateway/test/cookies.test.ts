import { clearedSessionCookie, sessionCookie } from "../src/cookies";
import { readConfig } from "../src/config";

describe("session cookies", () => {
  it("are HttpOnly, SameSite=Lax and Path=/ in development, without Secure", () => {
    const { cookie } = readConfig({});
    expect(sessionCookie(cookie, "tok", 60)).toBe("fedsession=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=60");
    expect(clearedSessionCookie(cookie)).toBe("fedsession=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
  });

  it("use the __Host- prefix and Secure in production, with no Domain", () => {
    const { cookie } = readConfig({ NODE_ENV: "production" });
    expect(sessionCookie(cookie, "tok", 60)).toBe(
      "__Host-fedsession=tok; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=60",
    );
  });

  it("refuses insecure cookies in production, naming the variable", () => {
    expect(() => readConfig({ NODE_ENV: "production", COOKIE_SECURE: "false" })).toThrow(/COOKIE_SECURE/);
  });

  it("are SameSite=None and Secure when COOKIE_SAME_SITE=None is set in development (Apollo's hosted Sandbox)", () => {
    const { cookie } = readConfig({ COOKIE_SECURE: "true", COOKIE_SAME_SITE: "None" });
    expect(sessionCookie(cookie, "tok", 60)).toBe(
      "__Host-fedsession=tok; Path=/; HttpOnly; SameSite=None; Secure; Max-Age=60",
    );
  });

  it("refuse SameSite=None without Secure, and in production, naming the variable", () => {
    expect(() => readConfig({ COOKIE_SAME_SITE: "None" })).toThrow(/COOKIE_SAME_SITE.*COOKIE_SECURE=true/);
    expect(() => readConfig({ NODE_ENV: "production", COOKIE_SAME_SITE: "None" })).toThrow(
      /COOKIE_SAME_SITE.*refused when NODE_ENV=production/,
    );
    expect(() => readConfig({ COOKIE_SAME_SITE: "Strict" })).toThrow(/COOKIE_SAME_SITE.*Lax or None/);
  });
});
