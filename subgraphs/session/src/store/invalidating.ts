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
    async rotateRefresh(id, presentedHash, nextHash, now) {
      const outcome = await store.rotateRefresh(id, presentedHash, nextHash, now);
      if (outcome.outcome === "reused") await publish({ session: id });
      return outcome;
    },
  };
}
