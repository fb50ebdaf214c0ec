import { Cluster } from "ioredis";
import { sessionCacheEntries, sessionCacheEvents, type Logger, type RedisClient } from "@fedsession/runtime";
import { SESSION_EVENTS_HEARTBEAT_MS, type ResolvedSession, type SessionEvent } from "@fedsession/session-client";

/** Three missed heartbeats and the channel counts as dead: nothing is cached until the next one arrives. */
export const HEARTBEAT_TIMEOUT_MS = 3 * SESSION_EVENTS_HEARTBEAT_MS;

/**
 * Resolved sessions kept by the gateway between lookups, evicted by a push from the session service (Redis
 * pub/sub), never by waiting for a TTL. An entry lives at most until the session's `reusableUntil` (its end or its
 * next sliding write). While the subscription is down nothing is cached, because an eviction could be missed, and
 * "down" includes silence: no heartbeat from the session service for HEARTBEAT_TIMEOUT_MS (a dead TCP connection,
 * a Cluster subscriber that moved, a different REDIS_KEY_PREFIX). Every change of subscription state starts a new
 * generation, so a lookup begun before it is never stored after it.
 */
export class SessionCache {
  private readonly entries = new Map<string, ResolvedSession>();
  private subscribed = false;
  private changes = 0;
  private lastHeartbeat: number;
  private silent = false;

  private constructor(
    private readonly maxEntries: number,
    private readonly now: () => number,
    private readonly logger: Logger,
    private readonly channel: string,
  ) {
    this.lastHeartbeat = now();
  }

  /** Subscribes on a dedicated connection (a subscribing connection can run nothing else). */
  static async start(options: {
    subscriber: RedisClient;
    channel: string;
    logger: Logger;
    maxEntries?: number;
    now?: () => number;
  }) {
    const { subscriber, channel, logger } = options;
    const cache = new SessionCache(options.maxEntries ?? 50_000, options.now ?? Date.now, logger, channel);
    const stopCaching = () => {
      if (cache.subscribed) {
        logger.warn("session_cache_disabled", { reason: "subscription lost" });
        sessionCacheEvents.inc({ event: "subscription_down" });
      }
      cache.subscribed = false;
      cache.clear();
    };
    // A Cluster's subscriber moving to another node emits nothing on the subscriber connection events above.
    if (subscriber instanceof Cluster) {
      for (const event of ["+node", "-node", "node error"]) subscriber.on(event, () => cache.clear());
    }
    subscriber.on("message", (from: string, text: string) => {
      if (from === channel) cache.apply(text);
    });
    subscriber.on("close", stopCaching);
    subscriber.on("reconnecting", stopCaching);
    subscriber.on("ready", () => {
      subscriber.subscribe(channel).then(
        () => cache.resubscribed(),
        () => stopCaching(),
      );
    });
    await subscriber.subscribe(channel);
    cache.resubscribed();
    // The one loud start-up check that the session service publishes where this gateway listens.
    setTimeout(() => {
      if (!cache.heardAny) cache.reportSilence();
    }, HEARTBEAT_TIMEOUT_MS).unref();
    return cache;
  }

  private heardAny = false;

  private resubscribed(): void {
    sessionCacheEvents.inc({ event: "subscription_up" });
    this.changes++;
    this.lastHeartbeat = this.now();
    this.subscribed = true;
  }

  private reportSilence(): void {
    this.logger.error("session_events_silent", {
      channel: this.channel,
      hint: "no heartbeat from the session service: is it running with REDIS_URL and the same REDIS_KEY_PREFIX?",
    });
  }

  /** Caching needs a live subscription that heard a heartbeat recently; otherwise entries go and nothing is kept. */
  private usable(): boolean {
    if (!this.subscribed) return false;
    if (this.now() - this.lastHeartbeat <= HEARTBEAT_TIMEOUT_MS) return true;
    if (!this.silent) {
      this.silent = true;
      this.reportSilence();
      this.clear();
    }
    return false;
  }

  /** A snapshot to pass to set(): an answer fetched while anything changed is not kept. */
  generation(): number {
    return this.changes;
  }

  get(key: string): ResolvedSession | undefined {
    if (!this.usable()) return undefined;
    const session = this.entries.get(key);
    if (session === undefined) return undefined;
    if (this.now() >= session.reusableUntil) {
      this.entries.delete(key);
      sessionCacheEntries.dec();
      return undefined;
    }
    return session;
  }

  set(key: string, session: ResolvedSession, generationAtStart: number): void {
    if (!this.usable() || generationAtStart !== this.changes || this.now() >= session.reusableUntil) return;
    if (this.entries.size >= this.maxEntries) {
      sessionCacheEntries.dec(this.entries.size);
      this.entries.clear();
    }
    if (!this.entries.has(key)) sessionCacheEntries.inc();
    this.entries.set(key, session);
  }

  /** Forgets one session at once, for the gateway's own logout path. */
  evictSession(sessionId: string): void {
    this.evict((session) => session.id === sessionId);
  }

  private apply(text: string): void {
    let event: SessionEvent;
    try {
      event = JSON.parse(text) as SessionEvent;
    } catch {
      this.clear();
      return;
    }
    if ("ping" in event && typeof event.ping === "number") this.heard();
    else if ("session" in event && typeof event.session === "string") this.evictSession(event.session);
    else if ("user" in event && typeof event.user === "string") this.evict((session) => session.userId === event.user);
    else this.clear();
  }

  /** A heartbeat: after a silence, caching resumes in a new generation (lookups begun in the silence are not kept). */
  private heard(): void {
    this.heardAny = true;
    if (this.silent) {
      this.silent = false;
      this.changes++;
      this.logger.info("session_events_heard", { channel: this.channel });
    }
    this.lastHeartbeat = this.now();
  }

  private evict(matches: (session: ResolvedSession) => boolean): void {
    this.changes++;
    let evicted = 0;
    for (const [key, session] of this.entries) {
      if (matches(session)) {
        this.entries.delete(key);
        evicted++;
      }
    }
    sessionCacheEvents.inc({ event: "eviction" }, evicted);
    sessionCacheEntries.dec(evicted);
  }

  private clear(): void {
    this.changes++;
    sessionCacheEvents.inc({ event: "clear" });
    sessionCacheEntries.dec(this.entries.size);
    this.entries.clear();
  }
}
