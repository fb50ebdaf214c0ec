import { clientGroup } from "./client-group";
import { LoginThrottled, type ThrottleScope } from "./errors";
import {
  accountClientAttemptsKey,
  accountClientThrottleKey,
  accountThrottleKey,
  ipAttemptsKey,
  ipThrottleKey,
  knownClientKey,
  type Backoff,
  type LoginThrottle,
} from "./store/login-throttle";

export interface LoginLimits {
  /** Failures per account in a window before each further attempt has to wait (LOGIN_BACKOFF_AFTER). */
  backoffAfterFailures: number;
  /** The longest wait the per-account back-off asks for, however many failures (LOGIN_MAX_BACKOFF). */
  maxBackoffSeconds: number;
  /** Failed attempts per client per window; high, so people behind one NAT do not lock each other out. */
  maxFailuresPerIp: number;
  /** Every attempt per client per window, successful or not (LOGIN_MAX_ATTEMPTS_PER_IP). */
  maxAttemptsPerIp: number;
  /** Every attempt for one account from one client per window, successful or not (LOGIN_MAX_ATTEMPTS_PER_ACCOUNT). */
  maxAttemptsPerAccount: number;
  windowSeconds: number;
}

/**
 * With these, an account takes at most 5 failures at once, then 1 s, 2 s … 32 s, then one a minute: about 24 per
 * 15-minute window and 96 an hour, under ASVS's ceiling of 100. A person retyping a password, or signing in again and
 * again from one device, never comes near the attempt limits.
 */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  backoffAfterFailures: 5,
  maxBackoffSeconds: 60,
  maxFailuresPerIp: 100,
  maxAttemptsPerIp: 300,
  maxAttemptsPerAccount: 30,
  windowSeconds: 15 * 60,
};

/** How long a client the owner signed in from counts as theirs, from their latest sign-in from it. */
export const KNOWN_CLIENT_DAYS = 30;
const KNOWN_CLIENT_MS = KNOWN_CLIENT_DAYS * 24 * 60 * 60 * 1000;
const BACKOFF_BASE_MS = 1000;

/** An attempt let through to the password check. */
export interface Admission {
  /** The password was right: clears the failures that delayed it, and remembers the client as the owner's. */
  succeeded(): Promise<void>;
}

export interface LoginGuard {
  /**
   * Counts the attempt before any password work (so parallel or aliased attempts cannot slip past a limit), and
   * throws LoginThrottled when the client is over one of its limits or the account is backing off. Every attempt
   * counts, successful or not, and whether or not its password was ever checked (a bcrypt queue time-out included):
   * only a success clears the failures. A null IP (no client address signed by the gateway) is counted per account
   * only, since one shared "unknown" bucket would lock everyone out at once.
   */
  admit(email: string, ip: string | null): Promise<Admission>;
}

const wholeSeconds = (milliseconds: number) => Math.max(1, Math.ceil(milliseconds / 1000));

/**
 * Per-account failures back off exponentially, capped at `maxBackoffSeconds`; there is no hard lock. A client can be
 * refused outright, but only for its own excess, so an attacker's limits fall on the attacker.
 *
 * Whose failures delay whom: a client the account's owner signed in from within the last KNOWN_CLIENT_DAYS keeps a
 * back-off of its own for that account; every other client shares the account's. So however many failures an
 * attacker piles onto the admin's account, from however many addresses, the admin from their own client waits only
 * for their own failures; from a new client, at most `maxBackoffSeconds` after the last counted failure. A client over
 * one of its own limits is refused before it touches the account's back-off, so it cannot keep renewing that wait.
 */
export function createLoginGuard(throttle: LoginThrottle, limits: LoginLimits): LoginGuard {
  const windowMs = limits.windowSeconds * 1000;
  const backoff: Backoff = {
    afterAttempts: limits.backoffAfterFailures,
    baseMs: BACKOFF_BASE_MS,
    maxMs: limits.maxBackoffSeconds * 1000,
  };
  const capped = async (scope: ThrottleScope, key: string, max: number) => {
    const { attempts, resetInMs } = await throttle.hit(key, windowMs);
    return attempts > max ? new LoginThrottled(scope, wholeSeconds(resetInMs)) : null;
  };
  const rememberClient = async (key: string) => {
    // Reset, then hit: the mark lasts KNOWN_CLIENT_DAYS from the latest sign-in, not the first.
    await throttle.reset(key);
    await throttle.hit(key, KNOWN_CLIENT_MS);
  };

  return {
    admit: async (email, ip) => {
      const client = ip === null ? null : clientGroup(ip);
      // Single-key commands on different slots: run together.
      const [known, ...refusals] = await Promise.all([
        client === null ? false : throttle.peek(knownClientKey(email, client)).then((count) => count > 0),
        client === null ? null : capped("ip", ipAttemptsKey(client), limits.maxAttemptsPerIp),
        client === null ? null : capped("ip", ipThrottleKey(client), limits.maxFailuresPerIp),
        client === null
          ? null
          : capped("account-client", accountClientAttemptsKey(email, client), limits.maxAttemptsPerAccount),
      ]);
      const refused = refusals.filter((refusal) => refusal !== null);
      // When several refuse, the caller must wait for the latest of them.
      if (refused.length > 0) {
        throw refused.reduce((later, refusal) =>
          refusal.retryAfterSeconds > later.retryAfterSeconds ? refusal : later,
        );
      }
      const failuresKey =
        known && client !== null ? accountClientThrottleKey(email, client) : accountThrottleKey(email);
      const { waitMs } = await throttle.hit(failuresKey, windowMs, backoff);
      if (waitMs > 0) throw new LoginThrottled("account", wholeSeconds(waitMs));
      return {
        succeeded: async () => {
          await Promise.all([
            throttle.reset(failuresKey),
            client === null ? null : throttle.forgive(ipThrottleKey(client)),
            client === null ? null : rememberClient(knownClientKey(email, client)),
          ]);
        },
      };
    },
  };
}
