// Administration: creating a user (with a field error first), the audit log, background jobs,
// backups.
import { Page } from "@playwright/test";
import { expect, test } from "../support/fixtures";
import { ADMIN, hydrated, screenshot, signIn } from "../support/helpers";

/** Opens the new-user form on the users page and fills it in; the caller submits it. */
async function openNewUserForm(page: Page, email: string, name: string, password: string) {
  await page.getByRole("button", { name: "新建用户" }).click();
  const form = page.getByTestId("create-user");
  await form.getByLabel("邮箱").fill(email);
  await form.getByLabel("姓名").fill(name);
  await form.getByLabel("初始密码").fill(password);
  return form;
}

test.describe("a refused form", () => {
  // The refused save answers 422, which Chromium logs as a failed resource load.
  test.use({ expectedConsoleErrors: [/status of 422/] });

  test("an admin creates a user after fixing a field error and finds it in the audit log", async ({ page }) => {
    await signIn(page, ADMIN);
    await page.getByRole("link", { name: "用户" }).first().click();
    await expect(page.getByTestId("users")).toContainText("member@guanxi.demo");

    const form = await openNewUserForm(page, "zhou.min@guanxi.demo", "周敏", "short");
    await form.getByRole("button", { name: "创建" }).click();
    await expect(form).toContainText("密码至少需要 12 个字符");
    await screenshot(page, "06-create-user-error");

    await form.getByLabel("初始密码").fill("zhou-min-password-1");
    await form.getByRole("button", { name: "创建" }).click();
    await expect(page.getByTestId("create-user")).toHaveCount(0);
    // The list refreshes from the server's change event.
    await expect(page.getByTestId("users")).toContainText("zhou.min@guanxi.demo");
    await screenshot(page, "07-users");

    await page.getByRole("link", { name: "审计日志" }).click();
    const audit = page.getByTestId("audit");
    await expect(audit).toContainText("zhou.min@guanxi.demo");
    await expect(audit).toContainText("创建");
    await screenshot(page, "08-audit-log");
  });
});

test("maintenance runs as a background job whose progress shows live", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole("link", { name: "后台任务" }).first().click();
  await expect(page.getByRole("heading", { name: "后台任务" })).toBeVisible();
  // The list is a page of the newest jobs (the first one may be full: notification emails are
  // jobs too), so the new job is told by its id.
  const newest = page.locator("[data-testid=jobs] tbody tr").first();
  const before = Number((await newest.getAttribute("data-id")) ?? 0);
  await page.getByRole("button", { name: "立即运行维护" }).click();
  // No reload: the new job appears and finishes through server-sent events.
  await expect.poll(async () => Number(await newest.getAttribute("data-id"))).toBeGreaterThan(before);
  await expect(newest).toHaveAttribute("data-status", "succeeded");
  await expect(page.locator("[data-testid=jobs] tbody tr").first()).toContainText("已完成");
  await screenshot(page, "09-jobs");
});

test("a user whose password an admin reset must choose their own before anything else", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto("/admin/users");
  await hydrated(page);
  const form = await openNewUserForm(page, "reset.me@guanxi.demo", "吴桐", "first-password-123");
  await form.getByRole("button", { name: "创建" }).click();
  const row = page.getByTestId("users").locator("tr", { hasText: "reset.me@guanxi.demo" });
  await row.getByRole("button", { name: "编辑" }).click();
  const edit = page.getByTestId("edit-user");
  await edit.getByLabel("新密码", { exact: true }).fill("temporary-password-1");
  await edit.getByRole("button", { name: "重置密码" }).click();
  await expect(page.getByText("密码已重置")).toBeVisible();

  // The user signs in with what the admin told them: every page asks for their own password.
  await page.context().clearCookies();
  await signIn(page, "reset.me@guanxi.demo", "temporary-password-1");
  await page.waitForURL((url) => url.pathname === "/");
  await expect(page.getByRole("heading", { name: "请设置新密码" })).toBeVisible();
  // Opened directly, a page shows the same form.
  await page.goto("/customers");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "请设置新密码" })).toBeVisible();
  await screenshot(page, "09-choose-new-password");
  await page.getByLabel("当前密码").fill("temporary-password-1");
  await page.getByLabel("新密码", { exact: true }).fill("my-own-password-99");
  await page.getByLabel("确认新密码").fill("my-own-password-99");
  await page.getByRole("button", { name: "修改密码" }).click();
  await page.waitForURL((url) => url.pathname === "/");
  await page.goto("/customers");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "请设置新密码" })).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "客户" }).first()).toBeVisible();
});

test("an admin backs up from the backups page and sees the restore check pass", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto("/admin/backups");
  await hydrated(page);
  await expect(page.getByTestId("backup-plan")).toContainText("guanxi-e2e-backups-");
  await page.getByTestId("backup-now").click();
  // Written, restored into a scratch database and compared table by table; the page follows
  // the job live.
  const passed = page.getByTestId("backups").locator("tbody tr[data-outcome=passed]").first();
  await expect(passed).toBeVisible({ timeout: 90_000 });
  await expect(passed).toContainText("恢复核对通过");
  await expect(page.getByTestId("last-usable-backup")).not.toContainText("还没有");
  await expect(page.getByTestId("backup-overdue")).toHaveCount(0);
  await expect(page.getByTestId("backup-now")).toBeEnabled();
  await screenshot(page, "backups");
});
