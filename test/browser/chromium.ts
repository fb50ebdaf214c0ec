import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";
export const SCREENSHOT_DIR = path.resolve(__dirname, "screenshots");

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Lines Chromium writes about the D-Bus it cannot reach in a container; noise, not the reason a launch failed. */
const DBUS_NOISE = /dbus|D-Bus|bus\.cc|object_proxy\.cc/;

/**
 * Debian's Chromium driven by playwright-core (whose protocol matches that Chromium's major). Each launch gets
 * Playwright's own fresh temporary profile, so no state leaks between runs. Fails loudly when Chromium is missing.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: apt-get update && apt-get install -y --no-install-recommends chromium (.ci/run does this)`,
    );
  }
  try {
    return await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ARGS,
      // No session bus in CI containers: tell Chromium so instead of letting it retry and log.
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: "disabled:" },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      message
        .split("\n")
        .filter((line) => !DBUS_NOISE.test(line))
        .join("\n"),
    );
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** What page scripts can see of the session: the cookie jar through JavaScript and both web storages. */
export async function scriptVisibleState(page: Page): Promise<{ cookie: string; local: number; session: number }> {
  return (await page.evaluate(
    "({ cookie: document.cookie, local: localStorage.length, session: sessionStorage.length })",
  )) as {
    cookie: string;
    local: number;
    session: number;
  };
}

export async function sessionCookies(context: BrowserContext) {
  return (await context.cookies()).filter((cookie) => cookie.name.endsWith("fedsession"));
}
