/**
 * Remembers what a signature check concluded about an exact token string until the token's own expiry, so a
 * token presented many times (a service token reused for seconds, one context per request and subgraph) costs
 * one Ed25519 verification. Only successes are kept; bounded by clearing when full.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, { value: T; expiresAtMs: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string, nowMs: number): T | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.expiresAtMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  set(token: string, value: T, expiresAtMs: number): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(token, { value, expiresAtMs });
  }
}
