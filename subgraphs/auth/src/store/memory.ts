import { checkUpdate, UserStoreError, type UserRecord, type UserStore } from "./user-store";

/** In-process users for development and tests; copies on the way in and out so callers cannot alias stored state. */
export function createMemoryUserStore(): UserStore {
  const usersById = new Map<string, UserRecord>();
  const idsByEmail = new Map<string, string>();
  const copy = (user: UserRecord | undefined): UserRecord | null => (user === undefined ? null : structuredClone(user));

  return {
    create: async (user) => {
      if (idsByEmail.has(user.email)) return false;
      if (usersById.has(user.id)) throw new UserStoreError("id-taken", `user ${user.id} already exists`);
      idsByEmail.set(user.email, user.id);
      usersById.set(user.id, structuredClone(user));
      return true;
    },
    findById: async (id) => copy(usersById.get(id)),
    findByIds: async (ids) => ids.map((id) => copy(usersById.get(id))),
    findByEmail: async (email) => {
      const id = idsByEmail.get(email);
      return id === undefined ? null : copy(usersById.get(id));
    },
    update: async (user) => {
      checkUpdate(copy(usersById.get(user.id)), user);
      usersById.set(user.id, structuredClone(user));
    },
  };
}
