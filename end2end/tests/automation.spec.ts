// Automation and care: an admin writes a win-back rule in the form, sees whom it would act on,
// switches it on and runs it; the silent customer's owner finds one task in "my day", however
// often the rules run. A birthday greeting goes out once, in the customer's language, and
// arrives at the SMTP sink. The care calendar shows a rule's task and a birthday, by month and
// week, and the rule's completion once the task is done. Pages are opened directly, as a bookmark
// would.
import { expect, test } from "../support/fixtures";
import { mailApi } from "../support/global-setup";
import { ADMIN, MEMBER, hydrated, screenshot, signIn, sql } from "../support/helpers";

/** Waits until no rule evaluation or rule email is queued or running. */
async function rulesSettled() {
  await expect
    .poll(
      async () =>
        Number(
          (
            await sql<{ n: string }>(
              "select count(*)::text as n from job where kind like 'automation%' and status in ('queued', 'running')",
            )
          )[0].n,
        ),
      { timeout: 60_000 },
    )
    .toBe(0);
}

test.afterAll(async () => {
  // Other journeys count tasks and emails: the rules written here stop acting.
  await sql("update automation_rule set active = false");
});

test.describe("a rule refused at a field", () => {
  // The merge field refused on purpose is a 422 answer, which the browser logs.
  test.use({ expectedConsoleErrors: [/status of 422/] });

test("a customer turning silent gets its owner one win-back task, however often the rules run", async ({ page, browser }) => {
  const name = `沉默客户 ${Date.now()}`;
  // Its only order, 181 days ago, left the 180-day active window today.
  const [customer] = await sql<{ id: string }>(
    `insert into customer (name, owner_id, order_count, first_order_at, last_order_at)
     values ($1, (select id from app_user where email = $2), 1,
             now() - interval '181 days', now() - interval '181 days')
     returning id::text as id`,
    [name, MEMBER],
  );
  // Whom such a rule acts on now, counted independently: silent within the last week, not former,
  // not opted out.
  const [expected] = await sql<{ n: string }>(
    `select count(*)::text as n from customer c, customer_settings s
     where c.deleted_at is null and c.merged_into is null and c.customer_type <> 'former'
       and not c.do_not_contact
       and c.last_order_at >= (((now() at time zone company_time_zone())::date - s.active_window_days - 8)::timestamp at time zone company_time_zone())
       and c.last_order_at < (((now() at time zone company_time_zone())::date - s.active_window_days)::timestamp at time zone company_time_zone())`,
  );

  await signIn(page, ADMIN);
  await page.goto("/automation");
  await hydrated(page);
  const form = page.getByTestId("rule-form");
  await form.getByLabel("规则名称").fill("沉默客户挽回");
  await form.getByLabel("发生的事").selectOption({ label: "客户变为沉默（最后一单超出活跃期）" });
  await form.getByLabel("动作").selectOption({ label: "给负责人建任务" });
  // A merge field that does not exist is refused at its field, in words.
  await form.getByLabel("任务标题").fill("挽回 {nickname}");
  await form.getByRole("button", { name: "预览人数" }).click();
  await expect(form.locator("#field-task_title").locator("xpath=..")).toContainText("只能使用这些合并字段");
  await form.getByLabel("任务标题").fill("挽回 {name}");
  await form.getByRole("button", { name: "预览人数" }).click();
  await expect(form.getByTestId("rule-preview")).toHaveText(`现在运行会处理 ${expected.n} 位客户。`);
  await form.getByLabel("启用").check();
  await screenshot(page, "automation-01-rule-form");
  await form.getByRole("button", { name: "保存" }).click();
  const line = page.getByTestId("rule").filter({ hasText: "沉默客户挽回" });
  await expect(line).toContainText("已启用");

  // Run twice: the second run finds nothing new to act on.
  for (let run = 0; run < 2; run++) {
    await page.getByTestId("run-rules").click();
    await rulesSettled();
  }
  const tasks = await sql<{ title: string; assignee: string }>(
    "select t.title, u.email as assignee from task t join app_user u on u.id = t.assignee_id where t.customer_id = $1",
    [customer.id],
  );
  expect(tasks).toEqual([{ title: `挽回 ${name}`, assignee: MEMBER }]);

  // The rule's page, opened directly, logs the customer acted on.
  const [rule] = await sql<{ id: string }>("select id::text as id from automation_rule where name = '沉默客户挽回'");
  await page.goto(`/automation/${rule.id}`);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("沉默客户挽回");
  await expect(page.getByTestId("rule-log-row").filter({ hasText: name })).toContainText("已建任务");
  await screenshot(page, "automation-02-rule-log");

  // The owner finds it in "my day".
  const context = await browser.newContext();
  const owner = await context.newPage();
  await signIn(owner, MEMBER);
  await owner.goto("/tasks");
  await hydrated(owner);
  await expect(owner.getByText(`挽回 ${name}`)).toHaveCount(1);
  await screenshot(owner, "automation-03-my-day");
  await context.close();
});
});

test("a birthday greeting goes out once, in the customer's language", async ({ page }) => {
  const stamp = Date.now();
  const name = `Amy Birthday ${stamp}`;
  const address = `amy-${stamp}@example.com`;
  // English-reading, with a birthday two days from today where the company is.
  await sql(
    `insert into customer (name, email, email_normalized, locale, birthday, owner_id)
     values ($1, $2, $2, 'en',
             make_date(1992, extract(month from (now() at time zone company_time_zone())::date + 2)::int,
                             extract(day from (now() at time zone company_time_zone())::date + 2)::int),
             (select id from app_user where email = $3))`,
    [name, address, MEMBER],
  );

  await signIn(page, ADMIN);
  await page.goto("/automation");
  await hydrated(page);
  const form = page.getByTestId("rule-form");
  await form.getByLabel("规则名称").fill("生日祝福");
  await form.getByLabel("发生的事").selectOption({ label: "客户生日临近" });
  await form.getByLabel("提前天数").fill("2");
  await form.getByLabel("动作").selectOption({ label: "用客户的语言给客户发邮件" });
  await form.getByLabel("邮件主题（中文）").fill("{name}，生日快乐");
  await form.getByLabel("邮件正文（中文）").fill("亲爱的 {name}：祝您生日快乐！");
  await form.getByLabel("邮件主题（英文）").fill("Happy birthday, {name}");
  await form.getByLabel("邮件正文（英文）").fill("Dear {name}, happy birthday from all of us.");
  await form.getByLabel("启用").check();
  await screenshot(page, "automation-04-greeting-form");
  await form.getByRole("button", { name: "保存" }).click();
  await expect(page.getByTestId("rule").filter({ hasText: "生日祝福" })).toContainText("已启用");

  for (let run = 0; run < 2; run++) {
    await page.getByTestId("run-rules").click();
    await rulesSettled();
  }
  type Mail = { to: { address: string }[]; subject: string; text: string };
  const toAmy = async () =>
    ((await (await fetch(mailApi)).json()) as Mail[]).filter((m) => m.to.some((t) => t.address === address));
  await expect.poll(async () => (await toAmy()).length, { timeout: 30_000 }).toBe(1);
  const [mail] = await toAmy();
  expect(mail.subject).toBe(`Happy birthday, ${name}`);
  expect(mail.text).toContain(`Dear ${name}, happy birthday from all of us.`);
});

test("the care calendar shows what is due, by month and week, and how the care rules' tasks were done", async ({ page }) => {
  const stamp = Date.now();
  const name = `关怀客户 ${stamp}`;
  const ruleName = `回访周期 ${stamp}`;
  const title = `回访 ${name}`;
  const today = "(now() at time zone company_time_zone())::date";
  // A customer of the member's with a birthday three days from today (born in a leap year, so
  // that any day of the year exists), and a care task of a rule, due at the end of today.
  const [customer] = await sql<{ id: string; birthday: string; years: string }>(
    `insert into customer (name, owner_id, birthday)
     values ($1, (select id from app_user where email = $2),
             make_date(1988, extract(month from ${today} + 3)::int, extract(day from ${today} + 3)::int))
     returning id::text as id, to_char(${today} + 3, 'YYYY-MM-DD') as birthday,
               (extract(year from ${today} + 3) - 1988)::text as years`,
    [name, MEMBER],
  );
  const [rule] = await sql<{ id: string }>(
    `insert into automation_rule (name, trigger_kind, days, action_kind, task_title)
     values ($1, 'no_contact', 30, 'task', '回访 {name}') returning id::text as id`,
    [ruleName],
  );
  const [task] = await sql<{ id: string; day: string }>(
    `insert into task (title, customer_id, assignee_id, due_at)
     values ($1, $2, (select id from app_user where email = $3),
             ((${today} + 1)::timestamp at time zone company_time_zone()) - interval '1 minute')
     returning id::text as id, to_char(${today}, 'YYYY-MM-DD') as day`,
    [title, customer.id, MEMBER],
  );
  await sql(
    `insert into automation_run (rule_id, customer_id, occurrence, outcome, task_id)
     values ($1, $2, ${today}, 'task_created', $3)`,
    [rule.id, customer.id, task.id],
  );

  // The week holding today (a month shows only a day's first few tasks).
  await signIn(page, MEMBER);
  await page.goto("/care?span=week");
  await hydrated(page);
  const todayCell = page.locator(`[data-testid=care-day][data-day="${task.day}"]`);
  const line = todayCell.getByTestId("care-task").filter({ hasText: title });
  await expect(line).toContainText(ruleName);
  const completionRow = page.getByTestId("completion-by-rule").getByRole("row").filter({ hasText: ruleName });
  await expect(completionRow.getByTestId("completion-rate")).toHaveText("0%");
  await screenshot(page, "automation-05-care-week");

  // Done in "my day": the calendar strikes it through and the rule's completion is full.
  await page.goto("/tasks");
  await hydrated(page);
  await page.getByTestId("task").filter({ hasText: title }).getByRole("checkbox").check();
  await expect(page.getByTestId("task").filter({ hasText: title })).toHaveCount(0);
  // From the month to its week, then refreshed as a bookmark would be.
  await page.goto("/care");
  await hydrated(page);
  await expect(page.getByTestId("care-grid")).not.toHaveClass(/care-week/);
  await screenshot(page, "automation-06-care-month");
  await page.getByTestId("care-week").click();
  await expect(page).toHaveURL(/span=week/);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("care-grid")).toHaveClass(/care-week/);
  await expect(line).toHaveClass(/care-done/);
  await expect(completionRow.getByTestId("completion-rate")).toHaveText("100%");

  // The birthday's month, opened directly: the customer's birthday with the age it comes to.
  await page.goto(`/care?span=month&day=${customer.birthday}`);
  await hydrated(page);
  const birthdayCell = page.locator(`[data-testid=care-day][data-day="${customer.birthday}"]`);
  await expect(birthdayCell.getByTestId("care-occasion")).toContainText(`${name} 生日（${customer.years} 岁）`);
  const [year, month] = customer.birthday.split("-").map(Number);
  await expect(page.getByTestId("care-period")).toHaveText(`${year}年${month}月`);
  await page.getByTestId("care-previous").click();
  const before = month === 1 ? `${year - 1}年12月` : `${year}年${month - 1}月`;
  await expect(page.getByTestId("care-period")).toHaveText(before);
});
