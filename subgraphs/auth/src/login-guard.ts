import { LoginThrottled, type ThrottleScope } from "./errors";
import { accountThrottleKey, ipThrottleKey, type Backoff, type LoginThrottle } from "./store/login-throttle";

export interface LoginLimits {
  /** Failed attempts per normalised email per window before RATE_LIMITED: the hard cap. */
  maxFailuresPerAccount: number;
  /** Failed attempts per client IP per window; high, so people behind one NAT do not lock each other out. */
  maxFailuresPerIp: number;
  windowSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  maxFailuresPerAccount: 10,
  maxFailuresPerIp: 100,
  windowSeconds: 15 * 60,
};

/**
 * Per-account back-off below the hard cap (ASVS 6.1.1): after the 5th failure in a window, each further attempt for
 * the account must come 2^(failures − 5) seconds after the previous failure (1 s, 2 s, 4 s, 8 s, 16 s …); a sooner
 * one is RATE_LIMITED with the wait, is not checked and is not counted. Guessing slows down long before the cap, and
 * an attacker has to pace requests over about a minute instead of firing 11 at once to reach the cap. Not applied per
 * IP, where many users may share an address.
 */
export const ACCOUNT_BACKOFF: Backoff = { afterAttempts: 5, baseMs: 1000 };

export interface LoginGuard {
  /**
   * Counts the attempt before any password work (so parallel or aliased attempts cannot slip past the limit) and
   * throws LoginThrottled when the account is backing off or the account or the IP is over its limit. A null IP (no
   * client address signed by the gateway) is counted per account only, since one shared "unknown" bucket would lock
   * everyone out at once.
   */
  admit(email: string, ip: string | null): Promise<void>;
  /** The password was right: clears the account's failures and takes this attempt back from the IP's count. */
  succeeded(email: string, ip: string | null): Promise<void>;
  /** The password was never checked (bcrypt was too busy): takes this attempt back from both counts. */
  unchecked(email: string, ip: string | null): Promise<void>;
}

const wholeSeconds = (milliseconds: number) => Math.max(1, Math.ceil(milliseconds / 1000));

export function createLoginGuard(throttle: LoginThrottle, limits: LoginLimits): LoginGuard {
  const windowMs = limits.windowSeconds * 1000;
  const check = async (scope: ThrottleScope, key: string, max: number, backoff?: Backoff) => {
    const { attempts, resetInMs, waitMs } = await throttle.hit(key, windowMs, backoff);
    // A wait when the next counted attempt would be over the cap anyway would only promise a retry that fails.
    if (waitMs > 0) return new LoginThrottled(scope, wholeSeconds(attempts >= max ? resetInMs : waitMs));
    return attempts > max ? new LoginThrottled(scope, wholeSeconds(resetInMs)) : null;
  };

  return {
    admit: async (email, ip) => {
      // Two keys in two slots: separate commands, run concurrently.
      const refusals = await Promise.all([
        check("account", accountThrottleKey(email), limits.maxFailuresPerAccount, ACCOUNT_BACKOFF),
        ip === null ? null : check("ip", ipThrottleKey(ip), limits.maxFailuresPerIp),
      ]);
      const refused = refusals.filter((refusal) => refusal !== null);
      if (refused.length === 0) return;
      // When both refuse, the caller must wait for the later of the two.
      throw refused.reduce((later, refusal) => (refusal.retryAfterSeconds > later.retryAfterSeconds ? refusal : later));
    },
    succeeded: async (email, ip) => {
      await Promise.all([
        throttle.reset(accountThrottleKey(email)),
        ip === null ? null : throttle.forgive(ipThrottleKey(ip)),
      ]);
    },
    unchecked: async (email, ip) => {
      await Promise.all([
        throttle.forgive(accountThrottleKey(email)),
        ip === null ? null : throttle.forgive(ipThrottleKey(ip)),
      ]);
    },
  };
}
