/** A stored identity. The password is only ever held as a bcrypt hash of its peppered HMAC. */
export interface UserRecord {
  id: string;
  /** Normalised (trimmed, lower-case); unique across users. */
  email: string;
  passwordHash: string;
  permissions: string[];
  disabled: boolean;
  /** Epoch milliseconds. */
  createdAt: number;
}

/** The user store port; every adapter passes test/user-store.contract.test.ts. */
export interface UserStore {
  /** False when the email is already taken; then nothing is written. */
  create(user: UserRecord): Promise<boolean>;
  findById(id: string): Promise<UserRecord | null>;
  /** One entry per id, in the same order, null where no user exists. */
  findByIds(ids: readonly string[]): Promise<(UserRecord | null)[]>;
  findByEmail(email: string): Promise<UserRecord | null>;
  /** Replaces an existing user; the email cannot change here, since it is the key of the email index. */
  update(user: UserRecord): Promise<void>;
  /**
   * Applies `change` to the stored user atomically (it may run more than once when another writer got in between,
   * so it must be pure) and returns the stored result; null when no such user exists. Read-modify-write callers
   * use this, so a login's re-hash cannot undo an administrator's concurrent change.
   */
  modify(id: string, change: (user: UserRecord) => UserRecord): Promise<UserRecord | null>;
}

export type UserStoreFailure = "id-taken" | "not-found" | "email-changed";

/** A caller broke the store's rules (as opposed to the store being unreachable). */
export class UserStoreError extends Error {
  constructor(
    readonly reason: UserStoreFailure,
    message: string,
  ) {
    super(message);
    this.name = "UserStoreError";
  }
}

export const isUserStoreError = (error: unknown): error is UserStoreError => error instanceof UserStoreError;

/** Shared by both adapters so they refuse the same updates with the same errors. */
export function checkUpdate(existing: UserRecord | null, user: UserRecord): void {
  if (existing === null) throw new UserStoreError("not-found", `user ${user.id} does not exist`);
  if (existing.email !== user.email)
    throw new UserStoreError("email-changed", `user ${user.id}: the email cannot be changed by update`);
}
