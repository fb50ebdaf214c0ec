export {
  createAccounts,
  ADMINISTRATOR_PERMISSIONS,
  SIGN_UP_PERMISSIONS,
  type Accounts,
  type AccountsOptions,
} from "./accounts";
export { readConfig, type AuthConfig, type AdministratorConfig } from "./config";
export { start, type StartedService } from "./main";
export { createAuthServer, SUBGRAPH_NAME, typeDefs, type AuthServer, type AuthServerDependencies } from "./server";
export type { SessionCreator } from "./sessions";
export { createMemoryUserStore } from "./store/memory";
export { createRedisUserStore } from "./store/redis";
export { UserStoreError, type UserRecord, type UserStore, type UserStoreFailure } from "./store/user-store";
