// Signing in and out, a bad password, a refused role, and the language switch.
import { expect, test } from "../support/fixtures";
import { ADMIN, MANAGER, MEMBER, hydrated, screenshot, signIn } from "../support/helpers";

// A wrong password (401) and a member on an admin page (403) are refused on purpose; Chromium
// logs each refused load.
test.use({ expectedConsoleErrors: [/status of (401|403)/] });

test("the server-rendered sign-in page hydrates and a demo admin signs in", async ({ page }) => {
  const response = await page.goto("/login");
  expect(response?.status()).toBe(200);
  // Rendered on the server: the form is in the HTML before any script runs.
  expect(await response?.text()).toContain('name="password"');
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "登录" })).toBeVisible();
  await screenshot(page, "01-sign-in");

  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("welcome")).toContainText("王磊");
  await expect(page.locator("nav.nav").getByRole("link", { name: "审计日志" })).toBeVisible();
  await screenshot(page, "02-home-admin");
});

test("a bad password is refused with a translated message", async ({ page }) => {
  await signIn(page, MEMBER, "not the password at all");
  await expect(page.getByRole("alert")).toContainText("邮箱或密码不正确");
  await expect(page).toHaveURL(/\/login$/);

  await page.getByRole("button", { name: "English" }).click();
  await expect(page.getByRole("alert")).toContainText("The email or password is incorrect");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await screenshot(page, "03-bad-password-en");
});

test("a member is refused the admin pages", async ({ page }) => {
  await signIn(page, MEMBER);
  await expect(page.getByTestId("welcome")).toContainText("张伟");
  await expect(page.locator("nav.nav").getByRole("link", { name: "审计日志" })).toHaveCount(0);

  await page.goto("/admin/users");
  await hydrated(page);
  await expect(page.getByRole("alert")).toContainText("您没有权限");
  await expect(page.getByTestId("users")).toHaveCount(0);
  await screenshot(page, "04-member-refused");
});

test("signing out returns to the sign-in page and ends the session", async ({ page }) => {
  await signIn(page, MANAGER);
  await expect(page.getByTestId("welcome")).toContainText("李娜");
  await page.getByRole("button", { name: "退出登录" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/account");
  await expect(page).toHaveURL(/\/login$/);
});

test("the language switch translates everything and is remembered", async ({ page }) => {
  // An account of its own: the choice is saved on it.
  await signIn(page, "emily.chen@guanxi.demo");
  await expect(page.getByRole("link", { name: "首页" })).toBeVisible();

  await Promise.all([
    page.waitForResponse((r) => r.url().includes("/api/set_locale")),
    page.locator(".topbar").getByRole("button", { name: "English" }).click(),
  ]);
  await expect(page.getByRole("link", { name: "Home" })).toBeVisible();
  await expect(page.getByTestId("welcome")).toContainText("Welcome back");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await screenshot(page, "05-home-en");

  // Saved with the account: the server renders the next page in English.
  await page.goto("/account");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "My account" })).toBeVisible();
  await Promise.all([
    page.waitForResponse((r) => r.url().includes("/api/set_locale")),
    page.locator(".topbar").getByRole("button", { name: "中文" }).click(),
  ]);
  await expect(page.getByRole("heading", { name: "我的账户" })).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "我的账户" })).toBeVisible();
});
