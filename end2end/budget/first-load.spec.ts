// The first-load budget (issue 19), measured in headless Chromium against the release build that
// `./guanxi budget` makes and serves through the end-to-end set-up (budget.config.ts).
//
// Bytes are what crossed the network (CDP encodedDataLength: compressed bodies plus headers), for
// the JS, WASM and CSS a visit fetched. Times run from the start of navigation until a click on the
// first customer row has opened that customer's page, with and without the throttling Lighthouse
// uses for mobile. It prints a table; a missed budget fails it only with GUANXI_BUDGET_ENFORCE=1,
// until the figures are under the budget. A console error fails it always (the fixture).
import type { BrowserContext, Page } from "@playwright/test";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "../support/fixtures";
import { ADMIN, hydrated, signIn } from "../support/helpers";

const pkg = join(__dirname, "..", "..", "target", "site", "pkg");
const kB = (bytes: number) => Math.round(bytes / 1024);

const LIMITS = { firstPage: 300 * 1024, nextArea: 150 * 1024, throttledOpenMs: 3000 };
/** Lighthouse's mobile preset: 150 ms round trip, 1.6 Mbps down, 750 kbps up, CPU 4x slower. */
const MOBILE = { latency: 150, downloadThroughput: 1_600_000 / 8, uploadThroughput: 750_000 / 8 };

type Totals = { wasm: number; js: number; css: number; code: number };

/** A page of `context` whose JS, WASM and CSS traffic is counted between calls of `take`. */
async function countedPage(context: BrowserContext, errors: string[], throttled = false) {
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`${page.url()}: ${error.message}`));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  if (throttled) {
    await cdp.send("Network.emulateNetworkConditions", { offline: false, ...MOBILE });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  }
  let requests = new Map<string, { url: string; bytes: number }>();
  cdp.on("Network.responseReceived", (event) => {
    requests.set(event.requestId, { url: event.response.url, bytes: 0 });
  });
  cdp.on("Network.loadingFinished", (event) => {
    const request = requests.get(event.requestId);
    if (request) request.bytes = event.encodedDataLength;
  });
  const take = (): Totals => {
    const totals = { wasm: 0, js: 0, css: 0, code: 0 };
    for (const { url, bytes } of requests.values()) {
      const kind = new URL(url).pathname.match(/\.(wasm|js|css)$/)?.[1] as keyof Totals | undefined;
      if (kind) totals[kind] += bytes;
    }
    totals.code = totals.wasm + totals.js + totals.css;
    requests = new Map();
    return totals;
  };
  return { page, take };
}

/** Navigation start to the customer page opened by a click on the first row; `atHydrated` runs
 * once /customers has hydrated, before the click. */
async function timeToOpenCustomer(page: Page, url: string, atHydrated: () => void) {
  const started = Date.now();
  await page.goto(url, { waitUntil: "commit" });
  await hydrated(page);
  const hydratedMs = Date.now() - started;
  atHydrated();
  await page.getByTestId("customers").getByRole("link").first().click();
  await expect(page.getByTestId("customer-name")).toBeVisible();
  return { hydratedMs, openedMs: Date.now() - started };
}

/** What the build produced: the main module and, per split point (an area of pages), the chunks
 * it needs, shared chunks counted in each that needs them. */
function printBuild() {
  const names = readdirSync(pkg);
  const brotli = (file: string) => {
    try {
      return statSync(join(pkg, `${file}.br`)).size;
    } catch {
      return 0;
    }
  };
  const main = names.find((n) => /^guanxi\..*\.wasm$/.test(n)) ?? "";
  const chunks = names.filter((n) => /^(chunk_|split_).*\.wasm$/.test(n));
  const total = chunks.reduce((sum, n) => sum + brotli(n), 0);
  console.log(`\nBuild: main module ${kB(brotli(main))} kB br; ${chunks.length} chunks, ${kB(total)} kB br in all`);
  const manifestName = names.find((n) => /^__wasm_split_manifest\..*\.json$/.test(n));
  if (!manifestName) return;
  const manifest: Record<string, string[]> = JSON.parse(readFileSync(join(pkg, manifestName), "utf8"));
  console.log("| split point | chunks | kB br |\n|---|---:|---:|");
  for (const [point, needed] of Object.entries(manifest).sort((a, b) => a[0].localeCompare(b[0]))) {
    const bytes = needed.reduce((sum, chunk) => sum + brotli(`${chunk}.wasm`), 0);
    console.log(`| ${point.replace(/^__|_\d+$/g, "")} | ${needed.length} | ${kB(bytes)} |`);
  }
}

test("a first visit stays within the first-load budget", async ({ browser, baseURL, consoleErrors }) => {
  const rows: { name: string; totals: Totals; limit: number }[] = [];
  const times: Record<string, { hydratedMs: number; openedMs: number }> = {};

  // A first visit: the sign-in page with an empty cache; then /customers after signing in.
  const visitor = await browser.newContext({ baseURL, locale: "zh-CN" });
  const first = await countedPage(visitor, consoleErrors);
  await first.page.goto("/login");
  await hydrated(first.page);
  rows.push({ name: "/login, first visit", totals: first.take(), limit: LIMITS.firstPage });
  await signIn(first.page, ADMIN);
  first.take();
  for (const [path, limit] of [
    ["/customers", LIMITS.firstPage],
    ["/pipeline", LIMITS.nextArea],
    ["/tickets", LIMITS.nextArea],
    ["/admin/tiers", LIMITS.nextArea],
  ] as const) {
    await first.page.goto(path);
    await hydrated(first.page);
    const name = path === "/customers" ? "/customers after signing in" : `${path}, first visit after /customers`;
    rows.push({ name, totals: first.take(), limit });
  }
  const signedIn = await visitor.storageState();
  await visitor.close();

  // A bookmark opened with an empty cache, signed in: bytes and time to a working page.
  for (const throttled of [false, true]) {
    const context = await browser.newContext({ baseURL, locale: "zh-CN", storageState: signedIn });
    const counted = await countedPage(context, consoleErrors, throttled);
    times[throttled ? "throttled" : "unthrottled"] = await timeToOpenCustomer(counted.page, "/customers", () => {
      if (!throttled) {
        rows.push({ name: "/customers from a bookmark, empty cache", totals: counted.take(), limit: LIMITS.firstPage });
      }
    });
    await context.close();
  }

  let missed = 0;
  console.log("\nFirst-load budget: JS + WASM + CSS transferred (compressed, with headers)");
  console.log("| visit | WASM kB | JS kB | CSS kB | total kB | budget kB | |\n|---|---:|---:|---:|---:|---:|---|");
  for (const { name, totals, limit } of rows) {
    const over = totals.code > limit;
    missed += over ? 1 : 0;
    console.log(`| ${name} | ${kB(totals.wasm)} | ${kB(totals.js)} | ${kB(totals.css)} | ${kB(totals.code)} | ${kB(limit)} | ${over ? "OVER" : "ok"} |`);
  }
  console.log("\nTime from navigation to a customer opened by a click on the first row of /customers");
  console.log("| network | hydrated ms | customer open ms | budget ms | |\n|---|---:|---:|---:|---|");
  for (const [name, { hydratedMs, openedMs }] of Object.entries(times)) {
    const throttled = name === "throttled";
    const over = throttled && openedMs > LIMITS.throttledOpenMs;
    missed += over ? 1 : 0;
    const label = throttled ? "mobile (150 ms RTT, 1.6 Mbps, CPU 4x)" : "unthrottled";
    console.log(`| ${label} | ${hydratedMs} | ${openedMs} | ${throttled ? LIMITS.throttledOpenMs : "-"} | ${over ? "OVER" : "ok"} |`);
  }
  printBuild();
  console.log(missed ? `\n${missed} budget(s) missed.` : "\nAll budgets met.");
  if (process.env.GUANXI_BUDGET_ENFORCE === "1") expect(missed, "budgets missed").toBe(0);
});
