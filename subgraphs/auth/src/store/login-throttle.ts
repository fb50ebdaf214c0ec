/** Where a counting window stands after an attempt was offered. */
export interface ThrottleWindow {
  /** Attempts counted in the current window, this one included unless it had to wait. */
  attempts: number;
  /** Milliseconds until the window ends and the count starts again from zero. */
  resetInMs: number;
  /**
   * 0 when the attempt was counted. Otherwise it came too soon after the previous one (see Backoff): it was not
   * counted, and may be made again after this many milliseconds (never more than resetInMs).
   */
  waitMs: number;
}

/**
 * Progressive back-off: once `afterAttempts` attempts are counted in a window, the next one is counted only
 * `min(baseMs · 2^(attempts − afterAttempts), maxMs)` after the previous counted one (1 s, 2 s, 4 s … for a base of a
 * second, never more than `maxMs`).
 */
export interface Backoff {
  afterAttempts: number;
  baseMs: number;
  maxMs: number;
}

/**
 * Fixed-window attempt counters shared by every replica; every adapter passes test/login-throttle.contract.test.ts.
 * A window opens with the first attempt and is never extended by later ones, so a locked-out owner gets back in
 * when it ends however hard an attacker keeps trying. Each key is one record (count and time of the last counted
 * attempt), so one atomic step decides and counts.
 */
export interface LoginThrottle {
  /**
   * Counts one attempt atomically, opening a window of `windowMs` when none is open; with a back-off, an attempt
   * that comes too soon is not counted and gets a `waitMs` instead.
   */
  hit(key: string, windowMs: number, backoff?: Backoff): Promise<ThrottleWindow>;
  /** Takes back one counted attempt (a success that must not count as a failure); never opens a window. */
  forgive(key: string): Promise<void>;
  /** Ends the key's window. */
  reset(key: string): Promise<void>;
  /** The attempts counted in the key's open window (0 when none is open); counts nothing. */
  peek(key: string): Promise<number>;
}

/**
 * Hash tags keep each counter in one cluster slot. `client` is a client group (see client-group.ts): an IPv4 address
 * or an IPv6 /64.
 */
export const accountThrottleKey = (email: string) => `throttle:{account:${email}}`;
/** Failures of one account from one client that has signed in to it before (see login-guard.ts). */
export const accountClientThrottleKey = (email: string, client: string) => `throttle:{account:${email}}:from:${client}`;
/** Present while `client` is one the account's owner signed in from (see login-guard.ts). */
export const knownClientKey = (email: string, client: string) => `throttle:{account:${email}}:known:${client}`;
/** Every attempt for one account from one client, successful or not. */
export const accountClientAttemptsKey = (email: string, client: string) =>
  `throttle:{account:${email}}:attempts:${client}`;
export const ipThrottleKey = (client: string) => `throttle:{ip:${client}}`;
/** Every attempt from one client, successful or not. */
export const ipAttemptsKey = (client: string) => `throttle:{ip:${client}}:attempts`;
export const signUpThrottleKey = (client: string) => `throttle:{signup:${client}}`;

/** How long an attempt after `attempts` counted ones must wait since `lastAt`, capped by the window's end. */
export function backoffWaitMs(
  backoff: Backoff | undefined,
  attempts: number,
  lastAt: number,
  now: number,
  resetInMs: number,
): number {
  if (backoff === undefined || attempts === 0 || attempts < backoff.afterAttempts) return 0;
  const delay = Math.min(backoff.baseMs * 2 ** (attempts - backoff.afterAttempts), backoff.maxMs);
  const wait = lastAt + delay - now;
  return wait > 0 ? Math.min(Math.ceil(wait), resetInMs) : 0;
}
