// A company's history in and its data out: a manager brings an Excel file of orders with one
// bad row (the check names it and why), imports it, finds the customer active, staged, graded
// and holding the orders on its 360 page, then reverts it all; a member downloads orders as
// Excel with phones as text; an admin sets the company's time zone.
import ExcelJS from "exceljs";
import { readFileSync } from "node:fs";
import { ADMIN, MANAGER, MEMBER, hydrated, screenshot, signIn, sql } from "../support/helpers";
import { expect, test } from "../support/fixtures";

const CUSTOMER = "青松茶业有限公司";
const PHONE = "13512340001";

function daysAgo(days: number): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days));
}

async function ordersWorkbook(): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  // The orders are on the second sheet, as exports from many shops have them.
  workbook.addWorksheet("说明").addRow(["订单导出，来自网店后台"]);
  const sheet = workbook.addWorksheet("订单明细");
  sheet.addRow(["订单号", "下单日期", "客户编号", "手机", "产品编号", "数量", "单价"]);
  sheet.addRow(["QS-2001", daysAgo(120), "ERP-QS-7", PHONE, "GX-CRM-PRO", 1, "¥4,980.00"]);
  sheet.addRow(["QS-2001", daysAgo(120), "ERP-QS-7", PHONE, "GX-TRAIN", 2, 3000]);
  sheet.addRow(["QS-2002", daysAgo(60), "ERP-QS-7", PHONE, "GX-SMS-10K", 3, "450元"]);
  sheet.addRow(["QS-2003", daysAgo(9), "ERP-QS-7", PHONE, "GX-IMPL", "两套", 8800]);
  sheet.addRow(["QS-2004", daysAgo(7), "ERP-QS-7", PHONE, "GX-CRM-ENT", 1, "1.28万"]);
  for (const row of [2, 3, 4, 5, 6]) sheet.getCell(`B${row}`).numFmt = "yyyy-mm-dd";
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

test("a manager imports an Excel file of orders with a bad row, sees the customer come alive, and reverts it", async ({ page }) => {
  // A customer the company brings over with no orders yet, graded like any other.
  const [{ id: managerId }] = await sql<{ id: number }>("select id from app_user where email = $1", [MANAGER]);
  const [{ id }] = await sql<{ id: number }>(
    `insert into customer (name, phone, phone_normalized, owner_id, external_id, source, name_key)
     values ($1, $2, $2, $3, 'ERP-QS-7', 'import', '青松茶业') returning id`,
    [CUSTOMER, PHONE, managerId],
  );
  await sql(
    `insert into customer_score (customer_id, computed_tier_id)
     select $1, id from tier where active order by position desc limit 1`,
    [id],
  );

  await signIn(page, MANAGER);
  await page.goto(`/customers/${id}`);
  await hydrated(page);
  await expect(page.getByTestId("status")).toHaveText("未下单");
  await expect(page.getByTestId("stage")).toHaveText("潜在");
  const tierBefore = (await page.getByTestId("tier-card").getByTestId("tier").textContent()) ?? "";
  expect(tierBefore).not.toBe("");

  await page.goto("/imports?kind=orders");
  await hydrated(page);
  await expect(page.locator("select[name=kind]")).toHaveValue("orders");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("导入订单");
  await page.locator("#import-file").setInputFiles({
    name: "网店订单.xlsx",
    mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    buffer: await ordersWorkbook(),
  });
  await page.getByRole("button", { name: "上传" }).click();
  const panel = page.getByTestId("import-panel");
  await expect(panel.getByTestId("import-status")).toHaveText("待对应");
  // The first sheet holds a note: the person picks the orders sheet, whose headers are read.
  await panel.locator("select[name=sheet]").selectOption("订单明细");
  await expect(panel.locator("select[name=map_0]")).toHaveValue("order_no");
  await expect(panel.locator("select[name=map_1]")).toHaveValue("ordered_at");
  await expect(panel.locator("select[name=map_2]")).toHaveValue("customer_external_id");
  await expect(panel.locator("select[name=map_4]")).toHaveValue("sku");

  // The check writes nothing and names the bad row and why.
  await panel.getByRole("button", { name: "检查（不写入）" }).click();
  await expect(panel.getByTestId("import-status")).toHaveText("已检查");
  await expect(panel.getByTestId("count-created")).toHaveText("4");
  await expect(panel.getByTestId("count-rejected")).toHaveText("1");
  await expect(panel.getByTestId("count-orders")).toHaveText("3");
  const refused = panel.getByTestId("rejected-rows").locator("tbody tr");
  await expect(refused).toHaveCount(1);
  await expect(refused).toHaveAttribute("data-row", "4");
  await expect(refused).toContainText("数量: 请输入有效的数字");
  await screenshot(page, "40-order-import-checked");

  // The import runs with progress shown, then brings status, stage and tier up to date.
  await page.evaluate(() => {
    const seen = (window as unknown as { sawProgress: boolean });
    seen.sawProgress = false;
    new MutationObserver(() => {
      if (document.querySelector("[data-testid=import-progress]")) seen.sawProgress = true;
    }).observe(document.body, { subtree: true, childList: true });
  });
  await panel.getByRole("button", { name: "开始导入" }).click();
  await expect(panel.getByTestId("import-status")).toHaveText("已导入", { timeout: 30_000 });
  expect(await page.evaluate(() => (window as unknown as { sawProgress: boolean }).sawProgress)).toBe(true);
  await expect(panel.getByTestId("count-orders")).toHaveText("3");
  await screenshot(page, "41-order-import-done");

  const [download] = await Promise.all([page.waitForEvent("download"), panel.getByTestId("rejected-report").click()]);
  expect(download.suggestedFilename()).toBe("网店订单-rejected.xlsx");
  const report = new ExcelJS.Workbook();
  await report.xlsx.load(readFileSync((await download.path())!));
  const reportRow = report.worksheets[0].getRow(2);
  expect(reportRow.getCell(1).value).toBe(4);
  expect(String(reportRow.getCell(2).value)).toBe("QS-2003");
  expect(String(reportRow.getCell(9).value)).toContain("请输入有效的数字");

  await page.goto(`/customers/${id}`);
  await hydrated(page);
  await expect(page.getByTestId("status")).toHaveText("活跃");
  await expect(page.getByTestId("stage")).toHaveText("复购");
  await expect(page.getByTestId("customer-external-id")).toHaveText("ERP-QS-7");
  const card = page.getByTestId("tier-card");
  await expect(card.getByTestId("tier")).not.toHaveText(tierBefore);
  await expect(card.getByTestId("tier-because")).toContainText(/M=\d/);
  await expect(page.getByTestId("timeline")).toContainText("生命周期：潜在 → 复购");
  await page.getByRole("tab", { name: "订单" }).click();
  const orders = page.getByTestId("orders");
  await expect(orders.getByTestId("order-no")).toHaveText(["QS-2004", "QS-2002", "QS-2001"]);
  await expect(orders).toContainText("¥12,800.00");
  await screenshot(page, "42-customer-after-order-import");

  // One click takes it all back out.
  await page.goto("/imports?kind=orders");
  await hydrated(page);
  await page.getByTestId("recent-imports").getByRole("button", { name: /网店订单\.xlsx/ }).click();
  await panel.getByTestId("revert-import").click();
  await expect(panel.getByTestId("import-status")).toHaveText("已撤销", { timeout: 30_000 });
  await page.goto(`/customers/${id}`);
  await hydrated(page);
  await expect(page.getByTestId("status")).toHaveText("未下单");
  await expect(page.getByTestId("stage")).toHaveText("潜在");
  await expect(page.getByTestId("tier-card").getByTestId("tier")).toHaveText(tierBefore);
  await page.getByRole("tab", { name: "订单" }).click();
  await expect(page.getByTestId("orders").getByTestId("order-no")).toHaveCount(0);
  await screenshot(page, "43-customer-after-revert");
});

test("a member downloads the orders of their customers as Excel, phones as text", async ({ page }) => {
  await signIn(page, MEMBER);
  await page.goto("/exports");
  await hydrated(page);
  await page.locator("select[name=entity]").selectOption("customers");
  await page.locator("select[name=format]").selectOption("xlsx");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-download").click()]);
  expect(download.suggestedFilename()).toMatch(/^customers-\d{8}\.xlsx$/);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(readFileSync((await download.path())!));
  const sheet = workbook.worksheets[0];
  const header = (sheet.getRow(1).values as unknown[]).slice(1);
  expect(header).toContain("电话");
  const phone = header.indexOf("电话") + 1;
  expect(sheet.rowCount).toBeGreaterThan(1);
  expect(typeof sheet.getRow(2).getCell(phone).value).toBe("string");
  // Only what the member may see: each row's owner is the member.
  const owner = header.indexOf("负责人") + 1;
  const owners = new Set<string>();
  sheet.eachRow((row, n) => {
    if (n > 1) owners.add(String(row.getCell(owner).value));
  });
  expect([...owners]).toEqual(["张伟"]);
  await screenshot(page, "44-exports-page");
});

test.describe("company settings", () => {
  // The unknown zone below is refused with a 422 on purpose; the browser's own clock is set
  // to New York, to show that times follow the company's zone, not the reader's laptop.
  test.use({ expectedConsoleErrors: [/status of 422/], timezoneId: "America/New_York" });

test("an admin sets the company's time zone, and times follow it", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto("/admin/company");
  await hydrated(page);
  const form = page.getByTestId("company-settings");
  await expect(form.locator("select[name=time_zone_choice]")).toHaveValue("Asia/Shanghai");
  await page.goto("/admin/service");
  await hydrated(page);
  await expect(page.getByTestId("calendar-zone")).toContainText("Asia/Shanghai");
  // An unknown zone is refused at its field, in words.
  await page.goto("/admin/company");
  await hydrated(page);
  await form.locator("select[name=time_zone_choice]").selectOption("other");
  await form.locator("input[name=time_zone]").fill("Mars/Olympus");
  await form.getByRole("button", { name: "保存" }).click();
  await expect(form).toContainText("请选择一个有效的选项");
  await screenshot(page, "45-company-settings");

  // Every time on a page is on the company's clock, rendered and hydrated alike.
  await page.goto("/jobs");
  await hydrated(page);
  const stamp = page.locator("time").first();
  const at = new Date((await stamp.getAttribute("datetime"))!);
  const shanghai = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).format(at);
  await expect(stamp).toHaveText(shanghai);
});
});
