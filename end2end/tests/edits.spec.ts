// Everyday edits: two people edit the same opportunity and the second is told who changed what,
// with nothing they typed lost; a task is edited, deleted, and restored by an admin from the
// recycle bin; a manager corrects a lead and gives it to a rep from the lead's own page; a
// manager sets a rep's quota while an admin has the same cell open; an interaction and a
// ticket are deleted and restored to their places.
import { expect, test } from "../support/fixtures";
import { ADMIN, MANAGER, MEMBER, hydrated, screenshot, signIn, sql } from "../support/helpers";

// A refused save is an error response, which Chromium logs.
test.use({ expectedConsoleErrors: [/status of (409|422)/] });

test("two people edit the same opportunity: the second is refused with who changed what", async ({ page, browser }) => {
  const [opportunity] = await sql<{ id: string }>(
    `select o.id::text as id from opportunity o join app_user u on u.id = o.owner_id
     where u.email = $1 and o.closed_at is null order by o.id limit 1`,
    [MEMBER],
  );
  const [manager] = await sql<{ name: string }>("select display_name as name from app_user where email = $1", [MANAGER]);

  // The rep opens the edit form first and starts typing.
  await signIn(page, MEMBER);
  await page.goto(`/opportunities/${opportunity.id}`);
  await hydrated(page);
  await page.getByTestId("edit-opportunity").click();
  const repForm = page.getByRole("dialog", { name: "编辑商机" });
  await expect(repForm).toBeVisible();
  await repForm.getByLabel("下一步").fill("周五上门演示");

  // Meanwhile the manager changes the amount from the same page, opened directly.
  const managerContext = await browser.newContext({ locale: "zh-CN", viewport: { width: 1024, height: 768 } });
  const managerPage = await managerContext.newPage();
  await signIn(managerPage, MANAGER);
  await managerPage.goto(`/opportunities/${opportunity.id}`);
  await hydrated(managerPage);
  await managerPage.getByTestId("edit-opportunity").click();
  const managerForm = managerPage.getByRole("dialog", { name: "编辑商机" });
  await managerForm.getByLabel("金额").fill("234567");
  await managerForm.getByRole("button", { name: "保存" }).click();
  await expect(managerPage.locator(".toast").last()).toContainText("已保存");
  await expect(managerPage.getByTestId("opportunity-amount")).toHaveText("¥234,567.00");

  // The rep saves: refused, naming the manager and the amount; what they typed is still there.
  await repForm.getByRole("button", { name: "保存" }).click();
  await expect(page.locator(".toast").last()).toContainText(`${manager.name} 在您打开之后修改了这条记录（金额）`);
  await expect(repForm.getByLabel("下一步")).toHaveValue("周五上门演示");
  await screenshot(page, "40-opportunity-edit-conflict");

  // Reopened on the saved version, the rep's change goes through beside the manager's.
  await repForm.getByRole("button", { name: "取消" }).click();
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("opportunity-amount")).toHaveText("¥234,567.00");
  await page.getByTestId("edit-opportunity").click();
  await repForm.getByLabel("下一步").fill("周五上门演示");
  await repForm.getByRole("button", { name: "保存" }).click();
  await expect(page.locator(".toast").last()).toContainText("已保存");
  await expect(page.locator("dl.facts")).toContainText("周五上门演示");
  await expect(page.getByTestId("opportunity-amount")).toHaveText("¥234,567.00");
  await managerContext.close();
});

test("a task is edited, deleted, and restored from the recycle bin by an admin", async ({ page, browser }) => {
  const title = `回访确认样品 ${Date.now()}`;
  await signIn(page, MEMBER);
  await page.goto("/tasks");
  await hydrated(page);
  const form = page.getByTestId("task-form");
  await form.getByLabel("任务").fill(title);
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10);
  await form.getByLabel("到期时间").fill(`${tomorrow}T10:00`);
  await form.getByRole("button", { name: "添加任务" }).click();
  const task = page.getByTestId("task").filter({ hasText: title });
  await expect(task).toHaveCount(1);

  // Edited: a new title and a high priority.
  await task.getByTestId("edit-task").click();
  const dialog = page.getByRole("dialog", { name: "编辑任务" });
  await dialog.getByLabel("任务").fill(`${title}（加急）`);
  await dialog.getByLabel("优先级").selectOption({ label: "高" });
  await screenshot(page, "41-task-edit");
  await dialog.getByRole("button", { name: "保存" }).click();
  await expect(page.locator(".toast").last()).toContainText("任务已保存");
  const edited = page.getByTestId("task").filter({ hasText: `${title}（加急）` });
  await expect(edited).toHaveCount(1);
  await expect(edited).toHaveClass(/high/);

  // Deleted: gone from the day, also after a reload.
  await edited.getByTestId("delete-task").click();
  await expect(page.locator(".toast").last()).toContainText("任务已移到回收站");
  await expect(edited).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("task").filter({ hasText: title })).toHaveCount(0);

  // An admin restores it from the recycle bin, opened directly.
  const adminContext = await browser.newContext({ locale: "zh-CN" });
  const admin = await adminContext.newPage();
  await signIn(admin, ADMIN);
  await admin.goto("/admin/recycle-bin");
  await hydrated(admin);
  const row = admin.getByTestId("recycle-bin-tasks").locator("tr").filter({ hasText: `${title}（加急）` });
  await expect(row).toContainText("张伟");
  await screenshot(admin, "42-recycle-bin");
  await row.getByRole("button", { name: "恢复" }).click();
  await expect(admin.locator(".toast").last()).toContainText("任务已恢复");
  await expect(row).toHaveCount(0);
  await adminContext.close();

  // Back in the rep's day, live and after a reload.
  await expect(page.getByTestId("task").filter({ hasText: `${title}（加急）` })).toHaveCount(1);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("task").filter({ hasText: `${title}（加急）` })).toHaveCount(1);
});

test("a manager raises a ticket's priority and reassigns it; the change shows on its conversation", async ({ page }) => {
  // An open ticket of a customer the manager's team owns, at low or normal priority.
  const [ticket] = await sql<{ id: string; assignee: string | null }>(
    `select t.id::text as id, a.display_name as assignee from ticket t
     join customer c on c.id = t.customer_id
     join app_user o on o.id = c.owner_id
     left join app_user a on a.id = t.assignee_id
     where o.team_id = (select team_id from app_user where email = $1)
       and t.status = 'open' and t.priority in ('low', 'normal')
     order by t.id limit 1`,
    [MANAGER],
  );
  const to = ticket.assignee === "张伟" ? "李娜" : "张伟";
  await signIn(page, MANAGER);
  await page.goto(`/tickets/${ticket.id}`);
  await hydrated(page);
  await page.getByTestId("edit-ticket").click();
  const dialog = page.getByRole("dialog", { name: "编辑工单" });
  await dialog.getByLabel("优先级").selectOption({ label: "高" });
  await dialog.getByLabel("处理人").selectOption({ label: to });
  await dialog.getByRole("button", { name: "保存" }).click();
  await expect(page.locator(".toast").last()).toContainText("工单已更新");
  await expect(page.getByTestId("ticket-assignee")).toHaveText(to);
  const change = page.getByTestId("ticket-change").last();
  await expect(change).toContainText("→ 高");
  await expect(change).toContainText(`${ticket.assignee ?? "—"} → ${to}`);
  await expect(change).toContainText("SLA 时限已按新的策略调整");
  await screenshot(page, "43-ticket-edit");
  // Opened again from a bookmark, the conversation still says it.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("ticket-change").last()).toContainText(`${ticket.assignee ?? "—"} → ${to}`);
});

test("a manager deletes a duplicate ticket from its page; an admin restores it from the recycle bin", async ({ page, browser }) => {
  // An open ticket of a customer the manager's team owns, not the one edited above.
  const [ticket] = await sql<{ id: string; subject: string }>(
    `select t.id::text as id, t.subject from ticket t
     join customer c on c.id = t.customer_id
     join app_user o on o.id = c.owner_id
     where o.team_id = (select team_id from app_user where email = $1)
       and t.status = 'open' and t.deleted_at is null
     order by t.id desc limit 1`,
    [MANAGER],
  );
  await signIn(page, MANAGER);
  await page.goto(`/tickets/${ticket.id}`);
  await hydrated(page);
  await page.getByTestId("delete-ticket").click();
  const confirm = page.getByTestId("confirm-delete-ticket");
  await expect(confirm).toContainText(`#${ticket.id}`);
  await expect(confirm).toContainText(ticket.subject);
  await confirm.getByTestId("confirm").click();
  await expect(page.locator(".toast").last()).toContainText("工单已移入回收站");
  await expect(page).toHaveURL(/\/tickets$/);
  // Not found by its number any more.
  await page.getByPlaceholder("搜索工单：编号、标题（包括已关闭的）").fill(`#${ticket.id}`);
  await expect(page.getByText("这个队列是空的")).toBeVisible();

  const adminContext = await browser.newContext({ locale: "zh-CN" });
  const admin = await adminContext.newPage();
  await signIn(admin, ADMIN);
  await admin.goto("/admin/recycle-bin");
  await hydrated(admin);
  const row = admin.getByTestId("recycle-bin-tickets").locator("tr").filter({ hasText: `#${ticket.id} ${ticket.subject}` });
  await expect(row).toBeVisible();
  await row.getByRole("button", { name: "恢复" }).click();
  await expect(admin.locator(".toast").last()).toContainText("工单已恢复");
  await expect(row).toHaveCount(0);
  await adminContext.close();

  // Back, from a bookmark.
  await page.goto(`/tickets/${ticket.id}`);
  await hydrated(page);
  await expect(page.getByTestId("ticket-subject")).toHaveText(ticket.subject);
});

test("a manager corrects a lead's phone and gives it to a rep from its page; the history says who did what", async ({ page }) => {
  // An open lead with a phone, owned within the manager's team.
  const [lead] = await sql<{ id: string; name: string; phone: string; owner: string }>(
    `select l.id::text as id, l.name, l.phone, o.display_name as owner from lead l
     join app_user o on o.id = l.owner_id
     where o.team_id = (select team_id from app_user where email = $1)
       and l.status in ('new', 'contacted', 'qualified') and l.phone is not null
     order by l.id limit 1`,
    [MANAGER],
  );
  const to = lead.owner === "张伟" ? "李娜" : "张伟";
  const phone = "13800135000";
  await signIn(page, MANAGER);
  // Opened as a bookmark opens it.
  await page.goto(`/leads/${lead.id}`);
  await hydrated(page);
  await expect(page.getByTestId("lead-name")).toHaveText(lead.name);
  await page.getByTestId("edit-lead").click();
  const dialog = page.getByRole("dialog", { name: "编辑线索" });
  await expect(dialog.getByLabel("电话")).toHaveValue(lead.phone);
  // A phone that is not one is refused at the field; nothing is saved.
  await dialog.getByLabel("电话").fill("12");
  await dialog.getByRole("button", { name: "保存" }).click();
  await expect(dialog.getByText("请输入有效的电话号码。")).toBeVisible();
  await dialog.getByLabel("电话").fill(phone);
  await dialog.getByLabel("负责人").selectOption({ label: to });
  await dialog.getByRole("button", { name: "保存" }).click();
  await expect(page.locator(".toast").last()).toContainText("线索已保存");
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("lead-phone")).toHaveText(phone);
  await expect(page.getByTestId("lead-owner")).toHaveText(to);
  const last = page.getByTestId("lead-history-entry").last();
  await expect(last).toContainText(`电话: ${lead.phone} → ${phone}`);
  await expect(last).toContainText(`负责人: ${lead.owner} → ${to}`);
  await expect(last).toContainText("李娜");
  await screenshot(page, "47-lead-page");
  // After a refresh the page says the same.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("lead-history-entry").last()).toContainText(`负责人: ${lead.owner} → ${to}`);
  // The list links each lead to its page.
  await page.goto(`/leads?search=${encodeURIComponent(lead.name)}`);
  await hydrated(page);
  await page.locator(`[data-testid="lead-row"] a[href="/leads/${lead.id}"]`).click();
  await page.waitForURL(`**/leads/${lead.id}`);
});

test("a manager sets a rep's quota while an admin has it open; the admin is told, the forecast measures against it", async ({ page, browser }) => {
  const [now] = await sql<{ month: string; year: string; m: string }>(
    `select to_char(now() at time zone company_time_zone(), 'YYYY-MM') as month,
            to_char(now() at time zone company_time_zone(), 'YYYY') as year,
            extract(month from now() at time zone company_time_zone())::int::text as m`,
  );
  const cellName = `张伟 · ${now.m}月`;

  // The admin opens the quotas first, on a tablet.
  const adminContext = await browser.newContext({ locale: "zh-CN", viewport: { width: 1024, height: 768 } });
  const admin = await adminContext.newPage();
  await signIn(admin, ADMIN);
  await admin.goto("/quotas");
  await hydrated(admin);
  await expect(admin.getByLabel(cellName)).toBeVisible();

  // The manager, from a bookmark: a bad amount stays with its message, a good one is saved.
  await signIn(page, MANAGER);
  await page.goto("/quotas");
  await hydrated(page);
  await expect(page.getByTestId("quota-year")).toHaveText(now.year);
  const cell = page.getByLabel(cellName);
  await cell.fill("十八万");
  await cell.press("Tab");
  const row = page.getByTestId("quota-row").filter({ has: cell });
  await expect(row.getByText("请输入有效的数字。")).toBeVisible();
  await expect(cell).toHaveValue("十八万");
  await cell.fill("188,000");
  await cell.press("Tab");
  await expect(cell).toHaveClass(/saved/);
  await screenshot(page, "48-quotas");

  // The admin, still on the version read before, changes the same cell: refused, told who;
  // the grid reloads with the manager's figure.
  const stale = admin.getByLabel(cellName);
  await stale.fill("200000");
  await stale.press("Tab");
  await expect(admin.locator(".toast").last()).toContainText("李娜");
  await expect(admin.getByLabel(cellName)).toHaveValue("188000.00");
  await adminContext.close();

  // After a refresh the figure is still there, and the forecast measures against it.
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel(cellName)).toHaveValue("188000.00");
  await page.goto("/forecast");
  await hydrated(page);
  const forecastRow = page.getByTestId("forecast-row").filter({ hasText: now.month }).filter({ hasText: "张伟" });
  await expect(forecastRow).toContainText("¥188,000.00");
});

/** "¥1,234.50" from minor units, as the app shows CNY amounts. */
function yuan(minor: number): string {
  return "¥" + (minor / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

test("a manager refunds part of one order and cancels another: the customer's totals follow", async ({ page, browser }) => {
  const [customer] = await sql<{ id: string; spend: string; orders: number }>(
    `select c.id::text as id, c.total_spend_minor::text as spend, c.order_count as orders
     from customer c join app_user u on u.id = c.owner_id
     where u.email = $1 and c.deleted_at is null and c.currency = 'CNY'
       and (select count(*) from sales_order o where o.customer_id = c.id and o.status = 'placed'
            and o.refunded_minor = 0 and o.total_minor >= 10000) >= 2
     order by c.id limit 1`,
    [MEMBER],
  );
  const placed = await sql<{ order_no: string; total: string }>(
    `select order_no, total_minor::text as total from sales_order
     where customer_id = $1 and status = 'placed' and refunded_minor = 0 and total_minor >= 10000
     order by ordered_at desc, id desc limit 2`,
    [customer.id],
  );
  const spend = Number(customer.spend);

  // The manager opens the customer from a bookmark and refunds ¥100 of the newest order.
  await signIn(page, MANAGER);
  await page.goto(`/customers/${customer.id}`);
  await hydrated(page);
  await expect(page.getByTestId("total-spend")).toHaveText(yuan(spend));
  await page.getByRole("tab", { name: "订单" }).click();
  const first = page.getByTestId("order").filter({ hasText: placed[0].order_no });
  await first.getByTestId("refund-order-button").click();
  const refund = page.getByRole("dialog", { name: `订单 ${placed[0].order_no} 退款` });
  await refund.getByLabel("退款金额").fill(String(Number(placed[0].total) / 100 + 1));
  await refund.getByLabel("原因").fill("包装破损");
  await refund.getByRole("button", { name: "退款" }).click();
  await expect(refund).toContainText("最多还能退");
  await refund.getByLabel("退款金额").fill("100");
  await refund.getByRole("button", { name: "退款" }).click();
  await expect(page.locator(".toast").last()).toContainText("退款已记录");
  await expect(first.getByTestId("order-status")).toContainText("已退 ¥100.00");
  await expect(first.getByTestId("order-refund")).toContainText("包装破损");
  await expect(page.getByTestId("total-spend")).toHaveText(yuan(spend - 10000));

  // The second order is cancelled with a reason: it stops counting.
  const second = page.getByTestId("order").filter({ hasText: placed[1].order_no });
  await second.getByTestId("cancel-order-button").click();
  const cancel = page.getByRole("dialog", { name: `取消订单 ${placed[1].order_no}` });
  await cancel.getByRole("button", { name: "取消订单" }).click();
  await expect(cancel).toContainText("必填");
  await cancel.getByLabel("原因").fill("客户重复下单");
  await cancel.getByRole("button", { name: "取消订单" }).click();
  await expect(page.locator(".toast").last()).toContainText("订单已取消");
  await expect(second.getByTestId("order-status")).toContainText("已取消");
  await expect(second.getByTestId("order-status")).toContainText("客户重复下单");
  await expect(page.getByTestId("order-count")).toHaveText(String(customer.orders - 1));
  await expect(page.getByTestId("total-spend")).toHaveText(yuan(spend - 10000 - Number(placed[1].total)));
  await screenshot(page, "49-order-refund-cancel");
  await page.getByRole("tab", { name: /时间线/ }).click();
  await expect(page.getByTestId("timeline")).toContainText("原因：客户重复下单");

  // The rep, on the same customer after a refresh, may correct an order but not reverse one.
  const repContext = await browser.newContext({ locale: "zh-CN", viewport: { width: 1280, height: 900 } });
  const rep = await repContext.newPage();
  await signIn(rep, MEMBER);
  await rep.goto(`/customers/${customer.id}`);
  await hydrated(rep);
  await rep.getByRole("tab", { name: "订单" }).click();
  const repFirst = rep.getByTestId("order").filter({ hasText: placed[0].order_no });
  await expect(repFirst.getByTestId("correct-order-button")).toBeVisible();
  await expect(repFirst.getByTestId("refund-order-button")).toHaveCount(0);
  await expect(rep.getByTestId("cancel-order-button")).toHaveCount(0);
  await repFirst.getByTestId("correct-order-button").click();
  const correction = rep.getByRole("dialog", { name: `更正订单 ${placed[0].order_no}` });
  await correction.getByLabel("备注").fill("客户要求开专票");
  await correction.getByLabel("原因").fill("补充备注");
  await screenshot(rep, "50-order-correction");
  await correction.getByRole("button", { name: "保存更正" }).click();
  await expect(rep.locator(".toast").last()).toContainText("订单已更正");
  await repContext.close();
});

test("a rep deletes a spam lead from its page and an admin restores it from the recycle bin", async ({ page, browser }) => {
  const name = `推广短信 ${Date.now() % 100000}`;
  const [lead] = await sql<{ id: string }>(
    `insert into lead (name, phone, owner_id, source)
     select $1, '13912345678', id, 'phone' from app_user where email = $2 returning id::text as id`,
    [name, MEMBER],
  );

  await signIn(page, MEMBER);
  await page.goto(`/leads/${lead.id}`);
  await hydrated(page);
  await expect(page.getByTestId("lead-name")).toHaveText(name);
  await page.getByTestId("delete-lead").click();
  const confirm = page.getByTestId("confirm-delete-lead");
  await expect(confirm).toContainText(name);
  await confirm.getByTestId("confirm").click();
  await expect(page.locator(".toast").last()).toContainText("线索已移到回收站");
  await expect(page).toHaveURL(/\/leads$/);
  await hydrated(page);
  await expect(page.getByText(name)).toHaveCount(0);

  const adminContext = await browser.newContext({ locale: "zh-CN" });
  const admin = await adminContext.newPage();
  await signIn(admin, ADMIN);
  await admin.goto("/admin/recycle-bin");
  await hydrated(admin);
  const row = admin.getByTestId("recycle-bin-leads").locator("tr").filter({ hasText: name });
  await expect(row).toContainText("张伟");
  await row.getByRole("button", { name: "恢复" }).click();
  await expect(admin.locator(".toast").last()).toContainText("线索已恢复");
  await expect(row).toHaveCount(0);
  await adminContext.close();

  // Back, from a bookmark, with both steps in its history.
  await page.goto(`/leads/${lead.id}`);
  await hydrated(page);
  await expect(page.getByTestId("lead-name")).toHaveText(name);
  await expect(page.getByTestId("lead-history")).toContainText("移到回收站");
  await expect(page.getByTestId("lead-history")).toContainText("从回收站恢复");
});

test("a rep corrects an interaction's outcome, then deletes it; an admin restores it to the timeline", async ({ page, browser }) => {
  const [customer] = await sql<{ id: string }>(
    `select c.id::text as id from customer c join app_user u on u.id = c.owner_id
     where u.email = $1 and c.deleted_at is null order by c.id desc limit 1`,
    [MEMBER],
  );
  const subject = `电话回访 ${Date.now() % 100000}`;
  await signIn(page, MEMBER);
  await page.goto(`/customers/${customer.id}`);
  await hydrated(page);
  await page.getByRole("button", { name: "记录互动" }).click();
  const log = page.getByTestId("interaction-form");
  await log.getByLabel("主题").fill(subject);
  await log.getByLabel("结果").fill("客户考虑中");
  await log.getByRole("button", { name: "记录互动" }).click();
  await expect(page.locator(".toast").last()).toContainText("互动已记录");

  await page.getByRole("tab", { name: "互动记录" }).click();
  const item = page.getByTestId("interaction").filter({ hasText: subject });
  await item.getByTestId("edit-interaction").click();
  const dialog = page.getByRole("dialog", { name: "编辑互动" });
  await expect(dialog.getByLabel("主题")).toHaveValue(subject);
  await dialog.getByLabel("结果").fill("客户同意下周签约");
  await dialog.getByRole("button", { name: "保存" }).click();
  await expect(page.locator(".toast").last()).toContainText("互动已保存");
  await expect(item).toContainText("客户同意下周签约");

  // After a refresh, the timeline says what changed.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("timeline")).toContainText(`修改了互动「${subject}」：结果`);

  // Logged on the wrong customer after all: deleted, after a confirmation naming it.
  await page.getByRole("tab", { name: "互动记录" }).click();
  await item.getByTestId("delete-interaction").click();
  const confirm = page.getByTestId("confirm-delete-interaction");
  await expect(confirm).toContainText(subject);
  await confirm.getByTestId("confirm").click();
  await expect(page.locator(".toast").last()).toContainText("互动已移入回收站");
  await expect(item).toHaveCount(0);
  await page.getByRole("tab", { name: "时间线" }).click();
  await expect(page.getByTestId("timeline")).toContainText(`将互动「${subject}」移入回收站`);

  // An admin restores it from the recycle bin, opened directly.
  const adminContext = await browser.newContext({ locale: "zh-CN" });
  const admin = await adminContext.newPage();
  await signIn(admin, ADMIN);
  await admin.goto("/admin/recycle-bin");
  await hydrated(admin);
  const row = admin.getByTestId("recycle-bin-interactions").locator("tr").filter({ hasText: subject });
  await expect(row).toContainText("张伟");
  await screenshot(admin, "54-recycle-bin-interactions");
  await row.getByRole("button", { name: "恢复" }).click();
  await expect(admin.locator(".toast").last()).toContainText("互动已恢复");
  await expect(row).toHaveCount(0);
  await adminContext.close();

  // Back in its place, after a refresh.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("timeline")).toContainText(`从回收站恢复了互动「${subject}」`);
  await page.getByRole("tab", { name: "互动记录" }).click();
  await expect(page.getByTestId("interaction").filter({ hasText: subject })).toContainText("客户同意下周签约");
});

test("a rep deletes a duplicate opportunity from its page; an admin restores it to the board", async ({ page, browser }) => {
  const [opportunity] = await sql<{ id: string; title: string }>(
    `select o.id::text as id, o.title from opportunity o join app_user u on u.id = o.owner_id
     where u.email = $1 and o.closed_at is null and o.deleted_at is null order by o.id desc limit 1`,
    [MEMBER],
  );
  await signIn(page, MEMBER);
  await page.goto(`/opportunities/${opportunity.id}`);
  await hydrated(page);
  await page.getByTestId("delete-opportunity").click();
  const confirm = page.getByTestId("confirm-delete-opportunity");
  await expect(confirm).toContainText(opportunity.title);
  await confirm.getByTestId("confirm").click();
  await expect(page.locator(".toast").last()).toContainText("商机已移到回收站");
  await expect(page).toHaveURL(/\/pipeline$/);

  const adminContext = await browser.newContext({ locale: "zh-CN" });
  const admin = await adminContext.newPage();
  await signIn(admin, ADMIN);
  await admin.goto("/admin/recycle-bin");
  await hydrated(admin);
  const row = admin.getByTestId("recycle-bin-opportunities").locator("tr").filter({ hasText: opportunity.title });
  await expect(row).toContainText("张伟");
  await screenshot(admin, "51-recycle-bin-opportunities");
  await row.getByRole("button", { name: "恢复" }).click();
  await expect(admin.locator(".toast").last()).toContainText("商机已恢复");
  await adminContext.close();

  await page.goto(`/opportunities/${opportunity.id}`);
  await hydrated(page);
  await expect(page.getByTestId("opportunity-title")).toHaveText(opportunity.title);
});
