import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  formatSessionToken,
  parseSessionToken,
  SESSION_ID_BYTES,
  SESSION_SECRET_BYTES,
} from "@fedsession/session-client";
import { SessionStoreUnavailable } from "./errors";
import { isExpired, type SessionRecord, type SessionStore } from "./store/session-store";

export interface SessionServiceOptions {
  store: SessionStore;
  clock: () => Date;
  /** A CSPRNG; injectable so tests can pin tokens. */
  random?: (size: number) => Buffer;
  idleTtlSeconds: number;
  absoluteTtlSeconds: number;
}

export interface NewSession {
  userId: string;
  permissions: string[];
  userAgent: string | null;
  ip: string | null;
}

const hashSecret = (secret: string): Buffer => createHash("sha256").update(secret).digest();

function secretMatches(secret: string, storedHashHex: string): boolean {
  const stored = Buffer.from(storedHashHex, "hex");
  const presented = hashSecret(secret);
  // Constant-time, so response timing never reveals how much of a guessed secret was right.
  return stored.length === presented.length && timingSafeEqual(stored, presented);
}

async function fromStore<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw new SessionStoreUnavailable({ cause: error });
  }
}

/** Creates, resolves (with sliding idle expiry), lists and destroys sessions; store failures become SessionStoreUnavailable. */
export function createSessionService(options: SessionServiceOptions) {
  const { store, clock } = options;
  const random = options.random ?? randomBytes;
  const idleMs = options.idleTtlSeconds * 1000;
  const absoluteMs = options.absoluteTtlSeconds * 1000;
  /**
   * A resolve rewrites the session only when this long has passed since lastSeenAt: max(1 s, idle TTL / 10).
   * With the default 30 min idle TTL that is every 3 min, so a client polling once a second causes one write per
   * 180 resolves (about 0.56%), and every other resolve costs a single store read. The price is that the idle
   * deadline can run out up to a tenth of the idle TTL earlier than a write-on-every-request scheme would allow.
   */
  const slideAfterMs = Math.max(1000, idleMs / 10);

  return {
    async create(input: NewSession): Promise<{ token: string; record: SessionRecord }> {
      const id = random(SESSION_ID_BYTES).toString("base64url");
      const secret = random(SESSION_SECRET_BYTES).toString("base64url");
      const now = clock().getTime();
      const record: SessionRecord = {
        id,
        userId: input.userId,
        secretHash: hashSecret(secret).toString("hex"),
        permissions: [...input.permissions],
        createdAt: now,
        lastSeenAt: now,
        idleExpiresAt: Math.min(now + idleMs, now + absoluteMs),
        absoluteExpiresAt: now + absoluteMs,
        userAgent: input.userAgent,
        ip: input.ip,
      };
      await fromStore(store.create(record));
      return { token: formatSessionToken({ id, secret }), record };
    },

    /** The live session a token names, slid forward when due; null for anything malformed, unknown, wrong or ended. */
    async resolve(token: string): Promise<SessionRecord | null> {
      const parsed = parseSessionToken(token);
      if (parsed === null) return null;
      const record = await fromStore(store.get(parsed.id));
      if (record === null || !secretMatches(parsed.secret, record.secretHash)) return null;
      const now = clock().getTime();
      if (isExpired(record, now)) return null;
      if (now - record.lastSeenAt < slideAfterMs) return record;
      const slid = { ...record, lastSeenAt: now, idleExpiresAt: Math.min(now + idleMs, record.absoluteExpiresAt) };
      return (await fromStore(store.touch(slid))) ? slid : null;
    },

    get: (id: string): Promise<SessionRecord | null> => fromStore(store.get(id)),

    destroy: (id: string): Promise<SessionRecord | null> => fromStore(store.delete(id)),

    listForUser: (userId: string): Promise<SessionRecord[]> => fromStore(store.listByUser(userId)),
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
