// A manager on a tablet: the sidebar collapses and opens by touch.
import { expect, test } from "../support/fixtures";
import { MANAGER, hydrated, screenshot, signIn } from "../support/helpers";

test("on a tablet the sidebar slides in from the menu button by touch", async ({ page }) => {
  await signIn(page, MANAGER);
  await expect(page.getByTestId("welcome")).toBeVisible();
  const sidebar = page.locator("#sidebar");
  await expect(sidebar).not.toBeInViewport();
  await screenshot(page, "10-tablet-home");

  await page.getByRole("button", { name: "菜单" }).tap();
  await expect(sidebar).toBeInViewport();
  await screenshot(page, "11-tablet-menu-open");

  await sidebar.getByRole("link", { name: "我的账户" }).tap();
  await expect(page).toHaveURL(/\/account$/);
  await expect(sidebar).not.toBeInViewport();
  await expect(page.getByRole("heading", { name: "我的账户" })).toBeVisible();
  await screenshot(page, "12-tablet-account");
});

test("on a tablet the care calendar's month fits the screen", async ({ page }) => {
  await signIn(page, MANAGER);
  await page.goto("/care");
  await hydrated(page);
  await expect(page.getByTestId("care-grid")).toBeVisible();
  expect(await page.getByTestId("care-day").count()).toBeGreaterThanOrEqual(28);
  // Seven columns without scrolling sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await screenshot(page, "13-tablet-care-calendar");
});
