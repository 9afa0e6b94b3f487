import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";

/** Screenshots of the browser tests (gitignored; CI keeps them as artifacts). */
export const SCREENSHOTS = fileURLToPath(new URL("../test-artifacts/", import.meta.url));

/** Saves a full-page screenshot named `name`.png under {@link SCREENSHOTS}. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

/** Opens the console at `hash` and signs in with `token`; resolves once the identity shows. */
export async function signIn(page: Page, baseUrl: string, token: string, identity: string, hash = "#/runs"): Promise<void> {
  await page.goto(`${baseUrl}/${hash}`);
  await page.fill("#token", token);
  await page.click("#signin-form button[type=submit]");
  await page.waitForSelector(`#who:has-text('${identity}')`);
}
