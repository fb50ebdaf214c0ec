import { bcryptQueueWait } from "@fedsession/runtime";
import { PasswordWorkBusy, PasswordWorkPending } from "./errors";

export interface BcryptLimits {
  /** bcrypt operations (hash or compare) allowed to run at once in this process (BCRYPT_CONCURRENCY). */
  concurrency: number;
  /** Longest wait for a turn before the operation is refused with PasswordWorkBusy (BCRYPT_QUEUE_TIMEOUT_MS). */
  queueTimeoutMs: number;
  /** Operations one holder (an account, a client) may have queued or running at once; more are refused at once (1). */
  perHolder?: number;
}

export const DEFAULT_BCRYPT_LIMITS: BcryptLimits = { concurrency: 1, queueTimeoutMs: 10_000 };

export interface BcryptLimiter {
  /**
   * Runs `task` once fewer than `concurrency` tasks are running, in arrival order; rejects with PasswordWorkBusy when
   * its turn takes too long. `holders` name who the work is for (say `account:<email>` and `client:<ip>`): when any of
   * them already has `perHolder` operations queued or running, rejects at once with PasswordWorkPending.
   */
  run<T>(task: () => Promise<T>, holders?: readonly string[]): Promise<T>;
}

interface Waiter {
  start(): void;
}

/**
 * A FIFO semaphore for bcrypt. The async bcrypt API keeps the event loop free, but every running hash holds a CPU
 * core in libuv's thread pool; during a login storm they would take every core from the gateway and the other
 * services sharing the machine. Extra logins wait here instead, and a wait past the timeout fails fast rather than
 * piling up requests that the client has long given up on.
 *
 * A FIFO alone is unfair: one client sending logins faster than bcrypt runs fills the queue, and everyone else waits
 * behind it until their wait times out. So each holder may have only `perHolder` operations in the queue or running;
 * a flood from one client or against one account then costs everyone else at most that many operations of waiting.
 */
export function createBcryptLimiter({ concurrency, queueTimeoutMs, perHolder = 1 }: BcryptLimits): BcryptLimiter {
  let running = 0;
  const waiting: Waiter[] = [];
  /** Queued and running operations per holder; a holder with none has no entry, so the map stays small. */
  const held = new Map<string, number>();

  const hold = (holders: readonly string[]) => {
    if (holders.some((holder) => (held.get(holder) ?? 0) >= perHolder)) throw new PasswordWorkPending();
    for (const holder of holders) held.set(holder, (held.get(holder) ?? 0) + 1);
  };
  const letGo = (holders: readonly string[]) => {
    for (const holder of holders) {
      const count = (held.get(holder) ?? 1) - 1;
      if (count > 0) held.set(holder, count);
      else held.delete(holder);
    }
  };

  const acquire = (): Promise<void> => {
    if (running < concurrency) {
      running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(waiter), 1);
        reject(new PasswordWorkBusy(queueTimeoutMs));
      }, queueTimeoutMs);
      waiting.push(waiter);
    });
  };

  // The slot passes straight to the next waiter, so a newcomer can never overtake the queue.
  const release = () => {
    const next = waiting.shift();
    if (next === undefined) running -= 1;
    else next.start();
  };

  return {
    run: async (task, holders = []) => {
      const distinct = [...new Set(holders)];
      hold(distinct);
      try {
        const queued = performance.now();
        await acquire();
        bcryptQueueWait.observe((performance.now() - queued) / 1000);
        try {
          return await task();
        } finally {
          release();
        }
      } finally {
        letGo(distinct);
      }
    },
  };
}
