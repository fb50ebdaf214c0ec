import type { CookieConfig } from "./config";

export type CookieCredential = { kind: "none" } | { kind: "present"; value: string } | { kind: "ambiguous" };

/** Finds the session cookie; two cookies of that name (a planted duplicate) count as ambiguous, never as a choice. */
export function readSessionCookie(cookieHeader: string | undefined, name: string): CookieCredential {
  if (!cookieHeader) return { kind: "none" };
  const values: string[] = [];
  for (const part of cookieHeader.split(";")) {
    const separator = part.indexOf("=");
    if (separator === -1) continue;
    if (part.slice(0, separator).trim() === name) values.push(part.slice(separator + 1).trim());
  }
  if (values.length === 0) return { kind: "none" };
  if (values.length > 1) return { kind: "ambiguous" };
  return { kind: "present", value: values[0] as string };
}

export function sessionCookie(config: CookieConfig, token: string, maxAgeSeconds: number): string {
  return [`${config.name}=${token}`, ...attributes(config), `Max-Age=${maxAgeSeconds}`].join("; ");
}

export function clearedSessionCookie(config: CookieConfig): string {
  return [`${config.name}=`, ...attributes(config), "Max-Age=0"].join("; ");
}

function attributes(config: CookieConfig): string[] {
  return ["Path=/", "HttpOnly", `SameSite=${config.sameSite}`, ...(config.secure ? ["Secure"] : [])];
}
