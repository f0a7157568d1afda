// Reports on a tablet: a manager opens the sales report, changes the range by touch, groups by
// rep, taps a rep's bar and lands on that rep's orders for that range, with the same total; a
// member's report holds only their own customers' sales, and downloads as a workbook. Figures are
// checked against the orders summed directly in SQL; the funnel and churn against the leads and
// customers counted there; customers over time against the orders' days and the window.
import { readFileSync } from "node:fs";
import { Locator, Page } from "@playwright/test";
import { expect, test } from "../support/fixtures";
import { MANAGER, MEMBER, hydrated, screenshot, signIn, sql } from "../support/helpers";

test.use({ viewport: { width: 1024, height: 768 }, hasTouch: true });

function yuan(text: string | null): number {
  return Number((text ?? "0").replace(/[¥,\s]/g, ""));
}

/** Placed orders of live customers owned by `email` (or by anyone when null), between two
 * company days, summed in yuan: what the report must show. */
async function revenue(from: string, to: string, email: string | null): Promise<number> {
  const rows = await sql<{ total: string }>(
    `select coalesce(sum(o.total_minor - o.refunded_minor), 0)::text as total
     from sales_order o join customer c on c.id = o.customer_id
     left join app_user u on u.id = c.owner_id
     where o.status = 'placed' and c.deleted_at is null
       and (o.ordered_at at time zone company_time_zone())::date between $1::date and $2::date
       and ($3::text is null or u.email = $3)`,
    [from, to, email],
  );
  return Number(rows[0].total) / 100;
}

/** Saves the report on the page as a dashboard tile named `title` (the dialog offering the rolling
 * `dates`), then opens the dashboard directly and returns the new tile. */
async function savedAsTile(page: Page, title: string, dates: string | RegExp): Promise<Locator> {
  await page.getByTestId("save-to-dashboard").tap();
  const dialog = page.getByTestId("save-report-dialog");
  await expect(dialog.locator("#field-saved-dates")).toHaveValue(dates);
  await dialog.getByLabel("卡片名称").fill(title);
  await dialog.getByRole("button", { name: "保存" }).tap();
  await expect(page.locator(".toast").last()).toContainText("已保存到首页");
  const [saved] = await sql<{ id: string }>(
    `select r.id::text from saved_report r join app_user u on u.id = r.user_id
     where u.email = $1 and r.title = $2`,
    [MANAGER, title],
  );
  await page.goto("/");
  await hydrated(page);
  return page.getByTestId(`tile-report:${saved.id}`);
}

async function range(page: Page): Promise<[string, string]> {
  return [await page.locator("#field-from").inputValue(), await page.locator("#field-to").inputValue()];
}

test("a manager taps a rep's bar in the last twelve months and lands on that rep's orders", async ({ page }) => {
  await signIn(page, MANAGER);
  await page.goto("/reports/sales");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "销售报表" })).toBeVisible();

  // The range by touch: the last twelve months, by rep.
  await page.getByRole("button", { name: "近 12 个月" }).tap();
  await page.locator("#field-by").selectOption("owner");
  await expect(page).toHaveURL(/by=owner/);
  await expect(page).toHaveURL(/from=\d{4}-\d{2}-01/);
  const [from, to] = await range(page);
  await expect(page.getByTestId("chart-bar").first()).toBeVisible();
  await screenshot(page, "reports-01-by-rep-tablet");

  // The team's total is what its orders add up to (the manager sees their team).
  const team = await sql<{ email: string }>(
    `select u.email from app_user u join app_user m on m.team_id = u.team_id where m.email = $1`,
    [MANAGER],
  );
  let expected = 0;
  for (const { email } of team) expected += await revenue(from, to, email);
  await expect.poll(async () => yuan(await page.getByTestId("sales-total-revenue").textContent())).toBe(expected);

  // The largest rep's bar, tapped.
  const firstRow = page.getByTestId("sales-row").first();
  const rep = (await firstRow.locator("td").first().textContent())!.trim();
  const barRevenue = yuan(await firstRow.locator("td").nth(2).textContent());
  expect(barRevenue).toBeGreaterThan(0);
  await page.getByTestId("chart-bar").first().locator("a").tap();
  await page.waitForURL(/\/reports\/orders\?/);
  await hydrated(page);
  expect(page.url()).toContain(`from=${from}`);
  expect(page.url()).toContain(`to=${to}`);
  expect(page.url()).toMatch(/owner=\d+/);
  await expect(page.getByTestId("report-order").first()).toBeVisible();
  expect(yuan(await page.getByTestId("orders-revenue").textContent())).toBe(barRevenue);
  const owners = await page.getByTestId("order-owner").allTextContents();
  expect(new Set(owners.map((o) => o.trim()))).toEqual(new Set([rep]));
  await screenshot(page, "reports-02-rep-orders-tablet");
  // The same orders as a file.
  const [orderFile] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-xlsx").tap()]);
  expect(orderFile.suggestedFilename()).toMatch(/^report_orders-\d{8}\.xlsx$/);

  // Refreshed, the drill-down is the same; back leads to the report with the range kept.
  await page.reload();
  await hydrated(page);
  expect(yuan(await page.getByTestId("orders-revenue").textContent())).toBe(barRevenue);
  await page.getByRole("link", { name: "返回报表" }).tap();
  await page.waitForURL(/\/reports\/sales\?/);
  await hydrated(page);
  expect(await range(page)).toEqual([from, to]);

  // The service area plugs its quality report into the reports' tabs: one tap away.
  await page.locator(".report-tabs").getByRole("link", { name: "服务质量报表" }).tap();
  await page.waitForURL(/\/service$/);
  await hydrated(page);
});

test.describe("sales in a tier", () => {
  // Products with a tier are refused at the tier's field: Chromium logs the refusal (422).
  test.use({ expectedConsoleErrors: [/status of 422/] });

  test("a manager narrows the year's sales to a tier, taps a rep's bar to those orders, and is told products keep no tier", async ({ page }) => {
    await signIn(page, MANAGER);
    await page.goto("/reports/sales?by=owner");
    await hydrated(page);
    await page.getByRole("button", { name: "近 12 个月" }).tap();
    await expect(page).toHaveURL(/from=\d{4}-\d{2}-01/);
    const [from, to] = await range(page);

    // The team's orders of customers in the tier now (an override while it lasts, spelled out).
    const tier = await page.locator("#field-tier option").nth(1).getAttribute("value");
    await page.locator("#field-tier").selectOption(tier!);
    await expect(page).toHaveURL(new RegExp(`tier=${tier}`));
    const [direct] = await sql<{ total: string }>(
      `select coalesce(sum(o.total_minor - o.refunded_minor), 0)::text as total
       from sales_order o join customer c on c.id = o.customer_id
       join app_user u on u.id = c.owner_id join app_user m on m.team_id = u.team_id
       left join customer_score s on s.customer_id = c.id
       where m.email = $1 and o.status = 'placed' and c.deleted_at is null
         and (o.ordered_at at time zone company_time_zone())::date between $2::date and $3::date
         and case when s.override_tier_id is not null
                   and (s.override_until is null
                        or s.override_until >= (now() at time zone company_time_zone())::date)
              then s.override_tier_id else s.computed_tier_id end = $4::bigint`,
      [MANAGER, from, to, tier],
    );
    const expected = Number(direct.total) / 100;
    expect(expected).toBeGreaterThan(0);
    await expect.poll(async () => yuan(await page.getByTestId("sales-total-revenue").textContent())).toBe(expected);
    await screenshot(page, "reports-25-sales-in-a-tier-tablet");

    // A rep's bar opens that rep's orders of customers in the tier, adding up to the bar.
    const firstRow = page.getByTestId("sales-row").first();
    const barRevenue = yuan(await firstRow.locator("td").nth(2).textContent());
    await page.getByTestId("chart-bar").first().locator("a").tap();
    await page.waitForURL(/\/reports\/orders\?/);
    await hydrated(page);
    expect(page.url()).toContain(`tier=${tier}`);
    await expect(page.getByTestId("report-order").first()).toBeVisible();
    expect(yuan(await page.getByTestId("orders-revenue").textContent())).toBe(barRevenue);

    // By product, the tier is refused at its field, in words, and the report comes back without it.
    await page.goBack();
    await hydrated(page);
    await page.locator("#field-by").selectOption("product");
    await expect(page.getByText("按产品或品类统计时不能按客户等级筛选")).toBeVisible();
    await page.locator("#field-tier").selectOption("");
    await expect(page.getByTestId("sales-row").first()).toBeVisible();
  });
});

test("a member's report holds only their own customers' sales", async ({ page }) => {
  await signIn(page, MEMBER);
  await page.goto("/reports/sales?by=owner");
  await hydrated(page);
  await page.getByRole("button", { name: "近 12 个月" }).tap();
  await expect(page).toHaveURL(/from=/);
  const [from, to] = await range(page);
  const own = await revenue(from, to, MEMBER);
  await expect.poll(async () => yuan(await page.getByTestId("sales-total-revenue").textContent())).toBe(own);
  expect(own).toBeLessThan(await revenue(from, to, null));
  // The service area's report is a manager's: it is not among a member's report tabs.
  await expect(page.locator(".report-tabs a")).not.toHaveCount(0);
  await expect(page.locator(".report-tabs").getByRole("link", { name: "服务质量报表" })).toHaveCount(0);
  const me = await sql<{ display_name: string }>(`select display_name from app_user where email = $1`, [MEMBER]);
  const reps = await page.getByTestId("sales-row").locator("td:first-child").allTextContents();
  expect(reps.map((r) => r.trim())).toEqual([me[0].display_name]);
  // The rep filter offers no one else.
  const choices = await page.locator("#field-owner option").allTextContents();
  expect(choices).toEqual(["全部", me[0].display_name]);
  await screenshot(page, "reports-03-member-own");

  // The report as an Excel file, with the filters the page shows (the server checks its
  // figures; here: a tap gives a workbook named for the report and its range).
  const exportLink = page.getByTestId("export-xlsx");
  await expect(exportLink).toHaveAttribute("href", new RegExp(`^/files/reports/sales\\.xlsx\\?from=${from}&to=${to}.*by=owner`));
  const [download] = await Promise.all([page.waitForEvent("download"), exportLink.tap()]);
  expect(download.suggestedFilename()).toBe(`销售报表-${from.replaceAll("-", "")}-${to.replaceAll("-", "")}.xlsx`);
  const file = readFileSync((await download.path())!);
  expect(file.subarray(0, 2).toString()).toBe("PK");
});

/** The team of `email`'s order lines between two company days, in yuan, as the product report
 * counts them (the lines less their share of refunds), per category ("" for none). */
async function categoryRevenue(from: string, to: string, email: string): Promise<Map<string, number>> {
  const rows = await sql<{ category: string; total: string }>(
    `select coalesce(p.category, '') as category,
            sum(case when o.refunded_minor = 0 then l.line_total_minor
                     else round(l.line_total_minor::numeric * (o.total_minor - o.refunded_minor)
                                / o.total_minor) end)::text as total
     from sales_order o join customer c on c.id = o.customer_id
     join order_line l on l.order_id = o.id join product p on p.id = l.product_id
     join app_user u on u.id = c.owner_id
     where o.status = 'placed' and c.deleted_at is null
       and (o.ordered_at at time zone company_time_zone())::date between $1::date and $2::date
       and u.team_id = (select team_id from app_user where email = $3)
     group by 1`,
    [from, to, email],
  );
  return new Map(rows.map((r) => [r.category, Number(r.total) / 100]));
}

test("a manager reads revenue by category as a donut, taps a slice, then a product's bar", async ({ page }) => {
  await signIn(page, MANAGER);
  await page.goto("/reports/sales?by=category");
  await hydrated(page);
  await page.getByRole("button", { name: "近 12 个月" }).tap();
  await expect(page).toHaveURL(/from=\d{4}-\d{2}-01/);
  const [from, to] = await range(page);
  const expected = await categoryRevenue(from, to, MANAGER);
  const whole = [...expected.values()].reduce((a, b) => a + b, 0);
  expect(whole).toBeGreaterThan(0);
  await expect.poll(async () => yuan(await page.getByTestId("sales-total-revenue").textContent())).toBeCloseTo(whole, 2);
  await expect(page.locator(".donut-chart .slice").first()).toBeVisible();
  await expect(page.getByTestId("sales-units")).toBeVisible();
  await screenshot(page, "reports-15-categories-donut-tablet");

  // The largest category's slice, tapped: its orders, with the same revenue.
  const firstRow = page.getByTestId("sales-row").first();
  const category = (await firstRow.locator("td").first().textContent())!.trim();
  const sliceRevenue = yuan(await firstRow.locator("td").nth(2).textContent());
  expect(sliceRevenue).toBeCloseTo(expected.get(category) ?? 0, 2);
  // The slice's link and its legend entry's lead to the same orders; the legend's is the one
  // a finger finds on a tablet.
  const sliceHref = await page.getByTestId("chart-bar").first().locator("a").getAttribute("href");
  const legend = page.getByTestId("donut-legend-link").first();
  await expect(legend).toHaveAttribute("href", sliceHref!);
  await legend.tap();
  await page.waitForURL(/\/reports\/orders\?/);
  await hydrated(page);
  expect(decodeURIComponent(page.url())).toContain(`category=${category}`);
  await expect(page.getByTestId("report-order").first()).toBeVisible();
  expect(yuan(await page.getByTestId("orders-revenue").textContent())).toBe(sliceRevenue);

  // By product: the largest product's bar opens the orders holding it, and the report narrowed
  // to it reads by day, with the way back to all products.
  await page.goto(`/reports/sales?from=${from}&to=${to}&by=product`);
  await hydrated(page);
  const product = (await page.getByTestId("sales-row").first().locator("td").first().textContent())!.trim();
  const productRevenue = yuan(await page.getByTestId("sales-row").first().locator("td").nth(2).textContent());
  await page.getByTestId("chart-bar").first().locator("a").tap();
  await page.waitForURL(/\/reports\/orders\?.*product=\d+/);
  await hydrated(page);
  await expect(page.getByTestId("product-narrowed")).toContainText(product);
  expect(yuan(await page.getByTestId("orders-revenue").textContent())).toBe(productRevenue);
  await screenshot(page, "reports-16-product-orders-tablet");
  await page.getByRole("link", { name: "返回报表" }).tap();
  await page.waitForURL(/\/reports\/sales\?.*product=\d+/);
  await hydrated(page);
  await expect(page.getByTestId("product-narrowed")).toContainText(product);
  expect(yuan(await page.getByTestId("sales-total-revenue").textContent())).toBe(productRevenue);
  await page.getByRole("button", { name: "查看全部产品" }).tap();
  await expect(page).not.toHaveURL(/product=/);
  await expect(page.getByTestId("product-narrowed")).toHaveCount(0);
});

/** Customers of the team of `email` (everyone's when null) whose first placed order fell in a
 * month from `from` (YYYY-MM-01) on, in the company's zone, and who are in `tier` now when one is
 * given (an override while it lasts, spelled out): the cohort report's customers. */
async function cohortCustomers(from: string, email: string | null, tier: string | null = null): Promise<number> {
  const rows = await sql<{ n: string }>(
    `with months as (
       select distinct o.customer_id,
              date_trunc('month', o.ordered_at at time zone company_time_zone())::date as month
       from sales_order o join customer c on c.id = o.customer_id
       left join app_user u on u.id = c.owner_id
       left join customer_score s on s.customer_id = c.id
       where o.status = 'placed' and c.deleted_at is null
         and ($2::text is null or u.team_id = (select team_id from app_user where email = $2))
         and ($3::bigint is null or case when s.override_tier_id is not null
                   and (s.override_until is null
                        or s.override_until >= (now() at time zone company_time_zone())::date)
              then s.override_tier_id else s.computed_tier_id end = $3::bigint))
     select count(*)::text as n from (select customer_id, min(month) as cohort from months group by 1) f
     where f.cohort >= $1::date`,
    [from, email, tier],
  );
  return Number(rows[0].n);
}

test("a manager reads cohort retention, narrows it to a tier, and taps a cell to the customers behind it", async ({ page }) => {
  await signIn(page, MANAGER);
  await page.goto("/reports/cohorts");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "客户留存" })).toBeVisible();
  const rows = page.getByTestId("cohort-row");
  await expect(rows).toHaveCount(12);
  const firstCohort = await sql<{ month: string }>(
    `select to_char(date_trunc('month', now() at time zone company_time_zone()) - interval '11 months', 'YYYY-MM-DD') as month`,
  );
  const expected = await cohortCustomers(firstCohort[0].month, MANAGER);
  expect(expected).toBeGreaterThan(0);
  await expect(page.getByTestId("cohort-customers")).toHaveText(String(expected));
  await expect(page.getByTestId("retention-curve")).toBeVisible();
  await screenshot(page, "reports-04-cohorts-tablet");

  // A later cohort range by touch: the address follows, and the report narrows.
  const later = await sql<{ month: string; day: string }>(
    `select to_char(date_trunc('month', now() at time zone company_time_zone()) - interval '5 months', 'YYYY-MM') as month,
            to_char(date_trunc('month', now() at time zone company_time_zone()) - interval '5 months', 'YYYY-MM-DD') as day`,
  );
  await page.locator("#field-from").fill(later[0].month);
  await expect(page).toHaveURL(new RegExp(`from=${later[0].month}`));
  await expect(rows).toHaveCount(6);
  await expect(page.getByTestId("cohort-customers")).toHaveText(String(await cohortCustomers(later[0].day, MANAGER)));

  // Narrowed to the first tier: the customers in it now, by cohort; then every tier again.
  const tier = await page.locator("#field-tier option").nth(1).getAttribute("value");
  await page.locator("#field-tier").selectOption(tier!);
  await expect(page).toHaveURL(new RegExp(`tier=${tier}`));
  const inTier = await cohortCustomers(later[0].day, MANAGER, tier);
  expect(inTier).toBeGreaterThan(0);
  await expect(page.getByTestId("cohort-customers")).toHaveText(String(inTier));
  await page.locator("#field-tier").selectOption("");
  await expect(page).not.toHaveURL(/tier=/);

  // A cell with returning customers (the oldest the team has in three years, counted in SQL),
  // opened from a bookmarked one-cohort report and tapped: its customers, as many as it said.
  const cells = await sql<{ cohort: string; month: string; n: number }>(
    `with months as (
       select distinct o.customer_id,
              date_trunc('month', o.ordered_at at time zone company_time_zone())::date as month
       from sales_order o join customer c on c.id = o.customer_id
       join app_user u on u.id = c.owner_id
       where o.status = 'placed' and c.deleted_at is null
         and u.team_id = (select team_id from app_user where email = $1))
     select to_char(f.cohort, 'YYYY-MM') as cohort, to_char(m.month, 'YYYY-MM') as month, count(*)::int as n
     from months m join (select customer_id, min(month) as cohort from months group by 1) f using (customer_id)
     where m.month > f.cohort
       and f.cohort >= date_trunc('month', now() at time zone company_time_zone()) - interval '35 months'
     group by 1, 2 order by 1, 2 limit 1`,
    [MANAGER],
  );
  expect(cells.length).toBe(1);
  const { cohort, month, n: returning } = cells[0];
  await page.goto(`/reports/cohorts?from=${cohort}&to=${cohort}`);
  await hydrated(page);
  await expect(rows).toHaveCount(1);
  const cell = page.locator(`a[href*="cohort=${cohort}&month=${month}"]`);
  await expect(cell).toHaveAttribute("aria-label", new RegExp(`，${returning} 位`));
  await cell.tap();
  await page.waitForURL(new RegExp(`/reports/cohorts/customers\\?cohort=${cohort}&month=${month}`));
  await hydrated(page);
  await expect(page.getByTestId("cohort-cell-intro")).toContainText(`${returning} 位`);
  await expect(page.getByTestId("cohort-customer")).toHaveCount(Math.min(returning, 50));
  await screenshot(page, "reports-05-cohort-customers-tablet");

  // Refreshed, the same customers; back leads to the cohorts.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("cohort-customer")).toHaveCount(Math.min(returning, 50));
  await page.getByRole("link", { name: "返回报表" }).tap();
  await page.waitForURL(/\/reports\/cohorts/);
  await hydrated(page);
  await expect(rows.first()).toBeVisible();
});

test("a manager saves the by-rep report to the dashboard, and its tile opens the rep's orders", async ({ page }) => {
  await signIn(page, MANAGER);
  await page.goto("/reports/sales?by=owner");
  await hydrated(page);
  await page.getByRole("button", { name: "近 12 个月" }).tap();
  await expect(page).toHaveURL(/from=/);
  const [from, to] = await range(page);

  // Saved as a tile whose dates roll: the dialog offers the preset the page shows.
  await page.getByTestId("save-to-dashboard").tap();
  const dialog = page.getByTestId("save-report-dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog.locator("#field-saved-dates")).toHaveValue("last_12_months");
  await dialog.getByLabel("卡片名称").fill("团队近一年（按销售）");
  await screenshot(page, "reports-06-save-to-dashboard-tablet");
  await dialog.getByRole("button", { name: "保存" }).tap();
  await expect(page.locator(".toast").last()).toContainText("已保存到首页");
  await expect(dialog).toBeHidden();
  const [saved] = await sql<{ id: string }>(
    `select r.id::text from saved_report r join app_user u on u.id = r.user_id
     where u.email = $1 and r.title = '团队近一年（按销售）'`,
    [MANAGER],
  );

  // On the dashboard, opened directly: the tile names its range and lists the largest reps.
  await page.goto("/");
  await hydrated(page);
  const tile = page.getByTestId(`tile-report:${saved.id}`);
  await expect(tile.getByRole("heading", { name: "团队近一年（按销售）" })).toBeVisible();
  await expect(tile.getByTestId("tile-report-range")).toContainText(`${from} – ${to}`);
  await expect(tile.getByTestId("tile-report-range")).toContainText("近 12 个月");
  const bars = tile.getByTestId("tile-bar");
  await expect(bars.first()).toBeVisible();
  await tile.scrollIntoViewIfNeeded();
  await screenshot(page, "reports-07-saved-tile-tablet");

  // Its largest rep, tapped: that rep's orders over the same days, summing what SQL sums.
  const rep = (await bars.first().locator(".tile-bar-name").textContent())!.trim();
  await bars.first().locator("a").tap();
  await page.waitForURL(/\/reports\/orders\?/);
  await hydrated(page);
  expect(page.url()).toContain(`from=${from}`);
  expect(page.url()).toContain(`to=${to}`);
  const [owner] = await sql<{ email: string }>(`select email from app_user where display_name = $1`, [rep]);
  await expect
    .poll(async () => yuan(await page.getByTestId("orders-revenue").textContent()))
    .toBe(await revenue(from, to, owner.email));

  // Its heading opens the whole report with the same question.
  await page.goto("/");
  await hydrated(page);
  await tile.getByRole("link", { name: "团队近一年（按销售）" }).tap();
  await page.waitForURL(/\/reports\/sales\?/);
  await hydrated(page);
  expect(await range(page)).toEqual([from, to]);
  await expect(page.locator("#field-by")).toHaveValue("owner");

  // Deleted from "Arrange tiles" (after confirming), it is gone, also after a reload.
  await page.goto("/");
  await hydrated(page);
  await page.getByTestId("arrange-tiles").tap();
  await page.getByTestId(`arrange-report:${saved.id}`).getByTestId("tile-delete").tap();
  await page.getByTestId("delete-report-dialog").getByTestId("confirm").tap();
  await expect(page.locator(".toast").last()).toContainText("报表卡片已删除");
  await expect(tile).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("tile-forecast_vs_quota")).toBeVisible();
  await expect(tile).toHaveCount(0);
});

test("a manager reads win/loss for the year and taps a lost reason to the deals behind it", async ({ page }) => {
  await signIn(page, MANAGER);
  await page.goto("/reports/deals");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "赢单与丢单" })).toBeVisible();
  await page.getByRole("button", { name: "近 12 个月" }).tap();
  await expect(page).toHaveURL(/from=/);
  const [from, to] = await range(page);

  // Won and lost are the team's deals closed in the range, counted in SQL.
  const counted = await sql<{ kind: string; n: number }>(
    `select s.kind, count(*)::int as n from opportunity o
     join pipeline_stage s on s.id = o.stage_id join customer c on c.id = o.customer_id
     join app_user u on u.id = o.owner_id
     where s.kind in ('won', 'lost') and o.deleted_at is null and c.deleted_at is null
       and (o.closed_at at time zone company_time_zone())::date between $1::date and $2::date
       and u.team_id = (select team_id from app_user where email = $3)
     group by 1`,
    [from, to, MANAGER],
  );
  const count = (kind: string) => counted.find((row) => row.kind === kind)?.n ?? 0;
  expect(count("won") + count("lost")).toBeGreaterThan(0);
  await expect(page.getByTestId("deals-won")).toHaveText(String(count("won")));
  await expect(page.getByTestId("deals-lost")).toHaveText(String(count("lost")));
  await expect(page.getByTestId("record-bar").first()).toBeVisible();
  await screenshot(page, "reports-08-win-loss-tablet");

  // Set beside the as many days just before: won and lost there, counted in SQL the same way.
  await page.locator("#field-compare").selectOption("previous_period");
  await expect(page).toHaveURL(/compare=previous_period/);
  const before = await sql<{ kind: string; n: number }>(
    `select s.kind, count(*)::int as n from opportunity o
     join pipeline_stage s on s.id = o.stage_id join customer c on c.id = o.customer_id
     join app_user u on u.id = o.owner_id
     where s.kind in ('won', 'lost') and o.deleted_at is null and c.deleted_at is null
       and (o.closed_at at time zone company_time_zone())::date
           between $1::date - ($2::date - $1::date + 1) and $1::date - 1
       and u.team_id = (select team_id from app_user where email = $3)
     group by 1`,
    [from, to, MANAGER],
  );
  const earlier = (kind: string) => before.find((row) => row.kind === kind)?.n ?? 0;
  await expect(page.getByTestId("deals-won-compared")).toHaveText(new RegExp(`^${earlier("won")} · `));
  await expect(page.getByTestId("deals-lost-compared")).toHaveText(new RegExp(`^${earlier("lost")} · `));
  await screenshot(page, "reports-26-win-loss-compared-tablet");
  await page.locator("#field-compare").selectOption("none");
  await expect(page).not.toHaveURL(/compare=/);
  await expect(page.getByTestId("deals-won-compared")).toHaveCount(0);

  // The most frequent reason, tapped: its lost deals, as many as it counted.
  const reason = page.getByTestId("reason-row").first();
  const reasonName = (await reason.locator("th").textContent())!.trim();
  const reasonCount = Number((await reason.locator("td").first().textContent())!.trim());
  await reason.locator("td").first().getByRole("link").tap();
  await page.waitForURL(/\/reports\/deals\/list\?/);
  await hydrated(page);
  expect(decodeURIComponent(page.url())).toContain(`reason=${reasonName}`);
  await expect(page.getByTestId("closed-deal").first()).toBeVisible();
  await expect(page.getByTestId("closed-deal")).toHaveCount(Math.min(reasonCount, 50));
  const outcomes = await page.getByTestId("deal-outcome").allTextContents();
  expect(new Set(outcomes.map((o) => o.trim()))).toEqual(new Set(["丢单"]));
  await screenshot(page, "reports-09-lost-deals-tablet");

  // Back to the report with the range kept; a rep's won part of the bar opens their won deals.
  await page.getByRole("link", { name: "返回报表" }).tap();
  await page.waitForURL(/\/reports\/deals\?/);
  await hydrated(page);
  expect(await range(page)).toEqual([from, to]);
  const rep = (await page.getByTestId("record-row").first().locator("th").textContent())!.trim();
  await page.getByTestId("record-bar").first().getByTestId("record-won").tap();
  await page.waitForURL(/outcome=won/);
  await hydrated(page);
  expect(page.url()).toMatch(/owner=\d+/);
  const owners = await page.getByTestId("deal-owner").allTextContents();
  expect(new Set(owners.map((o) => o.trim()))).toEqual(new Set([rep]));
});

test("a manager follows the year's leads down the funnel and taps a step to the leads behind it", async ({ page }) => {
  await signIn(page, MANAGER);
  await page.goto("/reports/funnel");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "线索漏斗" })).toBeVisible();
  await page.getByRole("button", { name: "近 12 个月" }).tap();
  await expect(page).toHaveURL(/from=/);
  const [from, to] = await range(page);

  // Each step is the team's leads created in the range that reached it, counted in SQL.
  const [counted] = await sql<{ created: number; contacted: number; converted: number; won: number }>(
    `select count(*)::int as created, count(l.first_contacted_at)::int as contacted,
            count(l.opportunity_id)::int as converted, (count(*) filter (where s.kind = 'won'))::int as won
     from lead l join app_user u on u.id = l.owner_id
     left join opportunity o on o.id = l.opportunity_id and o.deleted_at is null
     left join pipeline_stage s on s.id = o.stage_id
     where l.deleted_at is null
       and (l.created_at at time zone company_time_zone())::date between $1::date and $2::date
       and u.team_id = (select team_id from app_user where email = $3)`,
    [from, to, MANAGER],
  );
  expect(counted.converted).toBeGreaterThan(0);
  for (const step of ["created", "contacted", "converted", "won"] as const) {
    await expect(page.locator(`[data-testid=funnel-row][data-step=${step}]`).getByTestId("step-count")).toHaveText(
      String(counted[step]),
    );
  }
  await expect(page.getByTestId("funnel-step")).toHaveCount(4);
  await expect(page.getByTestId("source-row").first()).toBeVisible();
  await screenshot(page, "reports-10-funnel-tablet");

  // The converted step's bar, tapped: its leads, every one converted, as many as it counted.
  await page.locator("[data-testid=funnel-step][data-step=converted] a").tap();
  await page.waitForURL(/\/reports\/funnel\/leads\?.*step=converted/);
  await hydrated(page);
  await expect(page.getByTestId("funnel-lead").first()).toBeVisible();
  await expect(page.getByTestId("funnel-lead")).toHaveCount(Math.min(counted.converted, 50));
  const statuses = await page.getByTestId("lead-status").allTextContents();
  expect(new Set(statuses.map((s) => s.trim()))).toEqual(new Set(["已转化"]));
  await screenshot(page, "reports-11-funnel-leads-tablet");

  // Back with the range kept; a source's row narrows the leads to that source.
  await page.getByRole("link", { name: "返回报表" }).tap();
  await page.waitForURL(/\/reports\/funnel\?/);
  await hydrated(page);
  expect(await range(page)).toEqual([from, to]);
  const source = page.getByTestId("source-row").first();
  const sourceName = (await source.locator("th").textContent())!.trim();
  await source.locator("td").first().getByRole("link").tap();
  await page.waitForURL(/source=/);
  await hydrated(page);
  const sources = await page.getByTestId("lead-source").allTextContents();
  expect(new Set(sources.map((s) => s.trim()))).toEqual(new Set([sourceName]));
});

test("a manager reads the year's churn, taps a reason to the customers who left for it, then narrows to a tier", async ({ page }) => {
  await signIn(page, MANAGER);
  await page.goto("/reports/churn");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "客户流失", level: 1 })).toBeVisible();
  await page.getByRole("button", { name: "近 12 个月" }).tap();
  await expect(page).toHaveURL(/from=/);
  const [from, to] = await range(page);

  // The team's customers marked former in the range, counted in SQL.
  const [counted] = await sql<{ n: number }>(
    `select count(*)::int as n from customer c join app_user u on u.id = c.owner_id
     where c.deleted_at is null and c.customer_type = 'former'
       and (c.churned_at at time zone company_time_zone())::date between $1::date and $2::date
       and u.team_id = (select team_id from app_user where email = $3)`,
    [from, to, MANAGER],
  );
  expect(counted.n).toBeGreaterThan(0);
  await expect(page.getByTestId("churned")).toHaveText(String(counted.n));
  // A column for every month the range touches: twelve or thirteen.
  expect(await page.getByTestId("churn-month").count()).toBeGreaterThanOrEqual(12);
  await expect(page.getByTestId("churn-reason-row").first()).toBeVisible();
  await screenshot(page, "reports-12-churn-tablet");

  // The most frequent reason, tapped: its customers, each gone for that reason.
  const reason = page.getByTestId("churn-reason-row").first();
  const reasonName = (await reason.locator("th").textContent())!.trim();
  const reasonCount = Number((await reason.locator("td").first().textContent())!.trim());
  await reason.locator("td").first().getByRole("link").tap();
  await page.waitForURL(/\/reports\/churn\/customers\?/);
  await hydrated(page);
  await expect(page.getByTestId("churned-customer").first()).toBeVisible();
  await expect(page.getByTestId("churned-customer")).toHaveCount(Math.min(reasonCount, 50));
  const reasons = await page.getByTestId("churn-reason").allTextContents();
  expect(new Set(reasons.map((r) => r.trim()))).toEqual(new Set([reasonName]));
  await screenshot(page, "reports-13-churned-customers-tablet");

  // Back with the range kept; a month's column opens that month's customers.
  await page.getByRole("link", { name: "返回报表" }).tap();
  await page.waitForURL(/\/reports\/churn\?/);
  await hydrated(page);
  expect(await range(page)).toEqual([from, to]);
  const month = page.getByTestId("churn-month-row").first();
  const monthCount = Number((await month.locator("td").first().textContent())!.trim());
  await month.locator("td").first().getByRole("link").tap();
  await page.waitForURL(/month=\d{4}-\d{2}/);
  await hydrated(page);
  await expect(page.getByTestId("churned-customer")).toHaveCount(Math.min(monthCount, 50));

  // Saved to the dashboard, the year's churn is a tile with the same count, its reasons links.
  await page.goBack();
  await page.waitForURL(/\/reports\/churn\?/);
  await hydrated(page);
  const tile = await savedAsTile(page, "团队今年流失", /this_year|last_12_months/);
  await expect(tile.getByTestId("tile-report-churned")).toHaveText(String(counted.n));
  await expect(tile.getByTestId("tile-bar").first()).toBeVisible();
  await tile.scrollIntoViewIfNeeded();
  await screenshot(page, "reports-14-churn-tile-tablet");

  // Narrowed to the top tier, the count is the team's former customers in that tier now.
  await page.goto(`/reports/churn?from=${from}&to=${to}`);
  await hydrated(page);
  const tier = await page.locator("#field-tier option").nth(1).getAttribute("value");
  await page.locator("#field-tier").selectOption(tier!);
  await expect(page).toHaveURL(new RegExp(`tier=${tier}`));
  const [inTier] = await sql<{ n: number }>(
    `select count(*)::int as n from customer c join app_user u on u.id = c.owner_id
     left join customer_score s on s.customer_id = c.id
     where c.deleted_at is null and c.customer_type = 'former'
       and (c.churned_at at time zone company_time_zone())::date between $1::date and $2::date
       and u.team_id = (select team_id from app_user where email = $3)
       and case when s.override_tier_id is not null
                 and (s.override_until is null
                      or s.override_until >= (now() at time zone company_time_zone())::date)
            then s.override_tier_id else s.computed_tier_id end = $4::bigint`,
    [from, to, MANAGER, tier],
  );
  await expect(page.getByTestId("churned")).toHaveText(String(inTier.n));
  expect(inTier.n).toBeLessThanOrEqual(counted.n);
  await screenshot(page, "reports-21-churn-in-a-tier-tablet");
});

/** Customers active, silent and former today, owned by `emails` (or by anyone when empty), with
 * the rule spelled out from the orders: what the current month's figures must show. */
async function statusesToday(emails: string[]): Promise<{ active: number; silent: number; former: number }> {
  const [row] = await sql<{ active: number; silent: number; former: number }>(
    `with today as (select (now() at time zone company_time_zone())::date as day),
     last as (
       select c.id, c.customer_type = 'former' and c.churned_at is not null as former,
              (select max((o.ordered_at at time zone company_time_zone())::date) from sales_order o
               where o.customer_id = c.id and o.status = 'placed') as day
       from customer c left join app_user u on u.id = c.owner_id
       where c.deleted_at is null and (cardinality($1::text[]) = 0 or u.email = any($1)))
     select count(*) filter (where not former and day >= (select day from today) - w.days)::int as active,
            count(*) filter (where not former and day < (select day from today) - w.days)::int as silent,
            count(*) filter (where former)::int as former
     from last cross join (select active_window_days as days from customer_settings) w`,
    [emails],
  );
  return row;
}

test("a manager reads customers over time and taps this month's silent customers", async ({ page }) => {
  await signIn(page, MANAGER);
  // Opened directly: the last twelve months by default.
  await page.goto("/reports/statuses");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "客户状态变化", level: 1 })).toBeVisible();
  await expect(page.getByTestId("status-month-row")).toHaveCount(12);
  const team = (
    await sql<{ email: string }>(
      `select u.email from app_user u join app_user m on m.team_id = u.team_id where m.email = $1`,
      [MANAGER],
    )
  ).map((r) => r.email);
  const today = await statusesToday(team);
  expect(today.active + today.silent).toBeGreaterThan(0);
  await expect(page.getByTestId("active-now")).toHaveText(String(today.active));
  await expect(page.getByTestId("silent-now")).toHaveText(String(today.silent));
  await expect(page.getByTestId("former-now")).toHaveText(String(today.former));
  await expect(page.getByTestId("statuses-chart")).toBeVisible();
  await screenshot(page, "reports-22-statuses-tablet");

  // This month's silent part of the chart, tapped: the customers silent today.
  await page.locator('[data-testid="status-part"][data-status="silent"]').last().locator("a").tap();
  await page.waitForURL(/\/reports\/statuses\/customers\?.*figure=silent/);
  await hydrated(page);
  await expect(page.getByTestId("status-customers-title")).toContainText("沉默客户");
  await expect(page.getByTestId("status-customer")).toHaveCount(Math.min(today.silent, 50));
  await screenshot(page, "reports-23-silent-customers-tablet");

  // Back; a month's "turned silent" cell opens the customers that turned silent in it.
  await page.getByRole("link", { name: "返回报表" }).tap();
  await page.waitForURL(/\/reports\/statuses(\?|$)/);
  await hydrated(page);
  const cells = page.getByTestId("turned-silent");
  const counts = (await cells.allTextContents()).map((t) => Number(t.trim()));
  const busiest = counts.indexOf(Math.max(...counts));
  expect(counts[busiest]).toBeGreaterThan(0);
  await cells.nth(busiest).getByRole("link").tap();
  await page.waitForURL(/figure=turned_silent/);
  await hydrated(page);
  await expect(page.getByTestId("status-customer")).toHaveCount(Math.min(counts[busiest], 50));

  // Saved to the dashboard (the last twelve months, rolling), the tile shows today's figures.
  await page.goto("/reports/statuses");
  await hydrated(page);
  const tile = await savedAsTile(page, "团队客户状态", "last_12_months");
  await expect(tile.getByTestId("tile-report-active")).toHaveText(String(today.active));
  await expect(tile.getByTestId("tile-bar")).toHaveCount(3);
  await tile.scrollIntoViewIfNeeded();
  await screenshot(page, "reports-24-statuses-tile-tablet");
});

test("a member's customers over time are their own customers only", async ({ page }) => {
  await signIn(page, MEMBER);
  await page.goto("/reports/statuses");
  await hydrated(page);
  const own = await statusesToday([MEMBER]);
  const everyone = await statusesToday([]);
  await expect(page.getByTestId("active-now")).toHaveText(String(own.active));
  await expect(page.getByTestId("silent-now")).toHaveText(String(own.silent));
  expect(own.active + own.silent).toBeLessThan(everyone.active + everyone.silent);
  const me = await sql<{ display_name: string }>(`select display_name from app_user where email = $1`, [MEMBER]);
  const choices = await page.locator("#field-owner option").allTextContents();
  expect(choices).toEqual(["全部", me[0].display_name]);
});

test("a manager reads the year's tier moves and taps a month's moves down to the customers", async ({ page }) => {
  await signIn(page, MANAGER);
  await page.goto("/reports/tiers");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "等级变动" })).toBeVisible();
  await page.getByRole("button", { name: "近 12 个月" }).tap();
  await expect(page).toHaveURL(/from=\d{4}-\d{2}-01/);
  const [from, to] = await range(page);

  // The team's moves up and down, counted directly.
  const counted = await sql<{ up: string; down: string }>(
    `select count(*) filter (where tt.position < ft.position)::text as up,
            count(*) filter (where tt.id is null or tt.position > ft.position)::text as down
     from tier_change tc join customer c on c.id = tc.customer_id
     join tier ft on ft.id = tc.from_tier_id left join tier tt on tt.id = tc.to_tier_id
     join app_user u on u.id = c.owner_id
     where c.deleted_at is null
       and (tc.at at time zone company_time_zone())::date between $1::date and $2::date
       and u.team_id = (select team_id from app_user where email = $3)`,
    [from, to, MANAGER],
  );
  await expect(page.getByTestId("moved-up")).toHaveText(counted[0].up);
  await expect(page.getByTestId("moved-down")).toHaveText(counted[0].down);
  expect(Number(counted[0].down)).toBeGreaterThan(0);
  await expect(page.getByTestId("moves-path-row").first()).toBeVisible();
  await screenshot(page, "reports-17-tier-moves-tablet");

  // A month with moves down, tapped in the table: its moves, all down.
  const rows = page.getByTestId("moves-month-row");
  const downs = (await rows.locator("td:nth-child(3)").allTextContents()).map(Number);
  const month = downs.findIndex((n) => n > 0);
  const row = rows.nth(month);
  const down = downs[month];
  await row.locator("td").nth(1).getByRole("link").tap();
  await page.waitForURL(/\/reports\/tiers\/customers\?.*direction=down/);
  await hydrated(page);
  await expect(page.getByTestId("customer-move")).toHaveCount(Math.min(down, 50));
  const directions = await page.getByTestId("move-direction").allTextContents();
  expect(new Set(directions.map((d) => d.trim()))).toEqual(new Set(["降级"]));
  await screenshot(page, "reports-18-tier-moves-down-tablet");
});

test("a manager reads the team's RFM grid, taps a cell to its customers, then narrows to a tier", async ({ page }) => {
  await signIn(page, MANAGER);
  await page.goto("/reports/value");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "客户价值" })).toBeVisible();

  // The team's graded customers, counted directly.
  const graded = (tier: string | null) =>
    sql<{ n: string }>(
      `select count(*)::text as n
       from customer_score s join customer c on c.id = s.customer_id
       join app_user u on u.id = c.owner_id
       where c.deleted_at is null
         and u.team_id = (select team_id from app_user where email = $1)
         and ($2::bigint is null or case when s.override_tier_id is not null
                and (s.override_until is null or s.override_until >= (now() at time zone company_time_zone())::date)
              then s.override_tier_id else s.computed_tier_id end = $2::bigint)`,
      [MANAGER, tier],
    );
  const all = (await graded(null))[0].n;
  expect(Number(all)).toBeGreaterThan(0);
  await expect(page.getByTestId("graded-customers")).toHaveText(all);
  await expect(page.getByTestId("tier-revenue-row").first()).toBeVisible();
  await expect(page.getByTestId("top-customer").first()).toBeVisible();
  await screenshot(page, "reports-19-customer-value-tablet");

  // The fullest cell, tapped: its customers, every one with that cell's R and F.
  const links = page.getByTestId("rfm-cell").getByRole("link");
  const counts = (await links.allTextContents()).map(Number);
  const fullest = counts.indexOf(Math.max(...counts));
  const label = (await links.nth(fullest).getAttribute("aria-label")) ?? "";
  const [, r, f] = label.match(/R (\S+)、F (\S+)：/) ?? [];
  await links.nth(fullest).tap();
  await page.waitForURL(/\/reports\/value\/customers\?.*r=/);
  await hydrated(page);
  await expect(page.getByTestId("value-customer")).toHaveCount(Math.min(counts[fullest], 50));
  const scores = await page.getByTestId("value-scores").allTextContents();
  expect(new Set(scores.map((s) => s.split(" / ").slice(0, 2).join(" / ")))).toEqual(new Set([`${r} / ${f}`]));
  await screenshot(page, "reports-20-customer-value-cell-tablet");

  // Back on the report, narrowed to the first tier: the figures follow.
  await page.getByRole("link", { name: "返回报表" }).tap();
  await page.waitForURL(/\/reports\/value(\?|$)/);
  await hydrated(page);
  const tier = await page.locator("#field-tier option").nth(1).getAttribute("value");
  await page.locator("#field-tier").selectOption(tier!);
  await expect(page).toHaveURL(new RegExp(`tier=${tier}`));
  await expect(page.getByTestId("graded-customers")).toHaveText((await graded(tier))[0].n);
});
