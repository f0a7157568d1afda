// Value tiers: an admin loosens the top tier's rule, reads the live preview, saves, watches the
// recompute, and finds a customer who moved up with the reason on its 360 page. Members are
// refused the tier admin page.
import { expect, test } from "../support/fixtures";
import { ADMIN, MEMBER, hydrated, screenshot, signIn } from "../support/helpers";

// A member opening the tier admin page is refused (403); Chromium logs the refused load.
test.use({ expectedConsoleErrors: [/status of 403/] });

test("an admin changes a tier rule, previews the moves, saves and finds a moved customer", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.locator("nav.nav").getByRole("link", { name: "价值等级" }).click();
  await hydrated(page);
  const editor = page.getByTestId("tier-editor");
  const preview = page.getByTestId("tier-preview");
  const moves = preview.getByTestId("preview-moves");
  // Unchanged rules move nobody.
  await expect(moves).toContainText("升级 0 位");
  await expect(moves).toContainText("降级 0 位");

  const rule = editor.locator("input[name=tier_rule_0]");
  await expect(rule).toHaveValue("M >= 4 and F >= 3");
  // A half-typed rule is pointed out at the field, before anything is saved.
  await rule.fill("M >= ");
  await expect(editor).toContainText("规则第 6 个字符处应为");

  await rule.fill("M >= 3");
  await expect(moves).not.toContainText("升级 0 位");
  await expect(moves).toContainText("降级 0 位");
  const upText = (await moves.locator(".badge").first().textContent()) ?? "";
  const movingUp = Number(upText.match(/\d+/)?.[0]);
  expect(movingUp).toBeGreaterThan(0);
  // The counts after the change add up to the counts now.
  const sum = (cells: string[]) => cells.reduce((total, cell) => total + Number(cell), 0);
  const now = await preview.getByTestId("preview-now").allTextContents();
  const after = await preview.getByTestId("preview-after").allTextContents();
  expect(after.length).toBe(3);
  expect(sum(after)).toBe(sum(now));
  expect(Number(after[0])).toBe(Number(now[0]) + movingUp);
  const sample = preview.getByTestId("preview-sample").first();
  await expect(sample).toContainText("中价值 → 高价值");
  const link = sample.getByRole("link");
  const name = (await link.textContent()) ?? "";
  const href = (await link.getAttribute("href")) ?? "";
  await screenshot(page, "20-tier-preview");

  await editor.getByRole("button", { name: "保存并重新计算" }).click();
  const recompute = editor.getByTestId("recompute");
  await expect(recompute).toHaveAttribute("data-status", "succeeded", { timeout: 30_000 });
  await expect(recompute).toContainText("等级已重新计算");
  await expect(moves).toContainText("升级 0 位");
  await screenshot(page, "21-tier-recomputed");

  // The moved customer: its tier, scores and the reason, and the move on its timeline.
  await page.goto(href);
  await hydrated(page);
  await expect(page.getByTestId("customer-name")).toHaveText(name);
  const card = page.getByTestId("tier-card");
  await expect(card.getByTestId("tier")).toHaveText("高价值");
  await expect(card.getByTestId("tier-because")).toContainText(/M=[345]/);
  const m = Number(await card.getByTestId("score-m").textContent());
  expect(m).toBeGreaterThanOrEqual(3);
  await expect(page.getByTestId("timeline")).toContainText(`价值等级：中价值 → 高价值，依据 M=${m}`);
  await screenshot(page, "22-customer-tier");
});

test("a member is refused the tier admin page", async ({ page }) => {
  await signIn(page, MEMBER);
  await expect(page.locator("nav.nav").getByRole("link", { name: "价值等级" })).toHaveCount(0);
  await page.goto("/admin/tiers");
  await hydrated(page);
  await expect(page.getByRole("alert")).toContainText("您没有权限");
  await expect(page.getByTestId("tier-editor")).toHaveCount(0);
});
