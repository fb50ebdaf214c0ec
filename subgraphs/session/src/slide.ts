import type { SessionRecord } from "./store/session-store";

/**
 * A resolve rewrites the session only when this long has passed since lastSeenAt: max(1 s, idle TTL / 10).
 * With the default 30 min idle TTL that is every 3 min, so a client polling once a second causes one write per
 * 180 resolves (about 0.56%), and every other resolve costs a single store read. The price is that the idle
 * deadline can run out up to a tenth of the idle TTL earlier than a write-on-every-request scheme would allow.
 */
export const slideAfterMs = (record: SessionRecord): number => Math.max(1000, record.idleTtlMs / 10);

/** Until when a gateway may reuse this resolve: the session's end, or the next slide, which must reach the store. */
export function reusableUntil(record: SessionRecord): number {
  return Math.min(record.idleExpiresAt, record.absoluteExpiresAt, record.lastSeenAt + slideAfterMs(record));
}
