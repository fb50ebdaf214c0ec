import { slideAfterMs } from "./slide";
import { randomBytes } from "node:crypto";
import type { SigningKey } from "@fedsession/runtime";
import {
  formatSessionToken,
  parseSessionToken,
  signAccessToken,
  SESSION_ID_BYTES,
  SESSION_ID_PATTERN,
  SESSION_SECRET_BYTES,
  type CreateSessionRequest,
  type SessionCredential,
  type TokenPair,
} from "@fedsession/session-client";
import { RevokedDuringCreate, SessionStoreUnavailable } from "./errors";
import type { JsonValue } from "./json";
import { hashSecret, secretMatches } from "./secrets";
import { withSessionData } from "./session-data";
import { isExpired, slid, type SessionRecord, type SessionStore } from "./store/session-store";

export interface SessionServiceOptions {
  store: SessionStore;
  clock: () => Date;
  /** A CSPRNG; injectable so tests can pin tokens. */
  random?: (size: number) => Buffer;
  idleTtlSeconds: number;
  absoluteTtlSeconds: number;
  /** The session role's private key: access tokens are minted here and verified by the gateway. */
  accessTokenKey: SigningKey;
  accessTokenTtlSeconds: number;
}

export type NewSession = CreateSessionRequest;

/**
 * Every rotation's hash is remembered until its session ends, so reuse detection never forgets; this bounds how
 * many a session may make. A client refreshes about once per access-token lifetime; four times that leaves room for
 * app restarts and retries (288 with the defaults).
 */
export const maxRotations = (absoluteTtlSeconds: number, accessTokenTtlSeconds: number): number =>
  4 * Math.ceil(absoluteTtlSeconds / accessTokenTtlSeconds);

/** The most sessions one mySessions page may ask for. */
export const MAX_SESSION_PAGE = 100;

/**
 * `replaced`: the session named by replacesSessionId, now ended; null when none was named or it was already gone.
 * `evicted`: the user's oldest sessions, ended because the user is past the per-user cap.
 */
export type CreatedSession = { replaced: SessionRecord | null; evicted: string[] } & (
  | { transport: "COOKIE"; record: SessionRecord; token: string }
  | { transport: "TOKEN"; record: SessionRecord; tokens: TokenPair }
);

export type RefreshResult =
  | { outcome: "rotated"; record: SessionRecord; tokens: TokenPair }
  | { outcome: "reused"; record: SessionRecord }
  | { outcome: "exhausted"; record: SessionRecord }
  | { outcome: "invalid" };

/** A session id as tokens carry it; anything else is refused before it costs a lookup. */
export const isSessionId = (text: string): boolean => SESSION_ID_PATTERN.test(text);

/** Lone UTF-16 surrogates cannot be encoded as UTF-8 (nor read by Redis's cjson), so they become U+FFFD. */
const wellFormed = (text: string | null) => text && text.replace(/\p{Surrogate}/gu, "\uFFFD");

/** Enough to tell devices apart in a session list; the rest of a long user agent would only cost store memory. */
export const MAX_USER_AGENT_LENGTH = 256;

/** One credential's answer in a batch: its live session (null: none), or the store failure that hit it alone. */
export type ResolveOutcome = { record: SessionRecord | null } | { unavailable: SessionStoreUnavailable };

/** The session id a credential names, or null when it is malformed (no read is spent on it). */
function sessionIdOf(credential: SessionCredential): string | null {
  if ("sessionId" in credential) return isSessionId(credential.sessionId) ? credential.sessionId : null;
  return parseSessionToken(credential.token)?.id ?? null;
}

/** Whether the stored record is the one the credential proves: a COOKIE session and its secret, or a TOKEN session. */
function provenBy(credential: SessionCredential, record: SessionRecord): boolean {
  if ("sessionId" in credential) return record.transport === "TOKEN";
  const parsed = parseSessionToken(credential.token);
  if (parsed === null || record.transport !== "COOKIE" || record.secretHash === null) return false;
  return secretMatches(parsed.secret, record.secretHash);
}

async function fromStore<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw new SessionStoreUnavailable({ cause: error });
  }
}

/**
 * Creates, resolves (with sliding idle expiry), lists, revokes and refreshes sessions; store failures become
 * SessionStoreUnavailable.
 */
export function createSessionService(options: SessionServiceOptions) {
  const { store, clock } = options;
  const random = options.random ?? randomBytes;
  const idleMs = options.idleTtlSeconds * 1000;
  const absoluteMs = options.absoluteTtlSeconds * 1000;
  const newSecret = () => random(SESSION_SECRET_BYTES).toString("base64url");
  const limits = { maxRotations: maxRotations(options.absoluteTtlSeconds, options.accessTokenTtlSeconds) };

  /** The live record, slid forward when due; null when it ended (or ends while being slid). */
  async function use(record: SessionRecord): Promise<SessionRecord | null> {
    const now = clock().getTime();
    if (isExpired(record, now)) return null;
    if (now - record.lastSeenAt < slideAfterMs(record)) return record;
    const next = slid(record, now);
    return (await fromStore(store.touch(next))) ? next : null;
  }

  /**
   * Resolves every credential with one store read for all of them (then a sliding write for the few that are due).
   * Each answers on its own: a malformed credential is null without a read, and a record that cannot be decoded
   * or slid fails only its own credential. Throws SessionStoreUnavailable only when the shared read failed.
   */
  async function resolveMany(credentials: readonly SessionCredential[]): Promise<ResolveOutcome[]> {
    const ids = credentials.map(sessionIdOf);
    const wanted = ids.filter((id): id is string => id !== null);
    const reads = wanted.length === 0 ? [] : await fromStore(store.getMany(wanted));
    let next = 0;
    return Promise.all(
      credentials.map(async (credential, index): Promise<ResolveOutcome> => {
        if (ids[index] === null) return { record: null };
        const read = reads[next++];
        if (read === undefined || "error" in read) {
          return {
            unavailable: new SessionStoreUnavailable({
              cause: read?.error ?? "the store answered fewer reads than asked",
            }),
          };
        }
        if (read.record === null || !provenBy(credential, read.record)) return { record: null };
        try {
          return { record: await use(read.record) };
        } catch (error) {
          if (error instanceof SessionStoreUnavailable) return { unavailable: error };
          throw error;
        }
      }),
    );
  }

  async function resolveOne(credential: SessionCredential): Promise<SessionRecord | null> {
    const [outcome] = await resolveMany([credential]);
    if (outcome === undefined || "unavailable" in outcome) throw outcome?.unavailable ?? new Error("no outcome");
    return outcome.record;
  }

  async function mintTokens(record: SessionRecord, refreshSecret: string): Promise<TokenPair> {
    const { token, expiresAt } = await signAccessToken(
      { userId: record.userId, sessionId: record.id },
      options.accessTokenKey,
      options.accessTokenTtlSeconds,
      clock(),
    );
    return {
      accessToken: token,
      accessTokenExpiresAt: expiresAt.toISOString(),
      refreshToken: formatSessionToken({ id: record.id, secret: refreshSecret }),
    };
  }

  return {
    /**
     * COOKIE: a cookie token. TOKEN: an access and a refresh token, and no secret a cookie could carry. The session
     * named by replacesSessionId ends only once the new one is stored, so a failed create leaves the caller signed
     * in as before; a failed delete fails the whole call, so no caller is told it switched while the old one lives.
     * Throws RevokedDuringCreate when a revoke-all of the user ran since the caller read `revocationEpoch`.
     */
    async create(input: NewSession): Promise<CreatedSession> {
      const id = random(SESSION_ID_BYTES).toString("base64url");
      const secret = newSecret();
      const now = clock().getTime();
      const record: SessionRecord = {
        id,
        userId: input.userId,
        transport: input.transport,
        secretHash: input.transport === "COOKIE" ? hashSecret(secret) : null,
        refreshHash: input.transport === "TOKEN" ? hashSecret(secret) : null,
        permissions: [...input.permissions],
        data: {},
        createdAt: now,
        lastSeenAt: now,
        idleExpiresAt: Math.min(now + idleMs, now + absoluteMs),
        absoluteExpiresAt: now + absoluteMs,
        idleTtlMs: idleMs,
        userAgent: wellFormed(input.userAgent && input.userAgent.slice(0, MAX_USER_AGENT_LENGTH)),
        ip: wellFormed(input.ip),
      };
      const outcome = await fromStore(store.create(record, input.revocationEpoch));
      if (!outcome.created) throw new RevokedDuringCreate();
      const replaced = input.replacesSessionId === null ? null : await fromStore(store.delete(input.replacesSessionId));
      const { evicted } = outcome;
      return input.transport === "COOKIE"
        ? { transport: "COOKIE", record, token: formatSessionToken({ id, secret }), replaced, evicted }
        : { transport: "TOKEN", record, tokens: await mintTokens(record, secret), replaced, evicted };
    },

    resolveMany,

    /** The live COOKIE session a cookie token names; null for anything malformed, unknown, wrong or ended. */
    resolve: (token: string): Promise<SessionRecord | null> => resolveOne({ token }),

    /** The live TOKEN session an access token (already verified by the gateway) names. */
    resolveTokenSession: (sessionId: string): Promise<SessionRecord | null> => resolveOne({ sessionId }),

    /**
     * Trades a refresh token for a new pair. A token that was already traded means two parties hold it, so the
     * session ends for both (OAuth 2.0 Security BCP, refresh token rotation). The one exception is the token the
     * latest rotation replaced, within REFRESH_RETRY_GRACE_MS: that is a client retrying after a lost answer, so it
     * rotates again, and the pair it replaces counts as used; if that pair did reach someone, its next use is
     * reuse and ends the session for both.
     */
    async refresh(refreshToken: string): Promise<RefreshResult> {
      const parsed = parseSessionToken(refreshToken);
      if (parsed === null) return { outcome: "invalid" };
      const nextSecret = newSecret();
      const result = await fromStore(
        store.rotateRefresh(parsed.id, hashSecret(parsed.secret), hashSecret(nextSecret), clock().getTime(), limits),
      );
      if (result.outcome !== "rotated") return result;
      return { ...result, tokens: await mintTokens(result.record, nextSecret) };
    },

    /** Sets (or, with null, removes) one key of a session's data; throws InvalidSessionData past the limits. */
    async setData(sessionId: string, key: string, value: JsonValue): Promise<SessionRecord | null> {
      const record = await fromStore(store.get(sessionId));
      if (record === null) return null;
      // A concurrent setData on the same session may win over this one: last writer wins, per whole data object.
      return fromStore(store.setData(sessionId, withSessionData(record.data, key, value)));
    },

    get: (id: string): Promise<SessionRecord | null> => fromStore(store.get(id)),

    destroy: (id: string): Promise<SessionRecord | null> => fromStore(store.delete(id)),

    /** At most `limit` of the user's live sessions, newest first. */
    listForUser: (userId: string, limit: number): Promise<SessionRecord[]> =>
      fromStore(store.listByUser(userId, limit)),

    /** Read before a credential is checked and handed back to create, which then refuses after a revoke-all. */
    revocationEpoch: (userId: string): Promise<string> => fromStore(store.revocationEpoch(userId)),

    /** Ends every session of the user but `exceptId`; returns how many ended. */
    revokeForUser: (userId: string, exceptId: string | null): Promise<number> =>
      fromStore(store.deleteByUser(userId, exceptId)),

    /** Applies new permissions to every live session of the user, effective on each one's next request. */
    updatePermissionsForUser: (userId: string, permissions: string[]): Promise<number> =>
      fromStore(store.updatePermissionsByUser(userId, permissions)),
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
