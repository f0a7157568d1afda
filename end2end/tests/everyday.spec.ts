// Everyday tools: Ctrl+K finds a ticket by its number and a customer by a phone fragment from any
// page; a manager assigns a ticket and the assignee's bell, open in another browser, counts it
// live while the email arrives at the SMTP sink; an agent's reply is emailed and the customer's
// answer, delivered to the IMAP mailbox, appears in the conversation with its photo, which
// downloads; an email from an unknown address (with a file) is triaged into a ticket for the customer an agent
// picks; the pipeline's list view finds an opportunity by a word of its title.
import { readFileSync } from "node:fs";
import { expect, test } from "../support/fixtures";
import { deskAddress, mailApi } from "../support/global-setup";
import { ADMIN, MANAGER, MEMBER, deliverToMailbox, hydrated, screenshot, signIn, sql } from "../support/helpers";

test("Ctrl+K finds a ticket by its number and a customer by a phone fragment", async ({ page }) => {
  const [ticket] = await sql<{ id: string; subject: string }>(
    "select id::text as id, subject from ticket order by id desc limit 1",
  );
  // A phone whose seven middle digits belong to that customer alone.
  const [customer] = await sql<{ id: string; name: string; fragment: string }>(
    `select c.id::text as id, c.name, substr(c.phone_normalized, 3, 7) as fragment from customer c
     where c.deleted_at is null and length(c.phone_normalized) = 11
       and (select count(*) from customer o
            where o.search_text like '%' || substr(c.phone_normalized, 3, 7) || '%') = 1
     order by c.id limit 1`,
  );
  await signIn(page, ADMIN);
  await page.goto("/pipeline");
  await hydrated(page);

  // From the keyboard, on a page that has nothing to do with tickets.
  await page.keyboard.press("Control+k");
  const dialog = page.getByRole("dialog", { name: "全局搜索" });
  await expect(dialog).toBeVisible();
  const input = dialog.getByRole("combobox");
  await expect(input).toBeFocused();
  await input.fill(`#${ticket.id}`);
  const hit = dialog.getByRole("option", { name: new RegExp(`#${ticket.id} `) });
  await expect(hit).toContainText(ticket.subject);
  await expect(dialog.locator(".search-kind").first()).toHaveText("工单");
  await screenshot(page, "43-search-ticket-number");
  await input.press("Enter");
  await page.waitForURL(`**/tickets/${ticket.id}`);
  await expect(page.locator("h1")).toContainText(ticket.subject);

  // Typed as people say a phone number, with a space.
  await page.keyboard.press("Control+k");
  await expect(dialog).toBeVisible();
  await dialog.getByRole("combobox").fill(`${customer.fragment.slice(0, 3)} ${customer.fragment.slice(3)}`);
  const found = dialog.getByRole("option").filter({ hasText: customer.name }).first();
  await expect(found).toBeVisible();
  await expect(dialog.locator(".search-kind").first()).toHaveText("客户");
  await screenshot(page, "44-search-phone");
  await found.click();
  await page.waitForURL(`**/customers/${customer.id}`);
  await expect(page.locator("h1")).toContainText(customer.name);

  // Only the mark of a ticket number so far: what is needed is said, not an empty list.
  await page.keyboard.press("Control+k");
  await dialog.getByRole("combobox").fill("#");
  await expect(dialog.getByRole("status")).toHaveText("请输入至少 1 个汉字，或 3 个字母、4 位数字");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
});

test("a manager assigns a ticket: the assignee's bell counts it live and the email arrives", async ({ page, browser }) => {
  // An open ticket of the manager's team that is not the member's yet.
  const [ticket] = await sql<{ id: string; subject: string }>(
    `select t.id::text as id, t.subject from ticket t
     join customer c on c.id = t.customer_id
     join app_user o on o.id = c.owner_id
     where o.team_id = (select team_id from app_user where email = $1)
       and t.status in ('new', 'open')
       and t.assignee_id is distinct from (select id from app_user where email = $2)
     order by t.id desc limit 1`,
    [MANAGER, MEMBER],
  );
  await sql("update notification set read_at = now() where user_id = (select id from app_user where email = $1)", [MEMBER]);
  const unread = async () =>
    Number((await sql<{ n: string }>(
      "select count(*)::text as n from notification where read_at is null and user_id = (select id from app_user where email = $1)",
      [MEMBER],
    ))[0].n);

  // The member has Guanxi open on the customer list; nothing unread.
  await signIn(page, MEMBER);
  await page.goto("/customers");
  await hydrated(page);
  await expect(page.getByTestId("bell-count")).toHaveCount(0);

  // The manager, in another browser, assigns the ticket to the member.
  const managerContext = await browser.newContext({ locale: "zh-CN" });
  const manager = await managerContext.newPage();
  await signIn(manager, MANAGER);
  await manager.goto(`/tickets/${ticket.id}`);
  await hydrated(manager);
  await manager.getByTestId("edit-ticket").click();
  const dialog = manager.getByRole("dialog", { name: "编辑工单" });
  await dialog.getByLabel("处理人").selectOption({ label: "张伟" });
  await dialog.getByRole("button", { name: "保存" }).click();
  await expect(manager.locator(".toast").last()).toContainText("工单已更新");
  await managerContext.close();

  // Live, without a reload: the bell counts it (what the database holds unread, as due tasks
  // may be told at the same time).
  const bell = page.getByTestId("bell-count");
  await expect(bell).toBeVisible();
  await expect(async () => expect(await bell.textContent()).toBe(String(await unread()))).toPass();
  await page.getByTestId("bell").click();
  const sentence = `李娜 把工单“#${ticket.id} ${ticket.subject}”分配给了你`;
  const item = page.getByTestId("bell-list").locator("li").filter({ hasText: sentence });
  await expect(item).toHaveCount(1);
  await expect(item).toHaveClass(/unread/);
  await screenshot(page, "45-bell");

  // The email reached the SMTP sink, with the link to the ticket.
  await expect(async () => {
    const messages: { to: { address: string }[]; subject: string; text: string }[] = await (await fetch(mailApi)).json();
    const message = messages.find((m) => m.to.some((a) => a.address === MEMBER) && m.subject === sentence);
    expect(message, "the assignment email").toBeTruthy();
    expect(message!.text).toContain(`/tickets/${ticket.id}`);
  }).toPass({ timeout: 30_000 });

  // Opening it from the bell reads it and shows the ticket.
  const before = await unread();
  await item.locator("a").click();
  await page.waitForURL(`**/tickets/${ticket.id}`);
  await expect(page.getByTestId("ticket-assignee")).toHaveText("张伟");
  await expect(async () => expect(await unread()).toBe(before - 1)).toPass();

  // Unread again (as if just arrived): mark all read empties the count, also after a reload.
  await sql(
    `update notification set read_at = null
     where user_id = (select id from app_user where email = $1) and kind = 'ticket_assigned' and entity_id = $2`,
    [MEMBER, ticket.id],
  );
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("bell-count")).toBeVisible();
  await page.getByTestId("bell").click();
  await page.getByTestId("mark-all-read").click();
  await expect(page.getByTestId("bell-count")).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("bell-count")).toHaveCount(0);
});

/** The eight-byte PNG signature: enough of a file to travel as an attachment. */
const PHOTO = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test("an agent's reply is emailed and the customer's emailed answer appears in the conversation", async ({ page }) => {
  // An open ticket with no contact, its customer given an address of its own.
  const address = `buyer-${Date.now()}@example.com`;
  const [ticket] = await sql<{ id: string; subject: string }>(
    `select t.id::text as id, t.subject from ticket t
     where t.status in ('new', 'open') and t.contact_id is null order by t.id limit 1`,
  );
  await sql(
    "update customer set email = $1, email_normalized = $1, locale = 'zh-CN' where id = (select customer_id from ticket where id = $2)",
    [address, ticket.id],
  );
  await signIn(page, ADMIN);
  await page.goto(`/tickets/${ticket.id}`);
  await hydrated(page);
  await page.getByLabel("回复客户").fill("请拍一张底座的照片发给我们。");
  await page.getByRole("button", { name: "发送" }).click();
  const conversation = page.getByTestId("conversation");
  const reply = conversation.locator("li").filter({ hasText: "请拍一张底座的照片发给我们。" });
  await expect(reply.getByTestId("email-status")).toHaveText("已发邮件给客户", { timeout: 30_000 });

  // The email at the SMTP sink: numbered subject, from the desk, with its Message-ID.
  let messageId = "";
  await expect(async () => {
    const messages: { to: { address: string }[]; subject: string; from: { address: string }[]; headers: Record<string, string> }[] =
      await (await fetch(mailApi)).json();
    const sent = messages.find((m) => m.to.some((a) => a.address === address));
    expect(sent, "the reply email").toBeTruthy();
    expect(sent!.subject).toBe(`[#${ticket.id}] ${ticket.subject}`);
    expect(sent!.from[0].address).toBe(deskAddress);
    messageId = sent!.headers["message-id"];
  }).toPass({ timeout: 30_000 });

  // The customer answers from their mail program; the mailbox is read and the answer appears,
  // live, in the conversation.
  await deliverToMailbox(
    [
      `From: 买家 <${address}>`,
      `To: ${deskAddress}`,
      `Subject: =?UTF-8?B?${Buffer.from(`回复：[#${ticket.id}] ${ticket.subject}`).toString("base64")}?=`,
      `Message-ID: <answer-${Date.now()}@example.com>`,
      `In-Reply-To: ${messageId}`,
      `References: ${messageId}`,
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="part"',
      "",
      "--part",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      "照片在附件里，底座有一道裂缝。",
      "--part",
      "Content-Type: image/png",
      `Content-Disposition: attachment; filename*=UTF-8''${encodeURIComponent("底座.png")}`,
      "Content-Transfer-Encoding: base64",
      "",
      PHOTO.toString("base64"),
      "--part--",
    ].join("\n"),
  );
  const answer = conversation.locator("li").filter({ hasText: "照片在附件里，底座有一道裂缝。" });
  await expect(answer).toHaveCount(1, { timeout: 30_000 });
  await expect(answer.getByTestId("email-from")).toHaveText(`来自邮件 ${address}`);
  await screenshot(page, "46-ticket-email-thread");

  // The photo downloads as the customer named it, byte for byte.
  const downloading = page.waitForEvent("download");
  await answer.getByTestId("attachment").click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe("底座.png");
  expect(readFileSync(await download.path())).toEqual(PHOTO);
  await page.reload();
  await hydrated(page);
  await expect(answer).toHaveCount(1);
});

test("the pipeline's list view finds a rep's opportunity by a word of its title", async ({ page }) => {
  // One of the member's open opportunities whose title no other of theirs contains.
  const [opportunity] = await sql<{ id: string; title: string }>(
    `select o.id::text as id, o.title from opportunity o join app_user u on u.id = o.owner_id
     where u.email = $1 and o.closed_at is null
       and (select count(*) from opportunity p where p.owner_id = o.owner_id
            and p.title like '%' || o.title || '%') = 1
     order by o.id limit 1`,
    [MEMBER],
  );
  await signIn(page, MEMBER);
  await page.goto("/pipeline");
  await hydrated(page);
  await page.getByRole("button", { name: "列表", exact: true }).click();
  const list = page.getByTestId("opportunity-list");
  await expect(list.locator("tbody tr").first()).toBeVisible();
  await page.getByLabel("搜索商机").fill(opportunity.title);
  await expect(list.locator("tbody tr")).toHaveCount(1);
  await expect(list.locator("tbody tr")).toContainText(opportunity.title);
  await list.getByRole("link", { name: opportunity.title }).click();
  await page.waitForURL(`**/opportunities/${opportunity.id}`);
});

test("an email from an unknown address waits for triage and becomes a ticket for the customer picked", async ({ page }) => {
  const stamp = Date.now();
  const address = `stranger-${stamp}@unknown.example`;
  const subject = `批发合作咨询 ${stamp}`;
  const [customer] = await sql<{ name: string }>(
    "select name from customer where deleted_at is null order by id limit 1",
  );
  await deliverToMailbox(
    [
      `From: 陌生人 <${address}>`,
      `To: ${deskAddress}`,
      `Subject: =?UTF-8?B?${Buffer.from(subject).toString("base64")}?=`,
      `Message-ID: <triage-${stamp}@unknown.example>`,
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="t1"',
      "",
      "--t1",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      "想了解贵司的批发价格。",
      "--t1",
      "Content-Type: text/plain; charset=utf-8",
      'Content-Disposition: attachment; filename="needs.txt"',
      "",
      "500 boxes a month",
      "--t1--",
    ].join("\n"),
  );
  await signIn(page, ADMIN);
  // Opened as a bookmark; the mailbox is read every two seconds here.
  const row = page.getByTestId("triage-email").filter({ hasText: subject });
  await expect(async () => {
    await page.goto("/tickets/triage");
    await hydrated(page);
    await expect(row).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(row).toContainText(address);
  // Its file waits with it.
  await expect(row.getByTestId("triage-files")).toContainText("needs.txt");
  await screenshot(page, "49-triage");

  await row.getByRole("button", { name: "选客户开工单…" }).click();
  const dialog = page.getByRole("dialog", { name: "开工单" });
  // No customer yet: asked for, nothing dismissed.
  await dialog.getByRole("button", { name: "开工单", exact: true }).click();
  await expect(dialog.getByText("必填")).toBeVisible();
  await dialog.getByLabel("客户").fill(customer.name);
  await dialog.getByRole("button", { name: customer.name, exact: true }).first().click();
  await expect(dialog.getByTestId("chosen-customer")).toContainText(customer.name);
  await dialog.getByRole("button", { name: "开工单", exact: true }).click();
  await page.waitForURL(/\/tickets\/\d+$/);
  await hydrated(page);
  await expect(page.getByTestId("ticket-subject")).toHaveText(subject);
  await expect(page.getByTestId("conversation")).toContainText("想了解贵司的批发价格。");
  await expect(page.getByTestId("email-from").first()).toHaveText(`来自邮件 ${address}`);
  // The file came along with the email.
  await expect(page.getByTestId("conversation").getByTestId("attachment")).toHaveText("needs.txt");

  // It left the triage list.
  await page.goto("/tickets/triage");
  await hydrated(page);
  await expect(page.getByTestId("triage-email").filter({ hasText: subject })).toHaveCount(0);
});
