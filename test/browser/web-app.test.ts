import type { Browser, BrowserContext, Page } from "playwright-core";
import type { RunningServer } from "@fedsession/runtime";
import { ensureWebBuild } from "../../scripts/web/build";
import { startWebServer } from "../../scripts/web/server";
import { BrowserClient } from "../support/client";
import { startStack, type Stack, type StoreKind } from "../support/stack";
import { launchChromium, screenshot, scriptVisibleState, sessionCookies } from "./chromium";

// Two devices of one person, told apart in the Devices list by their browsers' user agents.
const LAPTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const PHONE =
  "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36";
const STEP_TIMEOUT_MS = 60_000;
const SESSION_ENDED = /Your session has ended/;

interface Running {
  stack: Stack;
  web: RunningServer;
  browser: Browser;
}

async function startAll(kind: StoreKind, env: Record<string, string>, gatewayEnv: Record<string, string>) {
  const distDir = await ensureWebBuild();
  const stack = await startStack(kind, env, gatewayEnv);
  const web = await startWebServer({
    distDir,
    gatewayOrigin: new URL(stack.gatewayUrl).origin,
    port: 0,
    host: "127.0.0.1",
  });
  return { stack, web, browser: await launchChromium() };
}

async function stopAll(running: Running | undefined): Promise<void> {
  await running?.browser.close();
  await running?.web.close();
  await running?.stack.stop();
}

async function openDevice(running: Running, userAgent: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await running.browser.newContext({ userAgent, viewport: { width: 1000, height: 720 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${running.web.url}/`);
  await signInScreen(page).waitFor();
  return { context, page };
}

const signInScreen = (page: Page) => page.getByRole("heading", { name: "Sign in" });
const signOutButton = (page: Page) => page.getByRole("button", { name: "Sign out", exact: true });
const deviceItems = (page: Page) => page.getByRole("list", { name: "Signed-in devices" }).getByRole("listitem");

async function submitCredentials(page: Page, email: string, password: string, button: "Sign in" | "Create account") {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: button, exact: true }).click();
}

async function alertText(page: Page, pattern: RegExp): Promise<string> {
  const alert = page.getByRole("alert").filter({ hasText: pattern });
  await alert.waitFor();
  return (await alert.textContent()) ?? "";
}

async function openDevices(page: Page, expected: number): Promise<void> {
  await page.getByRole("link", { name: "Devices" }).click();
  await page.getByRole("heading", { name: "Devices" }).waitFor();
  await deviceItems(page)
    .nth(expected - 1)
    .waitFor();
}

describe("the web app in Chromium, two devices of one person (development stack)", () => {
  let running: Running | undefined;
  let laptop: { context: BrowserContext; page: Page };
  let phone: { context: BrowserContext; page: Page };
  // A fresh in-memory stack per run, so the address is free.
  const email = "ada@example.com";
  const password = "analytical engine";
  const newPassword = "difference engine";

  beforeAll(async () => {
    running = await startAll("memory", { LOGIN_BACKOFF_AFTER: "3" }, {});
    laptop = await openDevice(running, LAPTOP);
    phone = await openDevice(running, PHONE);
  }, 180_000);

  afterAll(async () => {
    await stopAll(running);
  });

  it(
    "creates an account on the laptop, with a cookie that is HttpOnly, SameSite=Lax and invisible to page scripts",
    async () => {
      const { page, context } = laptop;
      await screenshot(page, "01-sign-in");
      await submitCredentials(page, email, password, "Create account");
      await signOutButton(page).waitFor();
      await page.getByRole("heading", { name: "Profile" }).waitFor();
      await page.getByText("documents:write").waitFor();
      await screenshot(page, "03-profile");
      expect(
        (await sessionCookies(context)).map(({ name, httpOnly, sameSite, path }) => ({
          name,
          httpOnly,
          sameSite,
          path,
        })),
      ).toEqual([{ name: "fedsession", httpOnly: true, sameSite: "Lax", path: "/" }]);
      expect(await scriptVisibleState(page)).toEqual({ cookie: "", local: 0, session: 0 });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "shows the password rule the server refused a new account for",
    async () => {
      const { page } = phone;
      await submitCredentials(page, `short-${Date.now()}@example.com`, "short", "Create account");
      expect(await alertText(page, /at least 8 characters/)).toMatch(/Passwords need at least 8 characters/);
      await screenshot(page, "02-bad-input");
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "lists both devices on each of them, the current one marked This device",
    async () => {
      await submitCredentials(phone.page, email, password, "Sign in");
      await signOutButton(phone.page).waitFor();
      for (const [device, self, other] of [
        [laptop, "Chrome 156 on Linux", "Chrome 156 on Android"],
        [phone, "Chrome 156 on Android", "Chrome 156 on Linux"],
      ] as const) {
        await openDevices(device.page, 2);
        expect(await deviceItems(device.page).count()).toBe(2);
        const current = deviceItems(device.page).filter({ hasText: "This device" });
        expect(await current.count()).toBe(1);
        expect(await current.textContent()).toContain(self);
        expect(await current.getByRole("button", { name: "Revoke" }).count()).toBe(0);
        const others = deviceItems(device.page).filter({ hasNotText: "This device" });
        expect(await others.textContent()).toContain(other);
        expect(await others.textContent()).toContain("127.0.0.1");
        expect(await others.getByRole("button", { name: "Revoke" }).count()).toBe(1);
      }
      await screenshot(laptop.page, "05-devices");
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "revoking the phone from the laptop sends the phone to sign-in on its next action, with a message and no reload",
    async () => {
      const navigations: string[] = [];
      phone.page.on("framenavigated", (frame) => {
        if (frame === phone.page.mainFrame()) navigations.push(frame.url());
      });
      await deviceItems(laptop.page)
        .filter({ hasNotText: "This device" })
        .getByRole("button", { name: "Revoke" })
        .click();
      await laptop.page.getByRole("status").filter({ hasText: "The device was signed out." }).waitFor();
      await deviceItems(laptop.page).filter({ hasNotText: "This device" }).waitFor({ state: "detached" });

      await phone.page.getByRole("link", { name: "Documents" }).click();
      await signInScreen(phone.page).waitFor();
      await phone.page.getByRole("status").filter({ hasText: SESSION_ENDED }).waitFor();
      await screenshot(phone.page, "06-session-ended");
      expect(await sessionCookies(phone.context)).toEqual([]);
      // Settled: the sign-in screen asks the server nothing more and the page was never reloaded.
      const requests: string[] = [];
      phone.page.on("request", (request) => requests.push(request.url()));
      await phone.page.waitForTimeout(1000);
      expect(requests).toEqual([]);
      expect(navigations.filter((url) => !url.includes("#"))).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "signs the other devices out with one button; the phone learns it from a null `me`",
    async () => {
      await submitCredentials(phone.page, email, password, "Sign in");
      await signOutButton(phone.page).waitFor();
      // A screen that asks nothing, so that the phone's next action is loading its profile.
      await phone.page.getByRole("link", { name: "Password" }).click();
      await laptop.page.getByRole("link", { name: "Profile" }).click();
      await openDevices(laptop.page, 2);
      await laptop.page.getByRole("button", { name: "Sign out other devices" }).click();
      await laptop.page.getByRole("status").filter({ hasText: "Signed out 1 other device." }).waitFor();
      await deviceItems(laptop.page).filter({ hasNotText: "This device" }).waitFor({ state: "detached" });
      expect(await deviceItems(laptop.page).count()).toBe(1);

      await phone.page.getByRole("link", { name: "Profile" }).click();
      await phone.page.getByRole("status").filter({ hasText: SESSION_ENDED }).waitFor();
      await signInScreen(phone.page).waitFor();
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "creates a public and a private document and lists them as mine",
    async () => {
      const { page } = laptop;
      await page.getByRole("link", { name: "Documents" }).click();
      for (const [title, isPublic] of [
        ["Travel notes", true],
        ["Diary", false],
      ] as const) {
        await page.getByLabel("Title").fill(title);
        await page.getByLabel("Body").fill(`${title}: written in a real browser.`);
        await page.getByLabel("Public").setChecked(isPublic);
        await page.getByRole("button", { name: "Create document" }).click();
        await page
          .getByRole("list", { name: "My documents" })
          .getByRole("listitem")
          .filter({ hasText: title })
          .waitFor();
      }
      const items = page.getByRole("list", { name: "My documents" }).getByRole("listitem");
      expect(await items.filter({ hasText: "Travel notes" }).textContent()).toContain("Public");
      expect(await items.filter({ hasText: "Diary" }).textContent()).toContain("Private");
      await screenshot(page, "04-documents");
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "changes the password (a wrong current one is refused in the form) and stays signed in on this device",
    async () => {
      const { page } = laptop;
      await page.getByRole("link", { name: "Password" }).click();
      // A wrong current password is an error in the form, not a session that ended.
      await page.getByLabel("Current password").fill("not my password");
      await page.getByLabel("New password").fill(newPassword);
      await page.getByRole("button", { name: "Change password" }).click();
      expect(await alertText(page, /Current password is incorrect/)).toBe("Current password is incorrect");
      await page.getByLabel("Current password").fill(password);
      await page.getByLabel("New password").fill(newPassword);
      await page.getByRole("button", { name: "Change password" }).click();
      await page.getByRole("status").filter({ hasText: "Password changed." }).waitFor();
      await screenshot(page, "07-change-password");
      await page.getByRole("link", { name: "Profile" }).click();
      await page.getByText(email).first().waitFor();
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "signs out: back to sign-in and the cookie is gone",
    async () => {
      const { page, context } = laptop;
      await signOutButton(page).click();
      await page.getByRole("status").filter({ hasText: "You signed out." }).waitFor();
      await signInScreen(page).waitFor();
      expect(await sessionCookies(context)).toEqual([]);
      await screenshot(page, "10-signed-out");
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "shows a wrong password as such, then the wait once the account's failures are rate limited",
    async () => {
      const { page } = laptop;
      await submitCredentials(page, email, password, "Sign in");
      expect(await alertText(page, /Invalid email or password/)).toBe("Invalid email or password");
      await screenshot(page, "08-wrong-password");
      // LOGIN_BACKOFF_AFTER=3 on this stack: after three failures the next attempt must wait.
      for (let attempt = 2; attempt <= 3; attempt++) {
        await page.getByRole("button", { name: "Sign in", exact: true }).click();
        await page.getByRole("button", { name: "Sign in", exact: true }).and(page.locator(":enabled")).waitFor();
      }
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      expect(await alertText(page, /Too many attempts/)).toMatch(/^Too many attempts\. Try again in \d+ seconds?\.$/);
      await screenshot(page, "09-rate-limited");
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "an account disabled by an administrator lands on sign-in at its next action (a password change), and cannot sign in again",
    async () => {
      const { page } = phone;
      const stack = (running as Running).stack;
      const grace = new BrowserClient(stack.gatewayUrl);
      const signUp = await grace.request(
        `mutation { signUp(email: "grace@example.com", password: "compiler pioneer") { user { id } } }`,
      );
      const graceId = (signUp.body.data?.signUp as { user: { id: string } }).user.id;
      await submitCredentials(page, "grace@example.com", "compiler pioneer", "Sign in");
      await signOutButton(page).waitFor();
      await page.getByRole("link", { name: "Password" }).click();

      // The demo administrator of the in-memory stack (scripts/start.ts prints it).
      const admin = new BrowserClient(stack.gatewayUrl);
      await admin.request(
        `mutation { login(email: "admin@example.com", password: "admin-password-1") { user { id } } }`,
      );
      const disabled = await admin.request(
        `mutation ($id: ID!) { setUserDisabled(userId: $id, disabled: true) { id } }`,
        {
          id: graceId,
        },
      );
      expect(disabled.body.errors).toBeUndefined();

      // Her next action is a password change: UNAUTHENTICATED there could be a wrong current password, so the app
      // asks the server, learns the session has ended, and goes to sign-in instead of showing a form error.
      await page.getByLabel("Current password").fill("compiler pioneer");
      await page.getByLabel("New password").fill("a new compiler");
      await page.getByRole("button", { name: "Change password" }).click();
      await page.getByRole("status").filter({ hasText: SESSION_ENDED }).waitFor();
      await submitCredentials(page, "grace@example.com", "compiler pioneer", "Sign in");
      expect(await alertText(page, /Invalid email or password/)).toBe("Invalid email or password");
    },
    STEP_TIMEOUT_MS,
  );
});

describe("the web app in Chromium against a production-mode stack (Redis, __Host- cookie)", () => {
  let running: Running | undefined;

  beforeAll(async () => {
    running = await startAll("redis", { NODE_ENV: "production" }, {});
  }, 180_000);

  afterAll(async () => {
    await stopAll(running);
  });

  it(
    "keeps a Secure __Host- cookie on http://127.0.0.1 across a reload, and clears it on sign out",
    async () => {
      const { context, page } = await openDevice(running as Running, LAPTOP);
      await submitCredentials(page, `prod-${Date.now()}@example.com`, "correct horse battery", "Create account");
      await signOutButton(page).waitFor();
      expect(
        (await sessionCookies(context)).map(({ name, httpOnly, secure, sameSite }) => ({
          name,
          httpOnly,
          secure,
          sameSite,
        })),
      ).toEqual([{ name: "__Host-fedsession", httpOnly: true, secure: true, sameSite: "Lax" }]);
      expect(await scriptVisibleState(page)).toEqual({ cookie: "", local: 0, session: 0 });
      await page.reload();
      await signOutButton(page).waitFor();
      await signOutButton(page).click();
      await signInScreen(page).waitFor();
      expect(await sessionCookies(context)).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );
});
