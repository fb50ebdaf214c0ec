import type { RedisClient } from "@fedsession/runtime";
import { checkUpdate, UserStoreError, type UserRecord, type UserStore } from "./user-store";

/** Hash tags keep each key in one slot; no command here spans two keys, so Redis Cluster needs nothing more. */
export const userKey = (id: string) => `user:{${id}}`;
export const emailKey = (email: string) => `user-email:{${email}}`;

function parseUser(json: string | null): UserRecord | null {
  return json === null ? null : (JSON.parse(json) as UserRecord);
}

/** Users in Redis with no TTL (accounts persist); the client's keyPrefix namespaces every key. */
export function createRedisUserStore(redis: RedisClient): UserStore {
  const findById = async (id: string) => parseUser(await redis.get(userKey(id)));

  return {
    create: async (user) => {
      // The email key is the uniqueness lock: whoever sets it first owns the address.
      if ((await redis.set(emailKey(user.email), user.id, "NX")) === null) return false;
      let written: "OK" | null;
      try {
        written = await redis.set(userKey(user.id), JSON.stringify(user), "NX");
      } catch (error) {
        await redis.del(emailKey(user.email));
        throw error;
      }
      if (written === null) {
        await redis.del(emailKey(user.email));
        throw new UserStoreError("id-taken", `user ${user.id} already exists`);
      }
      return true;
    },
    findById,
    findByIds: (ids) => Promise.all(ids.map(findById)),
    findByEmail: async (email) => {
      const id = await redis.get(emailKey(email));
      return id === null ? null : findById(id);
    },
    update: async (user) => {
      checkUpdate(await findById(user.id), user);
      // XX: a user deleted meanwhile is not resurrected without its email index.
      if ((await redis.set(userKey(user.id), JSON.stringify(user), "XX")) === null) {
        throw new UserStoreError("not-found", `user ${user.id} does not exist`);
      }
    },
  };
}
