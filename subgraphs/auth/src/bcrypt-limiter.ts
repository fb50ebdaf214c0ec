import { PasswordWorkBusy } from "./errors";

export interface BcryptLimits {
  /** bcrypt operations (hash or compare) allowed to run at once in this process (BCRYPT_CONCURRENCY). */
  concurrency: number;
  /** Longest wait for a turn before the operation is refused with PasswordWorkBusy (BCRYPT_QUEUE_TIMEOUT_MS). */
  queueTimeoutMs: number;
}

export const DEFAULT_BCRYPT_LIMITS: BcryptLimits = { concurrency: 1, queueTimeoutMs: 10_000 };

export interface BcryptLimiter {
  /** Runs `task` once fewer than `concurrency` tasks are running, in arrival order; rejects with PasswordWorkBusy when its turn takes too long. */
  run<T>(task: () => Promise<T>): Promise<T>;
}

interface Waiter {
  start(): void;
}

/**
 * A FIFO semaphore for bcrypt. The async bcrypt API keeps the event loop free, but every running hash holds a CPU
 * core in libuv's thread pool; during a login storm they would take every core from the gateway and the other
 * services sharing the machine. Extra logins wait here instead, and a wait past the timeout fails fast rather than
 * piling up requests that the client has long given up on.
 */
export function createBcryptLimiter({ concurrency, queueTimeoutMs }: BcryptLimits): BcryptLimiter {
  let running = 0;
  const waiting: Waiter[] = [];

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
    run: async (task) => {
      await acquire();
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
