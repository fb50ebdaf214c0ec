import { compare } from "bcrypt";
import { TestClock } from "@fedsession/testing";
import { ADMINISTRATOR_PERMISSIONS, createAccounts, type Accounts } from "../src/accounts";
import { AccountError } from "../src/errors";
import { createPasswords, type Passwords } from "../src/passwords";
import { createMemoryUserStore } from "../src/store/memory";
import type { UserStore } from "../src/store/user-store";

const TEST_COST = 4;

/** Settles to what a rejection exposes (class, code, message), so tests can compare errors from different paths. */
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) =>
      error instanceof AccountError ? { type: "AccountError", code: error.code, message: error.message } : error,
  );
const invalidCredentials = { type: "AccountError", code: "invalid-credentials", message: "Invalid email or password" };

describe("accounts", () => {
  const clock = new TestClock();
  let users: UserStore;
  let passwords: Passwords;
  let accounts: Accounts;
  const compares: string[] = [];

  beforeAll(async () => {
    const countingCompare = (password: string, hash: string) => {
      compares.push(hash);
      return compare(password, hash);
    };
    passwords = await createPasswords({ cost: TEST_COST, compare: countingCompare });
  });

  beforeEach(() => {
    users = createMemoryUserStore();
    accounts = createAccounts({ users, passwords, clock: clock.now });
    compares.length = 0;
  });

  it("signs up with a normalised email, the default permissions and a bcrypt hash of the chosen cost", async () => {
    const user = await accounts.signUp("  Alice@Example.COM ", "alice-password-1");
    expect(user).toMatchObject({
      email: "alice@example.com",
      permissions: ["documents:read", "documents:write"],
      disabled: false,
    });
    expect(user.createdAt).toBe(clock.now().getTime());
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(user.passwordHash).toMatch(/^\$2b\$04\$/);
    await expect(users.findByEmail("alice@example.com")).resolves.toEqual(user);
    await expect(accounts.login("ALICE@example.com", "alice-password-1")).resolves.toEqual(user);
  });

  it("refuses a second sign-up with the same email, whatever its case", async () => {
    await accounts.signUp("bob@example.com", "bob-password-1");
    const error = await failureOf(accounts.signUp(" BOB@example.com", "another-password"));
    expect(error).toEqual({
      type: "AccountError",
      code: "email-taken",
      message: "An account with this email already exists",
    });
  });

  it("refuses malformed emails with a message a person can act on", async () => {
    for (const email of ["no-at-sign", "two@@example.com", "sp ace@example.com", `${"a".repeat(250)}@example.com`]) {
      await expect(accounts.signUp(email, "good-password-1")).rejects.toMatchObject({ code: "invalid-input" });
    }
  });

  it("refuses passwords that are too short, too many characters or over bcrypt's 72 bytes instead of truncating", async () => {
    await expect(accounts.signUp("c@example.com", "short")).rejects.toMatchObject({
      code: "invalid-input",
      message: expect.stringContaining("at least 8"),
    });
    await expect(accounts.signUp("c@example.com", "x".repeat(129))).rejects.toMatchObject({ code: "invalid-input" });
    const emoji = "🔑".repeat(19); // 19 characters, 76 bytes
    await expect(accounts.signUp("c@example.com", emoji)).rejects.toMatchObject({
      code: "invalid-input",
      message: expect.stringContaining("72 bytes"),
    });
    await expect(users.findByEmail("c@example.com")).resolves.toBeNull();
  });

  it("gives the identical error for an unknown email and a wrong password", async () => {
    await accounts.signUp("dave@example.com", "dave-password-1");
    const unknown = await failureOf(accounts.login("nobody@example.com", "dave-password-1"));
    const wrong = await failureOf(accounts.login("dave@example.com", "not-daves-password"));
    expect(unknown).toEqual(invalidCredentials);
    expect(wrong).toEqual(unknown);
  });

  it("runs a real bcrypt comparison for an unknown email, against a dummy hash of the same cost", async () => {
    await expect(accounts.login("nobody@example.com", "some-password-1")).rejects.toMatchObject({
      code: "invalid-credentials",
    });
    expect(compares).toHaveLength(1);
    expect(compares[0]).toMatch(/^\$2b\$04\$/);
  });

  it("refuses a disabled user with the same error even when the password is right", async () => {
    const erin = await accounts.signUp("erin@example.com", "erin-password-1");
    await users.update({ ...erin, disabled: true });
    const error = await failureOf(accounts.login("erin@example.com", "erin-password-1"));
    expect(error).toEqual(invalidCredentials);
  });

  it("never lets a login password longer than 72 bytes match on its first 72", async () => {
    const password = "p".repeat(72);
    const frank = await accounts.signUp("frank@example.com", password);
    await expect(accounts.login("frank@example.com", `${password}-and-more`)).rejects.toMatchObject({
      code: "invalid-credentials",
    });
    expect(compares).toHaveLength(1);
    expect(compares[0]).not.toBe(frank.passwordHash);
    await expect(accounts.login("frank@example.com", password)).resolves.toMatchObject({ email: "frank@example.com" });
  });

  it("creates the administrator, then updates its password and permissions and re-enables it", async () => {
    const created = await accounts.ensureAdministrator("Root@Example.com", "first-admin-password");
    expect(created).toMatchObject({
      email: "root@example.com",
      permissions: [...ADMINISTRATOR_PERMISSIONS],
      disabled: false,
    });
    await users.update({ ...created, permissions: ["documents:read"], disabled: true });

    const updated = await accounts.ensureAdministrator("root@example.com", "second-admin-password");
    expect(updated).toMatchObject({
      id: created.id,
      permissions: ["documents:read", "documents:write", "sessions:admin", "users:admin"],
      disabled: false,
    });
    await expect(accounts.login("root@example.com", "first-admin-password")).rejects.toMatchObject({
      code: "invalid-credentials",
    });
    await expect(accounts.login("root@example.com", "second-admin-password")).resolves.toMatchObject({
      id: created.id,
    });
  });

  it("promotes an existing ordinary user to administrator without creating a second account", async () => {
    const user = await accounts.signUp("grace@example.com", "grace-password-1");
    const admin = await accounts.ensureAdministrator("grace@example.com", "grace-admin-password");
    expect(admin.id).toBe(user.id);
    expect(admin.createdAt).toBe(user.createdAt);
    await expect(users.findByEmail("grace@example.com")).resolves.toEqual(admin);
  });
});
