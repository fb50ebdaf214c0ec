import { clientGroup } from "./client-group";
import { SignUpThrottled } from "./errors";
import { signUpThrottleKey, type LoginThrottle } from "./store/login-throttle";

export interface SignUpLimits {
  /** Sign-up attempts per client (IPv4 address or IPv6 /64) per window, successful or not (SIGNUP_MAX_PER_IP). */
  maxPerIp: number;
  windowSeconds: number;
}

export const DEFAULT_SIGN_UP_LIMITS: SignUpLimits = { maxPerIp: 20, windowSeconds: 60 * 60 };

export interface SignUpGuard {
  /**
   * Counts a sign-up attempt before any validation or hashing, since each one costs a bcrypt hash and tells whether
   * the email is taken (ASVS 6.3.8); throws SignUpThrottled over the limit. A null IP (no client address signed by
   * the gateway) is not throttled: there is nothing to tell clients apart by, and one shared "unknown" bucket would
   * let anyone shut sign-up off for everyone.
   */
  admit(ip: string | null): Promise<void>;
}

export function createSignUpGuard(throttle: LoginThrottle, limits: SignUpLimits): SignUpGuard {
  const windowMs = limits.windowSeconds * 1000;
  return {
    admit: async (ip) => {
      if (ip === null) return;
      const { attempts, resetInMs } = await throttle.hit(signUpThrottleKey(clientGroup(ip)), windowMs);
      if (attempts > limits.maxPerIp) throw new SignUpThrottled(Math.max(1, Math.ceil(resetInMs / 1000)));
    },
  };
}
