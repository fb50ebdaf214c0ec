import { randomUUID } from "node:crypto";
import { normaliseEmail } from "./email";
import { AccountError, EMAIL_TAKEN_MESSAGE, INVALID_CREDENTIALS_MESSAGE } from "./errors";
import type { Passwords } from "./passwords";
import type { UserRecord, UserStore } from "./store/user-store";

export const SIGN_UP_PERMISSIONS: readonly string[] = ["documents:read", "documents:write"];
export const ADMINISTRATOR_PERMISSIONS: readonly string[] = [
  "documents:read",
  "documents:write",
  "sessions:admin",
  "users:admin",
];

export interface AccountsOptions {
  users: UserStore;
  passwords: Passwords;
  clock: () => Date;
  newId?: () => string;
}

export interface Accounts {
  /** Throws AccountError "invalid-input" (bad email or password) or "email-taken". */
  signUp(email: string, password: string): Promise<UserRecord>;
  /** Throws AccountError "invalid-credentials" alike for an unknown email, a wrong password and a disabled account. */
  login(email: string, password: string): Promise<UserRecord>;
  /** Creates the user, or resets an existing one's password and permissions and re-enables it. */
  ensureUser(email: string, password: string, permissions: readonly string[]): Promise<UserRecord>;
  ensureAdministrator(email: string, password: string): Promise<UserRecord>;
}

export function createAccounts({ users, passwords, clock, newId = randomUUID }: AccountsOptions): Accounts {
  const invalidCredentials = () => new AccountError("invalid-credentials", INVALID_CREDENTIALS_MESSAGE);

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
    const passwordHash = await passwords.hash(password);
    const existing = await users.findByEmail(email);
    // A concurrent start-up may win the create between our lookup and our write; then update what it wrote.
    const created = existing === null ? await createUser(email, passwordHash, permissions) : null;
    if (created !== null) return created;
    const current = existing ?? (await users.findByEmail(email));
    if (current === null) throw new Error(`user ${email} vanished while being ensured`);
    const updated: UserRecord = { ...current, passwordHash, permissions: [...permissions], disabled: false };
    await users.update(updated);
    return updated;
  };

  return {
    signUp: async (rawEmail, password) => {
      const email = normaliseEmail(rawEmail);
      const passwordHash = await passwords.hash(password);
      const user = await createUser(email, passwordHash, SIGN_UP_PERMISSIONS);
      if (user === null) throw new AccountError("email-taken", EMAIL_TAKEN_MESSAGE);
      return user;
    },
    login: async (rawEmail, password) => {
      const email = normaliseEmail(rawEmail);
      const user = await users.findByEmail(email);
      const matches = await passwords.verify(user?.passwordHash ?? null, password);
      if (user === null || !matches || user.disabled) throw invalidCredentials();
      return user;
    },
    ensureUser,
    ensureAdministrator: (email, password) => ensureUser(email, password, ADMINISTRATOR_PERMISSIONS),
  };
}
