import { isJsonObject } from "../json";
import type { SessionRecord } from "./session-store";

/**
 * The record as Redis holds it, kept small because it is most of a session's memory: one-letter names, no id (the
 * key has it), fields left out while they hold their empty value, and times after createdAt as offsets from it.
 * Lua scripts decode and re-encode it with cjson, which turns empty arrays into objects and keeps only 14
 * significant digits, so the stored JSON is flat: strings and integer times (ms) only, with lists and client data
 * nested as JSON text. A cjson round trip of this shape is lossless.
 */
interface StoredSession {
  /** Records without this version (older formats) count as absent. */
  v: typeof FORMAT_VERSION;
  /** userId */
  u: string;
  /** transport */
  t: StoredTransport;
  /** secretHash (storedHash form); absent when null. */
  s?: string;
  /** refreshHash (storedHash form); absent when null. */
  r?: string;
  /**
   * Legacy: refresh hashes already rotated away, separated by spaces. They now live in their own set (redis.ts
   * usedHashesKey); the rotation script moves any found here into it.
   */
  h?: string;
  /** TOKEN: the refresh hash the latest rotation replaced (storedHash form), for recognising its retry. */
  q?: string;
  /** TOKEN: when the latest rotation ran, − createdAt. */
  o?: number;
  /** permissions, as JSON text of a string array. */
  p: string;
  /** data, as JSON text of an object; absent when empty. */
  d?: string;
  /** createdAt, epoch ms. */
  c: number;
  /** lastSeenAt − createdAt */
  l: number;
  /** idleExpiresAt − createdAt */
  i: number;
  /** absoluteExpiresAt − createdAt */
  a: number;
  /** idleTtlMs */
  w: number;
  /** userAgent; absent when null. */
  g?: string;
  /** absent when null. */
  ip?: string;
}

/** The Lua scripts in redis-scripts.ts read and write these same names. */
export type StoredField = keyof StoredSession;

export const FORMAT_VERSION = 3;

type StoredTransport = "C" | "T";
export const STORED_TOKEN_TRANSPORT: StoredTransport = "T";
const storedTransport = { COOKIE: "C", TOKEN: "T" } as const satisfies Record<
  SessionRecord["transport"],
  StoredTransport
>;

const HEX_DIGEST = /^[0-9a-f]{64}$/;
const BASE64URL_DIGEST = /^[A-Za-z0-9_-]{43}$/;

/**
 * A hex SHA-256 digest as base64url (43 characters instead of 64); the two forms map one to one, so comparing
 * stored forms is comparing digests. Anything else (never a digest the service made) is kept as it is.
 */
export const storedHash = (hash: string): string =>
  HEX_DIGEST.test(hash) ? Buffer.from(hash, "hex").toString("base64url") : hash;

const hashFromStore = (stored: string): string =>
  BASE64URL_DIGEST.test(stored) ? Buffer.from(stored, "base64url").toString("hex") : stored;

const storedHashOrAbsent = (hash: string | null) => (hash === null ? undefined : storedHash(hash));
const orAbsent = (value: string | null) => value ?? undefined;

export const encodePermissions = (permissions: string[]): string => JSON.stringify(permissions);
export const encodeData = (data: SessionRecord["data"]): string => JSON.stringify(data);

/** The stored sliding fields (what a touch rewrites); createdAt never changes, so any copy gives the same offsets. */
export const encodeSlide = (record: SessionRecord) => ({
  l: record.lastSeenAt - record.createdAt,
  i: record.idleExpiresAt - record.createdAt,
});

export function encodeRecord(record: SessionRecord): string {
  const stored: StoredSession = {
    v: FORMAT_VERSION,
    u: record.userId,
    t: storedTransport[record.transport],
    s: storedHashOrAbsent(record.secretHash),
    r: storedHashOrAbsent(record.refreshHash),
    p: encodePermissions(record.permissions),
    d: Object.keys(record.data).length === 0 ? undefined : encodeData(record.data),
    c: record.createdAt,
    ...encodeSlide(record),
    a: record.absoluteExpiresAt - record.createdAt,
    w: record.idleTtlMs,
    g: orAbsent(record.userAgent),
    ip: orAbsent(record.ip),
  };
  return JSON.stringify(stored);
}

function corrupt(): never {
  throw new Error("a stored session record has an unexpected shape");
}

const text = (value: unknown): string => (typeof value === "string" ? value : corrupt());
const textOrNull = (value: unknown): string | null => (value === undefined ? null : text(value));
const hashOrNull = (value: unknown): string | null => (value === undefined ? null : hashFromStore(text(value)));
const time = (value: unknown): number => (typeof value === "number" && Number.isSafeInteger(value) ? value : corrupt());

function transportOf(value: unknown): SessionRecord["transport"] {
  if (value === storedTransport.COOKIE) return "COOKIE";
  if (value === storedTransport.TOKEN) return "TOKEN";
  return corrupt();
}

function nestedJson(value: unknown): unknown {
  try {
    return JSON.parse(text(value));
  } catch {
    return corrupt();
  }
}

function permissionsOf(value: unknown): string[] {
  const permissions = nestedJson(value);
  if (!Array.isArray(permissions)) return corrupt();
  return permissions.map(text);
}

function dataOf(value: unknown): SessionRecord["data"] {
  if (value === undefined) return {};
  const data = nestedJson(value);
  return isJsonObject(data) ? data : corrupt();
}

/**
 * The record stored under session `id`. Null for a record in an older format: its owner signs in again, rather
 * than every request with it failing as a store error. Anything else malformed throws, and callers report the
 * store as unavailable.
 */
export function decodeRecord(id: string, json: string): SessionRecord | null {
  const value: unknown = JSON.parse(json);
  if (typeof value !== "object" || value === null) return corrupt();
  const stored: Partial<Record<StoredField, unknown>> = value;
  if (stored.v !== FORMAT_VERSION) return null;
  const createdAt = time(stored.c);
  return {
    id,
    userId: text(stored.u),
    transport: transportOf(stored.t),
    secretHash: hashOrNull(stored.s),
    refreshHash: hashOrNull(stored.r),
    permissions: permissionsOf(stored.p),
    data: dataOf(stored.d),
    createdAt,
    lastSeenAt: createdAt + time(stored.l),
    idleExpiresAt: createdAt + time(stored.i),
    absoluteExpiresAt: createdAt + time(stored.a),
    idleTtlMs: time(stored.w),
    userAgent: textOrNull(stored.g),
    ip: textOrNull(stored.ip),
  };
}
