// The home dashboard: a manager on a tablet reads the team's tiles, taps through to the lists and
// the report behind them; a member's tiles hold only their own records; a member arranges and
// hides tiles, and the order survives a reload. Figures are checked against SQL.
import { Page } from "@playwright/test";
import { expect, test } from "../support/fixtures";
import { MANAGER, MEMBER, hydrated, screenshot, signIn, sql } from "../support/helpers";

test.use({ viewport: { width: 1024, height: 768 }, hasTouch: true });

/** Leads never contacted within the follow-up time, owned by the given accounts. */
async function waitingLeads(emails: string[]): Promise<number> {
  const rows = await sql<{ n: string }>(
    `select count(*)::text as n from lead l cross join lead_routing r
     join app_user u on u.id = l.owner_id
     where l.deleted_at is null and l.status = 'new' and l.first_contacted_at is null
       and l.created_at < now() - make_interval(hours => r.follow_up_hours)
       and u.email = any($1)`,
    [emails],
  );
  return Number(rows[0].n);
}

async function teamOf(email: string): Promise<string[]> {
  const rows = await sql<{ email: string }>(
    `select u.email from app_user u join app_user m on m.team_id = u.team_id where m.email = $1`,
    [email],
  );
  return rows.map((r) => r.email);
}

async function tileCount(page: Page, kind: string): Promise<number> {
  return Number(await page.getByTestId(`tile-${kind}`).getByTestId("tile-count").textContent());
}

test("a manager reads the team's dashboard on a tablet and taps through to the lists behind it", async ({ page }) => {
  await signIn(page, MANAGER);
  await page.goto("/");
  await hydrated(page);
  for (const kind of ["forecast_vs_quota", "revenue", "won_by_rep", "sla_attainment", "leads_waiting", "tier_drops", "open_pipeline"]) {
    await expect(page.getByTestId(`tile-${kind}`).locator("h2")).toBeVisible();
  }
  await screenshot(page, "home-01-manager-tablet");

  // Leads waiting: the team's, not the company's.
  const team = await teamOf(MANAGER);
  const expected = await waitingLeads(team);
  expect(await tileCount(page, "leads_waiting")).toBe(expected);

  await page.getByTestId("tile-leads_waiting").getByRole("link", { name: "超时未跟进的线索" }).tap();
  await page.waitForURL(/\/leads\?overdue=1/);
  await hydrated(page);
  await expect(page.getByLabel("只看超时未跟进")).toBeChecked();
  const rows = page.getByTestId("lead-row");
  if (expected > 0) {
    await expect(rows.first()).toBeVisible();
    expect(await rows.count()).toBe(Math.min(expected, 50));
    expect(await rows.getByTestId("overdue").count()).toBe(await rows.count());
  }

  // The revenue tile opens the sales report over the same days, with the same total.
  await page.goto("/");
  await hydrated(page);
  const tileRevenue = page.getByTestId("tile-revenue");
  await expect(tileRevenue.getByTestId("tile-revenue-total")).toBeVisible();
  await tileRevenue.getByRole("link", { name: "本月营收" }).tap();
  await page.waitForURL(/\/reports\/sales\?/);
  await hydrated(page);
  expect(page.url()).toMatch(/from=\d{4}-\d{2}-01/);
  expect(page.url()).toContain("compare=previous_year");
  await expect(page.getByTestId("sales-total-revenue")).toBeVisible();
  await screenshot(page, "home-02-revenue-report-tablet");
});

test("a member's tiles count only their own records, and their arrangement survives a reload", async ({ page }) => {
  const [member] = await sql<{ id: string }>(`select id::text from app_user where email = $1`, [MEMBER]);
  await sql(`delete from dashboard_layout where user_id = $1::bigint`, [member.id]);
  await signIn(page, MEMBER);
  await page.goto("/");
  await hydrated(page);
  await expect(page.getByTestId("tile-my_tasks").locator("h2")).toBeVisible();
  // The manager's and the admin's tiles are not offered to a member.
  await expect(page.getByTestId("tile-forecast_vs_quota")).toHaveCount(0);

  const [tasks] = await sql<{ overdue: string; today: string }>(
    `select count(*) filter (where t.due_at < now())::text as overdue,
            count(*) filter (where t.due_at >= now())::text as today
     from task t join app_user u on u.id = t.assignee_id
     where u.email = $1 and t.done_at is null and t.deleted_at is null
       and t.due_at < ((now() at time zone company_time_zone())::date + 1)::timestamp at time zone company_time_zone()`,
    [MEMBER],
  );
  await expect(page.getByTestId("tile-overdue")).toHaveText(tasks.overdue);
  await expect(page.getByTestId("tile-due-today")).toHaveText(tasks.today);
  expect(await tileCount(page, "leads_waiting")).toBe(await waitingLeads([MEMBER]));

  // Open pipeline: the member's own opportunities, summed.
  const [pipeline] = await sql<{ n: string }>(
    `select count(*)::text as n from opportunity o join app_user u on u.id = o.owner_id
     where u.email = $1 and o.closed_at is null and o.deleted_at is null`,
    [MEMBER],
  );
  const counts = await page.getByTestId("tile-open_pipeline").getByTestId("tile-bar").locator(".tile-bar-value").allTextContents();
  expect(counts.reduce((sum, text) => sum + Number(text.split("·")[0].trim()), 0)).toBe(Number(pipeline.n));
  await screenshot(page, "home-03-member-tablet");

  // Arrange: the silent customers first, the pipeline hidden; saved, then reloaded.
  await page.getByTestId("arrange-tiles").tap();
  const arrange = page.getByTestId("arrange");
  await expect(arrange).toBeVisible();
  for (let step = 0; step < 3; step++) {
    await arrange.getByTestId("arrange-turned_silent").getByTestId("tile-up").tap();
  }
  await arrange.getByTestId("arrange-open_pipeline").getByTestId("tile-hide").tap();
  await expect(arrange.getByTestId("hidden-open_pipeline")).toBeVisible();
  await screenshot(page, "home-04-arranging-tablet");
  await arrange.getByTestId("save-tiles").tap();
  await expect(arrange).toHaveCount(0);
  const order = async () =>
    (await page.getByTestId("tiles").locator("article").evaluateAll((tiles) => tiles.map((t) => t.getAttribute("data-testid"))));
  await expect.poll(order).toEqual(["tile-turned_silent", "tile-my_tasks", "tile-tickets_near_breach", "tile-leads_waiting"]);

  await page.reload();
  await hydrated(page);
  expect(await order()).toEqual(["tile-turned_silent", "tile-my_tasks", "tile-tickets_near_breach", "tile-leads_waiting"]);
  await expect(page.getByTestId("tile-open_pipeline")).toHaveCount(0);

  // Shown again from the hidden list, at the end.
  await page.getByTestId("arrange-tiles").tap();
  await page.getByTestId("hidden-open_pipeline").getByTestId("tile-show").tap();
  await page.getByTestId("save-tiles").tap();
  await expect(page.getByTestId("tile-open_pipeline").locator("h2")).toBeVisible();
  await sql(`delete from dashboard_layout where user_id = $1::bigint`, [member.id]);
});
