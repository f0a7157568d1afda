import { expect, Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export const DEMO_PASSWORD = "guanxi-demo-2026";
export const ADMIN = "admin@guanxi.demo";
export const MANAGER = "manager@guanxi.demo";
export const MEMBER = "member@guanxi.demo";

const shots = join(__dirname, "..", "screenshots");
mkdirSync(shots, { recursive: true });

/** Saves a full-page screenshot under end2end/screenshots for a person to look at. */
export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** Waits until the WASM has hydrated the page: the body gets `data-hydrated` from the app. */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1, { timeout: 30_000 });
}

/** Signs in through the sign-in form, the way a person would. With the right password it
 * waits for the start page, so the session cookie is set before the test navigates on. */
export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel(/邮箱|Email/).fill(email);
  await page.getByLabel(/^(密码|Password)$/).fill(password);
  await page.locator("form.auth-form button[type=submit]").click();
  if (password === DEMO_PASSWORD) {
    await page.waitForURL((url) => url.pathname === "/");
  }
}

/** Runs SQL against the run's database, for setting up what a test starts from. */
export async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const { default: pg } = await import("pg");
  const { adminUrl, databaseName } = await import("./global-setup");
  const client = new pg.Client({ connectionString: adminUrl().replace(/\/[^/]*$/, `/${databaseName()}`) });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}
