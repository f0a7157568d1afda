// Every page opened the way a bookmark or a refresh opens it: directly, without the sidebar.
// Each must answer 200, hydrate, show no error, and survive a reload, with no console error
// (the fixture fails the test on any). A page the role may not see answers 403, not 200.
import { expect, test } from "../support/fixtures";
import { ADMIN, MEMBER, hydrated, signIn, sql } from "../support/helpers";

/** Every route of the app; `:customer` and the like are filled from the demo data. */
const PAGES = [
  "/",
  "/account",
  "/customers",
  "/customers/new",
  "/customers/import",
  "/imports",
  "/customers/duplicates",
  "/customers/:customer",
  "/customers/:customer/edit",
  "/admin/products",
  "/admin/customers",
  "/admin/recycle-bin",
  "/admin/tiers",
  "/admin/loyalty",
  "/segments",
  "/insights/customers",
  "/jobs",
  "/exports",
  "/pipeline",
  "/opportunities/:opportunity",
  "/forecast",
  "/quotas",
  "/leads",
  "/leads/:lead",
  "/tasks",
  "/tickets",
  "/tickets/triage",
  "/tickets/:ticket",
  "/service",
  "/reports/sales",
  "/reports/sales?by=category",
  "/reports/sales?by=product&compare=previous_year",
  "/reports/orders",
  "/reports/cohorts",
  "/reports/cohorts/customers",
  "/reports/deals",
  "/reports/deals/list?outcome=lost",
  "/reports/funnel",
  "/reports/funnel/leads?step=converted",
  "/reports/churn",
  "/reports/churn/customers?reason=价格太高",
  "/reports/statuses",
  "/reports/statuses/customers?figure=turned_silent",
  "/reports/tiers",
  "/reports/tiers/customers?direction=down",
  "/reports/value",
  "/reports/value/customers?r=5&f=5",
  "/surveys",
  "/surveys/:survey",
  "/admin/service",
  "/admin/pipelines",
  "/admin/leads",
  "/admin/users",
  "/admin/teams",
  "/admin/access",
  "/admin/audit",
  "/admin/company",
  "/admin/backups",
];

const ADMIN_ONLY = PAGES.filter((path) => path.startsWith("/admin/"));
/** Pages for managers and admins. */
const MANAGERS_ONLY = ["/quotas"];

async function firstId(table: string, where = "true"): Promise<string> {
  const rows = await sql<{ id: string }>(`select min(id)::text as id from ${table} where ${where}`);
  return rows[0].id;
}

test("every page opened directly and refreshed renders, hydrates and logs no error", async ({ page }) => {
  test.setTimeout(240_000);
  await signIn(page, ADMIN);
  const ids: Record<string, string> = {
    customer: await firstId("customer", "deleted_at is null"),
    opportunity: await firstId("opportunity"),
    lead: await firstId("lead"),
    ticket: await firstId("ticket"),
    survey: await firstId("survey"),
  };
  for (const route of PAGES) {
    const path = route.replace(/:(\w+)/g, (_, key: string) => ids[key]);
    const response = await page.goto(path);
    expect(response?.status(), `${path} answers 200`).toBe(200);
    await hydrated(page);
    await expect(page.locator("main").first(), path).toBeVisible();
    await expect(page.locator(".notice-error"), `${path} shows no error`).toHaveCount(0);
    await page.reload();
    await hydrated(page);
    await expect(page.locator(".notice-error"), `${path} after a refresh`).toHaveCount(0);
  }
});

test("an edit page opened directly reacts at once", async ({ page }) => {
  await signIn(page, ADMIN);
  const customer = await firstId("customer", "deleted_at is null");
  await page.goto(`/customers/${customer}/edit`);
  await hydrated(page);
  const rows = page.getByTestId("contact-row");
  const before = await rows.count();
  await page.getByRole("button", { name: "添加联系人" }).click();
  await expect(rows).toHaveCount(before + 1);
});

test("the tier editor opened directly previews a changed rule", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto("/admin/tiers");
  await hydrated(page);
  const moves = page.getByTestId("tier-preview").getByTestId("preview-moves");
  await expect(moves).toContainText("升级 0 位");
  await page.getByTestId("tier-editor").locator("input[name=tier_rule_0]").fill("M >= 3");
  await expect(moves).not.toContainText("升级 0 位");
});

test.describe("refusals", () => {
  // Chromium logs the 403 document itself as a failed resource load.
  test.use({ expectedConsoleErrors: [/status of 403/] });

  test("a member opening an admin page gets 403 and the refusal, not half a page", async ({ page }) => {
    await signIn(page, MEMBER);
    for (const path of [...ADMIN_ONLY, ...MANAGERS_ONLY]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(403);
      await hydrated(page);
      await expect(page.locator(".notice-error").first(), path).toContainText("没有权限");
    }
  });
});

test("a list under a stream of others' changes refetches about once a second and settles", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto("/customers");
  await hydrated(page);
  await expect(page.getByTestId("customers").locator("tbody tr").first()).toBeVisible();
  let listRequests = 0;
  page.on("request", (request) => {
    if (request.url().includes("/api/list_customers")) listRequests += 1;
  });
  // What a write by someone else publishes after it commits, 40 times in about 2 s.
  const started = Date.now();
  const event = JSON.stringify({ topic: "customer", id: 1, audience: { RoleAtLeast: "member" } });
  for (let i = 0; i < 40; i += 1) {
    await sql("select pg_notify('guanxi_events', $1)", [event]);
    await page.waitForTimeout(50);
  }
  const seconds = (Date.now() - started) / 1000;
  await page.waitForTimeout(1500);
  // One refresh at the first change, then at most one per second of the burst, then one trailing.
  expect(listRequests, `${listRequests} list requests for 40 changes in ${seconds.toFixed(1)} s`).toBeGreaterThanOrEqual(2);
  expect(listRequests).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
  await expect(page.getByTestId("customers").locator("tbody tr").first()).toBeVisible();
  await expect(page.locator(".loading")).toHaveCount(0);
});
