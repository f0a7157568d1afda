// The customer journey: create, log an interaction, add an order (status and stage change on
// the 360 page), find by fragments, import a CSV with a bad row, merge two duplicates.
import { expect, test } from "../support/fixtures";
import { readFileSync } from "node:fs";
import { ADMIN, MANAGER, MEMBER, hydrated, screenshot, signIn, sql } from "../support/helpers";

// Forms are submitted with bad input on purpose; Chromium logs each refused save (422).
test.use({ expectedConsoleErrors: [/status of 422/] });

const NAME = "杭州云栖纺织有限公司";
const PHONE = "137 1234 5678";

test("a sales rep creates a customer, logs an interaction and an order, and finds it again", async ({ page }) => {
  await signIn(page, MEMBER);
  await page.locator("nav.nav").getByRole("link", { name: "客户", exact: true }).click();
  await page.getByRole("link", { name: "新建客户" }).click();
  await hydrated(page);
  const form = page.getByTestId("customer-form");
  await form.getByLabel("名称").fill(NAME);
  await form.getByLabel("电话").fill("not a phone");
  await form.getByRole("button", { name: "保存" }).click();
  await expect(form).toContainText("请输入有效的电话号码");
  await expect(form.getByLabel("名称")).toHaveValue(NAME);
  await form.getByLabel("电话").fill(PHONE);
  await form.getByLabel("地区").fill("浙江·杭州");
  await form.getByRole("button", { name: "添加联系人" }).click();
  await form.locator("input[name=contact_name_0]").fill("周晓东");
  // This buyer reads English: survey emails to the customer go out in English.
  await form.getByLabel("沟通语言").selectOption({ label: "English" });
  await form.getByRole("button", { name: "保存" }).click();

  await expect(page.getByTestId("customer-name")).toHaveText(NAME);
  await expect(page.getByTestId("customer-locale")).toHaveText("English");
  await expect(page.getByTestId("status")).toHaveText("未下单");
  await expect(page.getByTestId("stage")).toHaveText("潜在");

  await page.getByRole("button", { name: "记录互动" }).click();
  const interaction = page.getByTestId("interaction-form");
  await interaction.getByLabel("主题").fill("电话沟通采购需求");
  await interaction.getByLabel("结果").fill("客户需要报价");
  await interaction.getByRole("button", { name: "记录互动" }).click();
  await expect(page.getByTestId("timeline")).toContainText("电话沟通采购需求");

  await page.getByRole("button", { name: "添加订单" }).click();
  const order = page.getByTestId("order-form");
  await order.locator("select[name=line_product_0]").selectOption({ label: "关系 CRM 专业版（年） · ¥4,980.00" });
  await order.locator("input[name=line_quantity_0]").fill("2");
  await order.getByRole("button", { name: "添加订单" }).click();

  await expect(page.getByTestId("status")).toHaveText("活跃");
  await expect(page.getByTestId("stage")).toHaveText("新客户");
  await expect(page.getByTestId("order-count")).toHaveText("1");
  await expect(page.getByTestId("total-spend")).toHaveText("¥9,960.00");
  await expect(page.getByTestId("timeline")).toContainText("生命周期：潜在 → 新客户");
  await screenshot(page, "13-customer-360");

  // Find it by a fragment of its Chinese name, and of its phone number.
  await page.locator("nav.nav").getByRole("link", { name: "客户", exact: true }).click();
  await hydrated(page);
  const search = page.getByRole("searchbox", { name: "搜索" });
  await search.fill("云栖");
  await search.press("Enter");
  await expect(page.getByTestId("customers").locator("tbody tr")).toHaveCount(1);
  await expect(page.getByTestId("customers")).toContainText(NAME);
  await search.fill("1234567");
  await search.press("Enter");
  await expect(page.getByTestId("customers").locator("tbody tr")).toHaveCount(1);
  await expect(page.getByTestId("customers")).toContainText(NAME);
  await screenshot(page, "14-customer-search");
});

test("a manager imports a CSV with a bad row and downloads its error report", async ({ page }) => {
  await signIn(page, MANAGER);
  await page.goto("/customers/import");
  await hydrated(page);
  const csv = [
    "客户名称,电话,邮箱,地区",
    "宁波海晨贸易有限公司,13588880001,hello@haichen.example,浙江·宁波",
    "苏州澄湖电子有限公司,13588880002,,江苏·苏州",
    "这一行是坏的,call me maybe,not-an-email,上海",
  ].join("\n");
  await page.locator("#import-file").setInputFiles({ name: "客户导入.csv", mimeType: "text/csv", buffer: Buffer.from(csv, "utf-8") });
  await page.getByRole("button", { name: "上传" }).click();
  const panel = page.getByTestId("import-panel");
  await expect(panel.getByTestId("import-status")).toHaveText("待对应");
  await expect(panel.locator("select[name=map_0]")).toHaveValue("name");

  await panel.getByRole("button", { name: "检查（不写入）" }).click();
  await expect(panel.getByTestId("import-status")).toHaveText("已检查");
  await expect(panel.getByTestId("count-created")).toHaveText("2");
  await expect(panel.getByTestId("count-rejected")).toHaveText("1");

  await panel.getByRole("button", { name: "开始导入" }).click();
  await expect(panel.getByTestId("import-status")).toHaveText("已导入");
  await expect(panel.getByTestId("count-created")).toHaveText("2");
  await screenshot(page, "15-import-done");

  const [download] = await Promise.all([page.waitForEvent("download"), panel.getByTestId("rejected-report").click()]);
  const report = readFileSync((await download.path())!, "utf-8");
  expect(report).toContain("这一行是坏的");
  expect(report).toContain("请输入有效的电话号码");
  expect(report).toContain("请输入有效的邮箱地址");

  // A colleague tags one of the new customers; reverting the import then takes out the other
  // and leaves the tagged one, naming it.
  const colleague = await page.context().newPage();
  await colleague.goto("/customers");
  await hydrated(colleague);
  const search = colleague.getByRole("searchbox", { name: "搜索" });
  await search.fill("澄湖电子");
  await search.press("Enter");
  await colleague.getByTestId("customers").getByRole("link", { name: "苏州澄湖电子有限公司" }).click();
  await expect(colleague.getByTestId("customer-name")).toHaveText("苏州澄湖电子有限公司");
  await colleague.getByRole("button", { name: "添加标签" }).click();
  await colleague.locator("input[name=new_tag]").fill("重点跟进");
  await colleague.locator("form.inline-form").getByRole("button", { name: "保存" }).click();
  await expect(colleague.getByTestId("tags")).toContainText("重点跟进");
  await colleague.close();

  await panel.getByRole("button", { name: "撤销此次导入" }).click();
  await expect(panel.getByTestId("import-status")).toHaveText("已撤销");
  const kept = panel.getByTestId("revert-kept");
  await expect(kept).toContainText("1 位客户在导入之后有过改动");
  await expect(kept.getByRole("link")).toHaveText(["苏州澄湖电子有限公司"]);
  await screenshot(page, "15b-import-reverted");
});

test("an admin merges two duplicate customers side by side", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto("/customers/duplicates");
  await hydrated(page);
  const row = page.getByTestId("duplicates").locator("tbody tr").filter({ hasText: "重复录入" }).first();
  await expect(row).toBeVisible();
  const survivorName = (await row.locator("td").first().locator("a").textContent())!.trim();
  await row.getByRole("button", { name: "合并" }).click();
  const panel = page.getByTestId("merge-panel");
  await expect(panel.locator("input[name=pick_name]")).toHaveCount(2);
  await screenshot(page, "16-merge-screen");
  await panel.getByRole("button", { name: "合并" }).click();
  await expect(page.getByTestId("merges")).toContainText(survivorName);

  await page.getByTestId("merges").getByRole("link", { name: survivorName }).click();
  await expect(page.getByTestId("timeline")).toContainText("合并了重复客户");
  await screenshot(page, "17-merged-360");
});

test("deleting a customer asks first: Escape keeps it, confirming moves it to the recycle bin", async ({ page }) => {
  const name = "宁波甬江删除测试有限公司";
  await signIn(page, MANAGER);
  await page.goto("/customers/new");
  await hydrated(page);
  const form = page.getByTestId("customer-form");
  await form.getByLabel("名称").fill(name);
  await form.getByLabel("电话").fill("136 0574 1111");
  await form.getByRole("button", { name: "保存" }).click();
  await expect(page.getByTestId("customer-name")).toHaveText(name);
  const customerUrl = page.url();
  const id = customerUrl.split("/").pop();

  // The browser's own modal dialog: named by its heading, closed by Escape with nothing done.
  await page.getByTestId("delete-customer").click();
  const dialog = page.getByRole("dialog", { name: `删除客户「${name}」` });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("确定把这个客户移入回收站吗？管理员可以从回收站恢复。");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  expect(page.url()).toBe(customerUrl);
  const [kept] = await sql<{ deleted: boolean }>("select deleted_at is not null as deleted from customer where id = $1", [id]);
  expect(kept.deleted).toBe(false);

  await page.getByTestId("delete-customer").click();
  await expect(dialog).toBeVisible();
  await screenshot(page, "14-delete-customer-dialog");
  await dialog.getByRole("button", { name: "删除" }).click();
  await page.waitForURL(/\/customers$/);
  await expect(page.getByText("客户已移入回收站")).toBeVisible();
  const [gone] = await sql<{ deleted: boolean }>("select deleted_at is not null as deleted from customer where id = $1", [id]);
  expect(gone.deleted).toBe(true);
});
