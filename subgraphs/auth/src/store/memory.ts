import { backoffWaitMs, type LoginThrottle } from "./login-throttle";
import { checkUpdate, UserStoreError, type UserRecord, type UserStore } from "./user-store";

/** In-process users for development and tests; copies on the way in and out so callers cannot alias stored state. */
export function createMemoryUserStore(): UserStore {
  const usersById = new Map<string, UserRecord>();
  const idsByEmail = new Map<string, string>();
  const copy = (user: UserRecord | undefined): UserRecord | null => (user === undefined ? null : structuredClone(user));

  return {
    create: async (user) => {
      if (idsByEmail.has(user.email)) return false;
      if (usersById.has(user.id)) throw new UserStoreError("id-taken", `user ${user.id} already exists`);
      idsByEmail.set(user.email, user.id);
      usersById.set(user.id, structuredClone(user));
      return true;
    },
    findById: async (id) => copy(usersById.get(id)),
    findByIds: async (ids) => ids.map((id) => copy(usersById.get(id))),
    findByEmail: async (email) => {
      const id = idsByEmail.get(email);
      return id === undefined ? null : copy(usersById.get(id));
    },
    update: async (user) => {
      checkUpdate(copy(usersById.get(user.id)), user);
      usersById.set(user.id, structuredClone(user));
    },
    modify: async (id, change) => {
      const current = copy(usersById.get(id));
      if (current === null) return null;
      const next = change(current);
      checkUpdate(current, next);
      usersById.set(id, structuredClone(next));
      return copy(next);
    },
  };
}

/** Above this many counters, expired ones are swept on the next hit, so many one-off keys cannot grow the map forever. */
const SWEEP_THRESHOLD = 10_000;

/** In-process counters on an injected clock, so tests move time instead of sleeping. */
export function createMemoryLoginThrottle(clock: () => Date): LoginThrottle {
  const windows = new Map<string, { attempts: number; endsAt: number; lastAt: number }>();
  const live = (key: string, now: number) => {
    const window = windows.get(key);
    return window !== undefined && window.endsAt > now ? window : undefined;
  };
  const sweep = (now: number) => {
    for (const [key, window] of windows) if (window.endsAt <= now) windows.delete(key);
  };

  return {
    hit: async (key, windowMs, backoff) => {
      const now = clock().getTime();
      if (windows.size > SWEEP_THRESHOLD) sweep(now);
      const window = live(key, now) ?? { attempts: 0, endsAt: now + windowMs, lastAt: now };
      const resetInMs = window.endsAt - now;
      const waitMs = backoffWaitMs(backoff, window.attempts, window.lastAt, now, resetInMs);
      if (waitMs > 0) return { attempts: window.attempts, resetInMs, waitMs };
      window.attempts += 1;
      window.lastAt = now;
      windows.set(key, window);
      return { attempts: window.attempts, resetInMs, waitMs: 0 };
    },
    forgive: async (key) => {
      const window = live(key, clock().getTime());
      if (window === undefined) return;
      window.attempts -= 1;
      if (window.attempts <= 0) windows.delete(key);
    },
    reset: async (key) => {
      windows.delete(key);
    },
    peek: async (key) => live(key, clock().getTime())?.attempts ?? 0,
  };
}
