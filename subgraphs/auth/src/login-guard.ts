import { LoginThrottled, type ThrottleScope } from "./errors";
import { accountThrottleKey, ipThrottleKey, type LoginThrottle } from "./store/login-throttle";

export interface LoginLimits {
  /** Failed attempts per normalised email per window before RATE_LIMITED. */
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

export interface LoginGuard {
  /**
   * Counts the attempt before any password work (so parallel or aliased attempts cannot slip past the limit) and
   * throws LoginThrottled when the account or the IP is over its limit. A null IP (no client address signed by the
   * gateway) is counted per account only, since one shared "unknown" bucket would lock everyone out at once.
   */
  admit(email: string, ip: string | null): Promise<void>;
  /** The password was right: clears the account's failures and takes this attempt back from the IP's count. */
  succeeded(email: string, ip: string | null): Promise<void>;
}

export function createLoginGuard(throttle: LoginThrottle, limits: LoginLimits): LoginGuard {
  const windowMs = limits.windowSeconds * 1000;
  const check = async (scope: ThrottleScope, key: string, max: number) => {
    const { attempts, resetInMs } = await throttle.hit(key, windowMs);
    return attempts > max ? new LoginThrottled(scope, Math.max(1, Math.ceil(resetInMs / 1000))) : null;
  };

  return {
    admit: async (email, ip) => {
      // Two keys in two slots: separate commands, run concurrently.
      const refusals = await Promise.all([
        check("account", accountThrottleKey(email), limits.maxFailuresPerAccount),
        ip === null ? null : check("ip", ipThrottleKey(ip), limits.maxFailuresPerIp),
      ]);
      const refused = refusals.filter((refusal) => refusal !== null);
      if (refused.length === 0) return;
      // When both are over, the caller must wait for the later of the two windows.
      throw refused.reduce((later, refusal) => (refusal.retryAfterSeconds > later.retryAfterSeconds ? refusal : later));
    },
    succeeded: async (email, ip) => {
      await Promise.all([
        throttle.reset(accountThrottleKey(email)),
        ip === null ? null : throttle.forgive(ipThrottleKey(ip)),
      ]);
    },
  };
}
