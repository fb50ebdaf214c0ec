import { isJsonObject } from "../json";
import type { SessionRecord } from "./session-store";

/**
 * The record as Redis holds it. Lua scripts decode and re-encode it with cjson, which turns empty arrays into
 * objects and keeps only 14 significant digits, so the stored JSON is flat: strings, nulls and integer times only,
 * with lists and client data nested as JSON text. A cjson round trip of this shape is lossless.
 */
interface StoredSession {
  /** Records without it predate this format. */
  v: typeof FORMAT_VERSION;
  id: string;
  userId: string;
  transport: SessionRecord["transport"];
  secretHash: string | null;
  refreshHash: string | null;
  /** Hex hashes separated by single spaces, oldest first. */
  usedRefreshHashes: string;
  /** JSON text of a string array. */
  permissions: string;
  /** JSON text of an object. */
  data: string;
  createdAt: number;
  lastSeenAt: number;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  idleTtlMs: number;
  userAgent: string | null;
  ip: string | null;
}

const FORMAT_VERSION = 2;

export const encodePermissions = (permissions: string[]): string => JSON.stringify(permissions);
export const encodeData = (data: SessionRecord["data"]): string => JSON.stringify(data);

export function encodeRecord(record: SessionRecord): string {
  const stored: StoredSession = {
    v: FORMAT_VERSION,
    id: record.id,
    userId: record.userId,
    transport: record.transport,
    secretHash: record.secretHash,
    refreshHash: record.refreshHash,
    usedRefreshHashes: record.usedRefreshHashes.join(" "),
    permissions: encodePermissions(record.permissions),
    data: encodeData(record.data),
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    idleExpiresAt: record.idleExpiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    idleTtlMs: record.idleTtlMs,
    userAgent: record.userAgent,
    ip: record.ip,
  };
  return JSON.stringify(stored);
}

function corrupt(): never {
  throw new Error("a stored session record has an unexpected shape");
}

const text = (value: unknown): string => (typeof value === "string" ? value : corrupt());
const textOrNull = (value: unknown): string | null => (value === null ? null : text(value));
const time = (value: unknown): number => (typeof value === "number" && Number.isSafeInteger(value) ? value : corrupt());

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
  const data = nestedJson(value);
  return isJsonObject(data) ? data : corrupt();
}

/**
 * Null for a record in an older format: its owner signs in again, rather than every request with it failing as a
 * store error. Anything else malformed throws, and callers report the store as unavailable.
 */
export function decodeRecord(json: string): SessionRecord | null {
  const value: unknown = JSON.parse(json);
  if (typeof value !== "object" || value === null) return corrupt();
  const stored: Partial<Record<keyof StoredSession, unknown>> = value;
  if (stored.v !== FORMAT_VERSION) return null;
  const transport = stored.transport;
  if (transport !== "COOKIE" && transport !== "TOKEN") return corrupt();
  return {
    id: text(stored.id),
    userId: text(stored.userId),
    transport,
    secretHash: textOrNull(stored.secretHash),
    refreshHash: textOrNull(stored.refreshHash),
    usedRefreshHashes: text(stored.usedRefreshHashes)
      .split(" ")
      .filter((hash) => hash !== ""),
    permissions: permissionsOf(stored.permissions),
    data: dataOf(stored.data),
    createdAt: time(stored.createdAt),
    lastSeenAt: time(stored.lastSeenAt),
    idleExpiresAt: time(stored.idleExpiresAt),
    absoluteExpiresAt: time(stored.absoluteExpiresAt),
    idleTtlMs: time(stored.idleTtlMs),
    userAgent: textOrNull(stored.userAgent),
    ip: textOrNull(stored.ip),
  };
}
