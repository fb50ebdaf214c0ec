export { createAccounts, type Accounts, type AccountsOptions, type PermissionChange } from "./accounts";
export {
  grantablePermissions,
  PLATFORM_ADMIN_PERMISSIONS,
  readGrantablePermissions,
  SIGN_UP_PERMISSIONS,
} from "./permissions";
export { createAudit, type Audit } from "./audit";
export { createBcryptLimiter, DEFAULT_BCRYPT_LIMITS, type BcryptLimiter, type BcryptLimits } from "./bcrypt-limiter";
export { readConfig, type AuthConfig, type AdministratorConfig } from "./config";
export { clientGroup } from "./client-group";
export {
  createLoginGuard,
  DEFAULT_LOGIN_LIMITS,
  KNOWN_CLIENT_DAYS,
  type Admission,
  type LoginGuard,
  type LoginLimits,
} from "./login-guard";
export { start } from "./main";
export { passwordProblem, PASSWORD_MAX_CHARACTERS, PASSWORD_MIN_CHARACTERS } from "./password-policy";
export { createPasswords, type Passwords, type PasswordOptions } from "./passwords";
export { createSignUpGuard, DEFAULT_SIGN_UP_LIMITS, type SignUpGuard, type SignUpLimits } from "./sign-up-guard";
export { createAuthServer, SUBGRAPH_NAME, typeDefs, type AuthServer, type AuthServerDependencies } from "./server";
export type { OpenedSession, SessionService } from "./sessions";
export {
  accountClientAttemptsKey,
  accountClientThrottleKey,
  accountThrottleKey,
  ipAttemptsKey,
  ipThrottleKey,
  knownClientKey,
  signUpThrottleKey,
  type Backoff,
  type LoginThrottle,
  type ThrottleWindow,
} from "./store/login-throttle";
export { createMemoryLoginThrottle, createMemoryUserStore } from "./store/memory";
export { createRedisLoginThrottle, createRedisUserStore } from "./store/redis";
export { UserStoreError, type UserRecord, type UserStore, type UserStoreFailure } from "./store/user-store";
