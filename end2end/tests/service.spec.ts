// Service: a ticket for a top-tier customer gets the tighter SLA; an agent replies and resolves
// it; the satisfaction survey arrives at a real SMTP sink; the customer answers "1" from the
// emailed link without signing in; that opens a follow-up ticket and shows on the 360 page.
import { expect, test } from "../support/fixtures";
import { mailApi } from "../support/global-setup";
import { ADMIN, hydrated, screenshot, signIn, sql } from "../support/helpers";

test.describe.configure({ mode: "serial" });

/** The survey link in the newest email to `to`, waiting for it to arrive. */
async function surveyLink(to: string): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const messages: { to: { address: string }[]; subject: string; text: string }[] = await (await fetch(mailApi)).json();
    // The agent's reply reaches the same address as an email of its own.
    const message = messages.reverse().find((m) => m.to.some((a) => a.address === to) && m.subject.includes("服务满意度"));
    if (message) {
      const link = message.text.match(/https?:\/\/\S+\/s\/[0-9a-f]{64}/);
      expect(link, message.text).not.toBeNull();
      return link![0];
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no email to ${to} arrived at the SMTP sink`);
}

test("a top-tier customer's ticket is resolved, surveyed by email, and a detractor's answer is followed up", async ({ page, browser }) => {
  // A top-tier demo customer, with an address of its own so its email is told apart.
  const email = `vip-${Date.now()}@example.com`;
  const [vip] = await sql<{ id: string; name: string }>(
    `update customer c set email = $1, locale = 'zh-CN' from customer_score s join tier t on t.id = s.computed_tier_id
     where s.customer_id = c.id and t.position = 1 and c.deleted_at is null
       and c.id = (select s2.customer_id from customer_score s2 join tier t2 on t2.id = s2.computed_tier_id
                   join customer c2 on c2.id = s2.customer_id
                   where t2.position = 1 and c2.deleted_at is null order by s2.customer_id limit 1)
     returning c.id::text as id, c.name`,
    [email],
  );
  expect(vip, "the demo data has a top-tier customer").toBeTruthy();
  const [plain] = await sql<{ id: string }>(
    `select c.id::text as id from customer c join customer_score s on s.customer_id = c.id join tier t on t.id = s.computed_tier_id
     where t.position > 1 and c.deleted_at is null order by c.id limit 1`,
  );

  await signIn(page, ADMIN);
  // A ticket for an ordinary customer first, to compare targets.
  await page.goto(`/customers/${plain.id}`);
  await hydrated(page);
  const plainSection = page.getByTestId("customer-service");
  await plainSection.getByRole("button", { name: "新建工单" }).click();
  await plainSection.getByTestId("ticket-form").getByLabel("主题").fill("普通客户的问题");
  await plainSection.getByTestId("ticket-form").getByRole("button", { name: "保存" }).click();
  await page.waitForURL(/\/tickets\/\d+$/);
  await hydrated(page);
  await expect(page.getByTestId("sla-targets")).toContainText("首次响应 4 小时");

  await page.goto(`/customers/${vip.id}`);
  await hydrated(page);
  const section = page.getByTestId("customer-service");
  await section.getByRole("button", { name: "新建工单" }).click();
  const form = section.getByTestId("ticket-form");
  await form.getByLabel("主题").fill("会员系统无法登录");
  await form.getByLabel("问题描述").fill("从昨天开始登录一直提示密码错误。");
  await form.getByRole("button", { name: "保存" }).click();
  await page.waitForURL(/\/tickets\/\d+$/);
  await hydrated(page);
  const ticketUrl = page.url();
  await expect(page.getByTestId("ticket-subject")).toHaveText("会员系统无法登录");
  // Top tier, normal priority: one hour to respond, eight to resolve (the others get 4 h / 1 d).
  await expect(page.getByTestId("sla-targets")).toContainText("首次响应 1 小时，解决 8 小时");
  await expect(page.getByTestId("ticket-tier")).toHaveText("高价值");
  await expect(page.getByTestId("sla-panel").getByTestId("sla")).toHaveAttribute("data-state", /ontrack|atrisk/);
  await screenshot(page, "service-ticket-new");

  // The agent claims it, replies to the customer, and resolves it.
  await page.getByTestId("claim").click();
  await expect(page.getByTestId("ticket-assignee")).not.toHaveText("—");
  await page.getByLabel("回复客户").fill("您好，已为您重置密码，请重新登录。");
  await page.getByRole("button", { name: "发送" }).click();
  await expect(page.getByTestId("conversation")).toContainText("已为您重置密码");
  await expect(page.getByTestId("ticket-status")).toHaveText("处理中");
  await expect(page.getByTestId("first-response-due")).toContainText("✓");
  await page.getByRole("button", { name: "改为：已解决" }).click();
  await expect(page.getByTestId("ticket-status")).toHaveText("已解决");
  await screenshot(page, "service-ticket-resolved");

  // The survey email arrives; the customer opens it on their own device, without a session.
  const link = await surveyLink(email);
  const customer = await browser.newContext({ locale: "zh-CN", viewport: { width: 390, height: 844 }, hasTouch: true });
  const phone = await customer.newPage();
  await phone.goto(link);
  await hydrated(phone);
  await expect(phone.getByTestId("public-survey")).toContainText("服务满意度");
  await phone.getByRole("button", { name: "提交" }).click();
  await expect(phone.getByTestId("survey-question").first()).toContainText("必填");
  await phone.getByTestId("survey-question").first().locator("[data-value='1']").click();
  await phone.getByTestId("survey-question").nth(2).locator("textarea").fill("等了一整天才有人回复。");
  await screenshot(phone, "service-survey-answer");
  await phone.getByRole("button", { name: "提交" }).click();
  await expect(phone.getByTestId("thank-you")).toBeVisible();
  await screenshot(phone, "service-survey-thanks");
  // The link works once.
  await phone.goto(link);
  await hydrated(phone);
  await expect(phone.getByTestId("survey-error")).toContainText("已经用过");
  await customer.close();

  // The answer opened a follow-up ticket and shows on the customer's 360 page.
  await page.goto(`/customers/${vip.id}`);
  await hydrated(page);
  await expect(page.getByTestId("last-satisfaction")).toContainText("CSAT 1");
  await expect(section.getByTestId("customer-ticket").filter({ hasText: "满意度回访" })).toHaveCount(1);
  await expect(page.locator(".timeline")).toContainText("CSAT 1");
  await screenshot(page, "service-customer-360");
  await section.getByTestId("customer-ticket").filter({ hasText: "满意度回访" }).getByRole("link").click();
  await hydrated(page);
  await expect(page.getByText("此工单跟进一份不满意的调查答复。")).toBeVisible();
  await expect(page.getByTestId("conversation")).toContainText("等了一整天才有人回复");
  expect(page.url()).not.toBe(ticketUrl);
});

test("the queues sort by deadline and show how close each clock is", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto("/tickets");
  await hydrated(page);
  await page.getByRole("tab", { name: "全部进行中" }).click();
  const rows = page.getByTestId("ticket-row");
  await expect(rows.first()).toBeVisible();
  // Deadline order: the late (red) ones first, then the rest, soonest first.
  const dues = (await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-due"))))) as number[];
  expect(dues.length).toBeGreaterThan(3);
  expect([...dues].sort((a, b) => a - b)).toEqual(dues);
  const states = await page.getByTestId("queue").getByTestId("sla").evaluateAll((els) => els.map((e) => e.getAttribute("data-state")));
  const firstOnTime = states.findIndex((s) => s !== "breached");
  expect(states.slice(firstOnTime).every((s) => s !== "breached")).toBe(true);
  await screenshot(page, "service-queue");
  await page.goto("/service");
  await hydrated(page);
  await expect(page.getByTestId("service-report")).toBeVisible();
  await screenshot(page, "service-report");
});
