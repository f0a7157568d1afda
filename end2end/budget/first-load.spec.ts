// The first-load budget (issue 19), measured in headless Chromium against a running release build.
//
//   node end2end/budget.mjs          (`./guanxi budget` builds what it measures first)
//
// It creates a database on GUANXI_TEST_ADMIN_URL's server, starts the server binary
// (GUANXI_BUDGET_SERVER, target/debug/server by default) on it with the demo data, serving the
// release site in target/site, measures, and drops the database again.
//
// Bytes are what crossed the network (CDP encodedDataLength: compressed bodies plus headers), for
// the JS, WASM and CSS a visit fetched. Times run from the start of navigation until a click on the
// first customer row has opened that customer's page, with and without the throttling Lighthouse
// uses for mobile. Prints a table; exits 1 on a missed budget only with GUANXI_BUDGET_ENFORCE=1,
// because the lazy-loaded areas that bring the figures under the budget have not landed yet.
import { chromium } from "@playwright/test";
import { spawn } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const siteRoot = join(root, "target", "site");
const adminUrl = process.env.GUANXI_TEST_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const database = `guanxi_budget_${process.pid}`;
const port = 3900 + (process.pid % 90);
const base = `http://127.0.0.1:${port}`;

async function admin(sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
await admin(`drop database if exists ${database} with (force)`);
await admin(`create database ${database}`);
const serverBinary = process.env.GUANXI_BUDGET_SERVER ?? join(root, "target", "debug", "server");
const server = spawn(serverBinary, [], {
  cwd: root,
  env: {
    ...process.env,
    DATABASE_URL: adminUrl.replace(/\/[^/]*$/, `/${database}`),
    GUANXI_ADDR: `127.0.0.1:${port}`,
    GUANXI_DEMO_DATA: "1",
    LEPTOS_SITE_ROOT: siteRoot,
    RUST_LOG: "warn",
  },
  stdio: ["ignore", "inherit", "inherit"],
});
async function stopServer() {
  server.kill("SIGTERM");
  await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.once("exit", resolve)));
  await admin(`drop database if exists ${database} with (force)`);
}
for (let attempt = 0; ; attempt++) {
  try {
    if ((await fetch(`${base}/readyz`)).ok) break;
  } catch {}
  if (attempt > 240 || server.exitCode !== null) {
    await stopServer();
    throw new Error("the server did not become ready");
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}
const EMAIL = "admin@guanxi.demo";
const PASSWORD = "guanxi-demo-2026";
const kB = (bytes) => Math.round(bytes / 1024);

const LIMITS = { firstPage: 300 * 1024, nextArea: 150 * 1024, throttledOpenMs: 3000 };
/** Lighthouse's mobile preset: 150 ms round trip, 1.6 Mbps down, 750 kbps up, CPU 4x slower. */
const MOBILE = { latency: 150, downloadThroughput: 1_600_000 / 8, uploadThroughput: 750_000 / 8 };

const browser = await chromium.launch({
  executablePath: process.env.GUANXI_CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const consoleErrors = [];

/** A page whose network traffic is counted per navigation. */
async function countedPage(context, { throttled = false } = {}) {
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  if (throttled) {
    await cdp.send("Network.emulateNetworkConditions", { offline: false, ...MOBILE });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  }
  let requests = new Map();
  cdp.on("Network.responseReceived", (event) => {
    requests.set(event.requestId, { url: event.response.url, bytes: 0 });
  });
  cdp.on("Network.loadingFinished", (event) => {
    const request = requests.get(event.requestId);
    if (request) request.bytes = event.encodedDataLength;
  });
  return {
    page,
    /** Bytes transferred per kind since the last call. */
    take() {
      const totals = { wasm: 0, js: 0, css: 0, other: 0, files: [] };
      for (const { url, bytes } of requests.values()) {
        const path = new URL(url).pathname;
        const kind = path.endsWith(".wasm") ? "wasm" : path.endsWith(".js") ? "js" : path.endsWith(".css") ? "css" : "other";
        totals[kind] += bytes;
        if (kind !== "other" && bytes > 0) totals.files.push(`${path} ${kB(bytes)} kB`);
      }
      totals.code = totals.wasm + totals.js + totals.css;
      requests = new Map();
      return totals;
    },
  };
}

async function hydrated(page) {
  await page.locator("body[data-hydrated]").waitFor({ state: "attached", timeout: 120_000 });
}

/** Navigation start to the customer page opened by a click on the first row; `atHydrated` runs
 * once /customers has hydrated, before the click. */
async function timeToOpenCustomer(page, atHydrated) {
  const started = Date.now();
  await page.goto(`${base}/customers`, { waitUntil: "commit" });
  await hydrated(page);
  const hydratedMs = Date.now() - started;
  atHydrated();
  const firstRow = page.getByTestId("customers").getByRole("link").first();
  await firstRow.click({ timeout: 60_000 });
  await page.getByTestId("customer-name").waitFor({ timeout: 60_000 });
  return { hydratedMs, openedMs: Date.now() - started };
}

const rows = [];
const times = {};
const record = (name, totals, limit) => {
  rows.push({ name, totals, limit });
};

try {
  // 1. A first visit: the sign-in page with an empty cache; then /customers after signing in.
  const visitor = await browser.newContext({ locale: "zh-CN" });
  const first = await countedPage(visitor);
  await first.page.goto(`${base}/login`);
  await hydrated(first.page);
  record("/login, first visit", first.take(), LIMITS.firstPage);
  await first.page.getByLabel(/邮箱|Email/).fill(EMAIL);
  await first.page.getByLabel(/^(密码|Password)$/).fill(PASSWORD);
  await first.page.locator("form.auth-form button[type=submit]").click();
  await first.page.waitForURL((url) => url.pathname === "/");
  first.take();
  await first.page.goto(`${base}/customers`);
  await hydrated(first.page);
  record("/customers after signing in", first.take(), LIMITS.firstPage);
  for (const area of ["/pipeline", "/tickets", "/admin/tiers"]) {
    await first.page.goto(`${base}${area}`);
    await hydrated(first.page);
    record(`${area}, first visit after /customers`, first.take(), LIMITS.nextArea);
  }
  const signedIn = await visitor.storageState();
  await visitor.close();

  // 2. A bookmark opened with an empty cache, signed in: bytes and time to a working page.
  for (const throttled of [false, true]) {
    const context = await browser.newContext({ locale: "zh-CN", storageState: signedIn });
    const counted = await countedPage(context, { throttled });
    times[throttled ? "throttled" : "unthrottled"] = await timeToOpenCustomer(counted.page, () => {
      if (!throttled) record("/customers from a bookmark, empty cache", counted.take(), LIMITS.firstPage);
    });
    await context.close();
  }
} finally {
  await browser.close();
  await stopServer();
}

let missed = 0;
console.log("\nFirst-load budget: JS + WASM + CSS transferred (compressed, with headers)");
console.log("| visit | WASM kB | JS kB | CSS kB | total kB | budget kB | |");
console.log("|---|---:|---:|---:|---:|---:|---|");
for (const { name, totals, limit } of rows) {
  const over = totals.code > limit;
  missed += over ? 1 : 0;
  console.log(`| ${name} | ${kB(totals.wasm)} | ${kB(totals.js)} | ${kB(totals.css)} | ${kB(totals.code)} | ${kB(limit)} | ${over ? "OVER" : "ok"} |`);
}
console.log("\nTime from navigation to a customer opened by a click on the first row of /customers");
console.log("| network | hydrated ms | customer open ms | budget ms | |");
console.log("|---|---:|---:|---:|---|");
for (const [name, { hydratedMs, openedMs }] of Object.entries(times)) {
  const limit = name === "throttled" ? LIMITS.throttledOpenMs : null;
  const over = limit !== null && openedMs > limit;
  missed += over ? 1 : 0;
  const label = name === "throttled" ? "mobile (150 ms RTT, 1.6 Mbps, CPU 4x)" : "unthrottled";
  console.log(`| ${label} | ${hydratedMs} | ${openedMs} | ${limit ?? "-"} | ${over ? "OVER" : "ok"} |`);
}

{
  // What the build produced: the main module and, per split point (an area of pages), the chunks
  // it needs (shared chunks counted in each that needs them).
  const pkg = join(siteRoot, "pkg");
  const names = readdirSync(pkg);
  const brotli = (file) => {
    try {
      return statSync(join(pkg, `${file}.br`)).size;
    } catch {
      return 0;
    }
  };
  const main = names.find((n) => /^guanxi\..*\.wasm$/.test(n));
  const chunks = names.filter((n) => /^chunk_|^split_/.test(n) && n.endsWith(".wasm"));
  const total = chunks.reduce((sum, n) => sum + brotli(n), 0);
  console.log(`\nBuild: main module ${kB(brotli(main))} kB br; ${chunks.length} chunks, ${kB(total)} kB br in all`);
  const manifestName = names.find((n) => /^__wasm_split_manifest\..*\.json$/.test(n));
  if (manifestName) {
    const manifest = JSON.parse(readFileSync(join(pkg, manifestName), "utf8"));
    console.log("| split point | chunks | kB br |");
    console.log("|---|---:|---:|");
    for (const [point, needed] of Object.entries(manifest).sort((a, b) => a[0].localeCompare(b[0]))) {
      const bytes = needed.reduce((sum, chunk) => sum + brotli(`${chunk}.wasm`), 0);
      console.log(`| ${point.replace(/^__|_\d+$/g, "")} | ${needed.length} | ${kB(bytes)} |`);
    }
  }
}
if (consoleErrors.length) {
  console.log(`\nBrowser console errors:\n  ${consoleErrors.join("\n  ")}`);
}
console.log(missed ? `\n${missed} budget(s) missed.` : "\nAll budgets met.");
process.exit((missed && process.env.GUANXI_BUDGET_ENFORCE === "1") || consoleErrors.length ? 1 : 0);
