import { randomUUID } from "node:crypto";
import { clientGroup } from "./client-group";
import { normaliseEmail } from "./email";
import {
  AccountError,
  EMAIL_TAKEN_MESSAGE,
  InvalidCredentials,
  PasswordWorkBusy,
  WRONG_CURRENT_PASSWORD_MESSAGE,
} from "./errors";
import type { LoginGuard } from "./login-guard";
import { SIGN_UP_PERMISSIONS } from "./permissions";
import { passwordProblem } from "./password-policy";
import type { Passwords } from "./passwords";
import type { SignUpGuard } from "./sign-up-guard";
import type { UserRecord, UserStore } from "./store/user-store";

export interface AccountsOptions {
  users: UserStore;
  passwords: Passwords;
  guard: LoginGuard;
  signUpGuard: SignUpGuard;
  clock: () => Date;
  /** The user's revocation epoch in the session service, read before a password is checked (see login). */
  revocationEpoch: (userId: string) => Promise<string>;
  /** Every permission there is, in the order they are stored and shown (see grantablePermissions). */
  grantablePermissions: readonly string[];
  newId?: () => string;
}

/** A proven login, and the revocation epoch read before the password hash it was checked against. */
export interface LoggedIn {
  user: UserRecord;
  revocationEpoch: string;
}

/** Looked up in place of an unknown email's account, so every login makes the same calls. */
const NO_SUCH_USER = "no-such-user";

export interface PermissionChange {
  user: UserRecord;
  previous: string[];
}

export interface Accounts {
  /**
   * Throws SignUpThrottled before anything else when `ip` is over its sign-up limit, then AccountError
   * "invalid-input" (bad email or password) or "email-taken".
   */
  signUp(email: string, password: string, ip: string | null): Promise<UserRecord>;
  /**
   * Throws LoginThrottled before any password work when the account or `ip` is over its limit, and InvalidCredentials
   * (one message) for an unknown email, a wrong password and a disabled account. Re-hashes when the cost rose.
   * Throws PasswordWorkPending at once when this account or client already has a password check queued or running,
   * and PasswordWorkBusy when the password could not be checked in time; both attempts stay counted.
   */
  login(email: string, password: string, ip: string | null): Promise<LoggedIn>;
  /** Throttled like a login; throws "wrong-current-password" or "invalid-input" (the policy), else stores the new hash. */
  changePassword(userId: string, currentPassword: string, newPassword: string, ip: string | null): Promise<UserRecord>;
  /** Throws "invalid-input" for an unknown user or permission; returns the user and the permissions it had. */
  setPermissions(userId: string, permissions: readonly string[]): Promise<PermissionChange>;
  /** Throws "invalid-input" for an unknown user or when `actorId` would disable themself. */
  setDisabled(actorId: string, userId: string, disabled: boolean): Promise<UserRecord>;
  /** The stored user as it is now, bypassing any per-request cache. */
  find(userId: string): Promise<UserRecord | null>;
  /** Creates the user, or resets an existing one's password and permissions; a disabled one stays disabled. */
  ensureUser(email: string, password: string, permissions: readonly string[]): Promise<UserRecord>;
  /** Like ensureUser, with every grantable permission. */
  ensureAdministrator(email: string, password: string): Promise<UserRecord>;
}

function assertPasswordAllowed(password: string, email: string): void {
  const problem = passwordProblem(password, email);
  if (problem !== null) throw new AccountError("invalid-input", problem);
}

function canonicalPermissions(permissions: readonly string[], grantable: readonly string[]): string[] {
  const unknown = permissions.filter((permission) => !grantable.includes(permission));
  if (unknown.length > 0) {
    throw new AccountError(
      "invalid-input",
      `Unknown permission ${unknown.map((permission) => `"${permission}"`).join(", ")}; use any of ${grantable.join(", ")}`,
    );
  }
  return grantable.filter((permission) => permissions.includes(permission));
}

/**
 * Who a bcrypt operation is for, so that one account or one client holds at most its share of the bcrypt queue
 * (see bcrypt-limiter.ts). The email counts whether or not an account has it, like the throttle.
 */
const bcryptHolders = (email: string, ip: string | null): string[] =>
  ip === null ? [`account:${email}`] : [`account:${email}`, `client:${clientGroup(ip)}`];

const unknownUser = (userId: string) => new AccountError("invalid-input", `No user has the id "${userId}"`);

export function createAccounts({
  users,
  passwords,
  guard,
  signUpGuard,
  clock,
  revocationEpoch,
  grantablePermissions,
  newId = randomUUID,
}: AccountsOptions): Accounts {
  const createUser = async (
    email: string,
    passwordHash: string,
    permissions: readonly string[],
  ): Promise<UserRecord | null> => {
    const user: UserRecord = {
      id: newId(),
      email,
      passwordHash,
      permissions: [...permissions],
      disabled: false,
      createdAt: clock().getTime(),
    };
    return (await users.create(user)) ? user : null;
  };

  const ensureUser = async (
    rawEmail: string,
    password: string,
    permissions: readonly string[],
  ): Promise<UserRecord> => {
    const email = normaliseEmail(rawEmail);
    assertPasswordAllowed(password, email);
    const passwordHash = await passwords.hash(password);
    const existing = await users.findByEmail(email);
    // A concurrent start-up may win the create between our lookup and our write; then update what it wrote.
    const created = existing === null ? await createUser(email, passwordHash, permissions) : null;
    if (created !== null) return created;
    const current = existing ?? (await users.findByEmail(email));
    if (current === null) throw new Error(`user ${email} vanished while being ensured`);
    // A disabled account stays disabled: start-up configuration must not undo an administrator's decision.
    const updated: UserRecord = { ...current, passwordHash, permissions: [...permissions] };
    await users.update(updated);
    return updated;
  };

  /**
   * Only a hash that is still the one we verified is replaced, so a concurrent password change wins. The login has
   * already succeeded, so a busy limiter only postpones the re-hash to a later login.
   */
  const rehashIfCostRose = async (user: UserRecord, password: string): Promise<UserRecord> => {
    if (!passwords.needsRehash(user.passwordHash)) return user;
    let passwordHash: string;
    try {
      passwordHash = await passwords.hash(password);
    } catch (error) {
      if (error instanceof PasswordWorkBusy) return user;
      throw error;
    }
    const stored = await users.modify(user.id, (current) =>
      current.passwordHash === user.passwordHash ? { ...current, passwordHash } : current,
    );
    return stored ?? user;
  };

  return {
    signUp: async (rawEmail, password, ip) => {
      await signUpGuard.admit(ip);
      const email = normaliseEmail(rawEmail);
      assertPasswordAllowed(password, email);
      const passwordHash = await passwords.hash(password, bcryptHolders(email, ip));
      const user = await createUser(email, passwordHash, SIGN_UP_PERMISSIONS);
      if (user === null) throw new AccountError("email-taken", EMAIL_TAKEN_MESSAGE);
      return user;
    },
    login: async (rawEmail, password, ip) => {
      const email = normaliseEmail(rawEmail);
      const admission = await guard.admit(email, ip);
      const found = await users.findByEmail(email);
      // The epoch is read before the hash that is checked: a password change or disable stores its change, then
      // revokes (moving the epoch on); so if the hash read below is the old one, the epoch read here is too, and the
      // session service refuses the create (docs/security.md, "Revocation invariant").
      const epoch = await revocationEpoch(found?.id ?? NO_SUCH_USER);
      const user = await users.findById(found?.id ?? NO_SUCH_USER);
      // The comparison runs for unknown and disabled accounts too, so all three failures take the same time.
      const matches = await passwords.verify(user?.passwordHash ?? null, password, bcryptHolders(email, ip));
      if (user === null) throw new InvalidCredentials("unknown_email", null);
      if (!matches) throw new InvalidCredentials("wrong_password", user.id);
      if (user.disabled) throw new InvalidCredentials("disabled", user.id);
      await admission.succeeded();
      return { user: await rehashIfCostRose(user, password), revocationEpoch: epoch };
    },
    changePassword: async (userId, currentPassword, newPassword, ip) => {
      const user = await users.findById(userId);
      const wrongPassword = () => new AccountError("wrong-current-password", WRONG_CURRENT_PASSWORD_MESSAGE);
      if (user === null) {
        await passwords.verify(null, currentPassword);
        throw wrongPassword();
      }
      // A stolen session must not become an unthrottled oracle for the password.
      const admission = await guard.admit(user.email, ip);
      const holders = bcryptHolders(user.email, ip);
      const matches = await passwords.verify(user.passwordHash, currentPassword, holders);
      if (!matches || user.disabled) throw wrongPassword();
      await admission.succeeded();
      assertPasswordAllowed(newPassword, user.email);
      const passwordHash = await passwords.hash(newPassword, holders);
      const stored = await users.modify(userId, (current) => ({ ...current, passwordHash }));
      if (stored === null) throw wrongPassword();
      return stored;
    },
    setPermissions: async (userId, requested) => {
      const permissions = canonicalPermissions(requested, grantablePermissions);
      let previous: string[] = [];
      const user = await users.modify(userId, (current) => {
        previous = current.permissions;
        return { ...current, permissions };
      });
      if (user === null) throw unknownUser(userId);
      return { user, previous };
    },
    setDisabled: async (actorId, userId, disabled) => {
      if (disabled && actorId === userId) {
        throw new AccountError("invalid-input", "You cannot disable your own account; ask another administrator");
      }
      const user = await users.modify(userId, (current) => ({ ...current, disabled }));
      if (user === null) throw unknownUser(userId);
      return user;
    },
    find: (userId) => users.findById(userId),
    ensureUser,
    ensureAdministrator: (email, password) => ensureUser(email, password, grantablePermissions),
  };
}
