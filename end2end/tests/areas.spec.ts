// Each area's code arrives when the area is first opened from the sidebar (the pages are lazily
// loaded chunks of the WASM), the page then works, and a chunk that cannot be downloaded leaves
// a message with a way to try again rather than a page that silently stops.
import { expect, test } from "../support/fixtures";
import { ADMIN, hydrated, signIn } from "../support/helpers";

/** A sidebar link, the address it opens, and something only that page shows once it works. */
const AREAS: [string, string, string][] = [
  ["客户", "/customers", "[data-testid=customers]"],
  ["销售管道", "/pipeline", ".board"],
  ["工单", "/tickets", "main h1"],
  ["客户分群", "/segments", "main h1"],
  ["公司设置", "/admin/company", "main h1"],
];

function chunkRequests(page: import("@playwright/test").Page): string[] {
  const chunks: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith("/pkg/") && path.endsWith(".wasm")) chunks.push(path);
  });
  return chunks;
}

test("each area's code loads when it is first opened, and the page works", async ({ page }) => {
  await signIn(page, ADMIN);
  await hydrated(page);
  const chunks = chunkRequests(page);
  for (const [link, path, marker] of AREAS) {
    const before = chunks.length;
    await page.locator("#sidebar").getByRole("link", { name: link, exact: true }).click();
    await page.waitForURL((url) => url.pathname === path);
    await expect(page.locator(marker).first(), path).toBeVisible();
    await expect(page.locator(".notice-error"), `${path} shows no error`).toHaveCount(0);
    expect(chunks.length, `${path} fetched its own code on first opening`).toBeGreaterThan(before);
  }
  // A second visit needs nothing new.
  const before = chunks.length;
  await page.locator("#sidebar").getByRole("link", { name: "客户", exact: true }).click();
  await expect(page.getByTestId("customers")).toBeVisible();
  expect(chunks.slice(before)).toEqual([]);
});

test.describe("a chunk that cannot be downloaded", () => {
  // The aborted download and the stopped module are what the browser reports.
  test.use({ expectedConsoleErrors: [/Failed to fetch|ERR_FAILED|SplitLoaderError|unreachable|panicked/i] });

  test("shows a message with a retry that then opens the page", async ({ page }) => {
    await signIn(page, ADMIN);
    await hydrated(page);
    await page.route(/\/pkg\/.*\.wasm$/, (route) => route.abort("failed"));
    await page.locator("#sidebar").getByRole("link", { name: "销售管道", exact: true }).click();
    const notice = page.getByRole("alert").filter({ hasText: /没能下载|could not be downloaded/ });
    await expect(notice).toBeVisible();
    await page.unroute(/\/pkg\/.*\.wasm$/);
    // The retry loads the page that was being opened, afresh.
    await notice.getByRole("link", { name: "重试" }).click();
    await page.waitForURL((url) => url.pathname === "/pipeline");
    await hydrated(page);
    await expect(page.locator(".board").first()).toBeVisible();
    await expect(page.locator("#page-stopped")).toHaveCount(0);
  });
});
