import type { SessionEvent } from "@fedsession/session-client";
import type { SessionStore } from "./session-store";

/**
 * Wraps a store so every write that ends a session or changes what a gateway caches (user, permissions) is
 * announced after it succeeded. Gateways that cache resolves evict on these events; a gateway that misses them
 * (its subscription dropped) stops caching until it has resubscribed, so nothing waits for a TTL.
 */
export function withSessionEvents(store: SessionStore, publish: (event: SessionEvent) => Promise<void>): SessionStore {
  return {
    ...store,
    async create(record, expectedEpoch) {
      const outcome = await store.create(record, expectedEpoch);
      if (outcome.created) for (const id of outcome.evicted) await publish({ session: id });
      return outcome;
    },
    async delete(id) {
      const deleted = await store.delete(id);
      if (deleted !== null) await publish({ session: id });
      return deleted;
    },
    async deleteByUser(userId, exceptId) {
      const count = await store.deleteByUser(userId, exceptId);
      if (count > 0) await publish({ user: userId });
      return count;
    },
    async updatePermissionsByUser(userId, permissions) {
      const count = await store.updatePermissionsByUser(userId, permissions);
      if (count > 0) await publish({ user: userId });
      return count;
    },
    async rotateRefresh(id, presentedHash, nextHash, now, limits) {
      const outcome = await store.rotateRefresh(id, presentedHash, nextHash, now, limits);
      if (outcome.outcome === "reused" || outcome.outcome === "exhausted") await publish({ session: id });
      return outcome;
    },
  };
}
