/** Where a counting window stands after an attempt was counted. */
export interface ThrottleWindow {
  /** Attempts counted in the current window, this one included. */
  attempts: number;
  /** Milliseconds until the window ends and the count starts again from zero. */
  resetInMs: number;
}

/**
 * Fixed-window attempt counters shared by every replica; every adapter passes test/login-throttle.contract.test.ts.
 * A window opens with the first attempt and is never extended by later ones, so a locked-out owner gets back in
 * when it ends however hard an attacker keeps trying.
 */
export interface LoginThrottle {
  /** Counts one attempt atomically, opening a window of `windowMs` when none is open. */
  hit(key: string, windowMs: number): Promise<ThrottleWindow>;
  /** Takes back one counted attempt (a success that must not count as a failure); never opens a window. */
  forgive(key: string): Promise<void>;
  /** Ends the key's window. */
  reset(key: string): Promise<void>;
}

/** Hash tags keep each counter in one cluster slot. */
export const accountThrottleKey = (email: string) => `throttle:{account:${email}}`;
export const ipThrottleKey = (ip: string) => `throttle:{ip:${ip}}`;
