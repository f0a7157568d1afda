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

/** Delivers a raw email into the service mailbox over IMAP (LOGIN, APPEND), as a mail server
 * delivering a customer's email would. */
export async function deliverToMailbox(raw: string) {
  const net = await import("node:net");
  const { imapPort, imapUser, imapPassword } = await import("./global-setup");
  const message = Buffer.from(raw.replace(/\r?\n/g, "\r\n"), "utf8");
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(imapPort, "127.0.0.1");
    let buffer = "";
    let step = 0;
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      if (step === 0 && buffer.includes("* OK")) {
        step = 1; buffer = "";
        socket.write(`a1 LOGIN "${imapUser}" "${imapPassword}"\r\n`);
      } else if (step === 1 && /a1 (OK|NO|BAD)/.test(buffer)) {
        if (!buffer.includes("a1 OK")) return reject(new Error(`IMAP login: ${buffer}`));
        step = 2; buffer = "";
        socket.write(`a2 APPEND INBOX {${message.length}}\r\n`);
      } else if (step === 2 && buffer.includes("+")) {
        step = 3; buffer = "";
        socket.write(Buffer.concat([message, Buffer.from("\r\n")]));
      } else if (step === 3 && /a2 (OK|NO|BAD)/.test(buffer)) {
        if (!buffer.includes("a2 OK")) return reject(new Error(`IMAP append: ${buffer}`));
        step = 4;
        socket.end("a3 LOGOUT\r\n");
        resolve();
      }
    });
    socket.on("error", reject);
  });
}
