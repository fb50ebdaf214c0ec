import type { Logger, RedisClient } from "@fedsession/runtime";
import type { ResolvedSession, SessionEvent } from "@fedsession/session-client";

/**
 * Resolved sessions kept by the gateway between lookups, evicted by a push from the session service (Redis
 * pub/sub), never by waiting for a TTL. An entry lives at most until the session's `reusableUntil` (its end or its
 * next sliding write). While the subscription is down nothing is cached, because an eviction could be missed.
 */
export class SessionCache {
  private readonly entries = new Map<string, ResolvedSession>();
  private subscribed = false;
  private changes = 0;

  private constructor(
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  /** Subscribes on a dedicated connection (a subscribing connection can run nothing else). */
  static async start(options: {
    subscriber: RedisClient;
    channel: string;
    logger: Logger;
    maxEntries?: number;
    now?: () => number;
  }) {
    const cache = new SessionCache(options.maxEntries ?? 50_000, options.now ?? Date.now);
    const { subscriber, channel, logger } = options;
    const stopCaching = () => {
      if (cache.subscribed) logger.warn("session_cache_disabled", { reason: "subscription lost" });
      cache.subscribed = false;
      cache.clear();
    };
    subscriber.on("message", (from: string, text: string) => {
      if (from === channel) cache.apply(text);
    });
    subscriber.on("close", stopCaching);
    subscriber.on("reconnecting", stopCaching);
    subscriber.on("ready", () => {
      subscriber.subscribe(channel).then(
        () => (cache.subscribed = true),
        () => stopCaching(),
      );
    });
    await subscriber.subscribe(channel);
    cache.subscribed = true;
    return cache;
  }

  /** A snapshot to pass to set(): an answer fetched while anything changed is not kept. */
  generation(): number {
    return this.changes;
  }

  get(key: string): ResolvedSession | undefined {
    if (!this.subscribed) return undefined;
    const session = this.entries.get(key);
    if (session === undefined) return undefined;
    if (this.now() >= session.reusableUntil) {
      this.entries.delete(key);
      return undefined;
    }
    return session;
  }

  set(key: string, session: ResolvedSession, generationAtStart: number): void {
    if (!this.subscribed || generationAtStart !== this.changes || this.now() >= session.reusableUntil) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
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
    if ("session" in event && typeof event.session === "string") this.evictSession(event.session);
    else if ("user" in event && typeof event.user === "string") this.evict((session) => session.userId === event.user);
    else this.clear();
  }

  private evict(matches: (session: ResolvedSession) => boolean): void {
    this.changes++;
    for (const [key, session] of this.entries) if (matches(session)) this.entries.delete(key);
  }

  private clear(): void {
    this.changes++;
    this.entries.clear();
  }
}
