/**
 * Remembers what a signature check concluded about an exact token string until the token's own expiry, so a
 * token presented many times (a service token reused for seconds, one context per request and subgraph) costs
 * one Ed25519 verification. Only successes are kept.
 *
 * Memory follows the live tokens, not the tokens ever seen: entries sit in insertion order, which is nearly expiry
 * order (every token of a kind has the same lifetime), so each insert first drops the expired entries at the front.
 * Clearing when full still bounds a burst of distinct live tokens.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, { value: T; expiresAtMs: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string, nowMs: number): T | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.expiresAtMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  set(token: string, value: T, expiresAtMs: number, nowMs: number): void {
    // Deleted first so a replaced entry moves to the end: the order stays the order of insertion.
    this.entries.delete(token);
    for (const [oldest, entry] of this.entries) {
      if (nowMs < entry.expiresAtMs) break;
      this.entries.delete(oldest);
    }
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(token, { value, expiresAtMs });
  }
}
