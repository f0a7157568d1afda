// Sales: a lead becomes a customer and an opportunity; its card is dragged along the pipeline
// with a mouse, by touch and by keyboard while a colleague watches the board live; two people
// moving it at once end with one clear conflict; winning it shows in the forecast and on the
// customer's timeline.
import { Page } from "@playwright/test";
import { expect, test } from "../support/fixtures";
import { MANAGER, MEMBER, hydrated, screenshot, signIn } from "../support/helpers";

// Forms are submitted with bad input on purpose; Chromium logs each refused save (422).
test.use({ expectedConsoleErrors: [/status of 422/] });

test.describe.configure({ mode: "serial" });
test.use({ hasTouch: true });

const COMPANY = "苏州云帆精密机械有限公司";
let opportunityId = "";

const card = (page: Page) => page.locator(`[data-testid=card][data-id="${opportunityId}"]`);
const column = (page: Page, stage: string) => page.locator(`[data-testid=column][data-stage="${stage}"]`);

async function openBoard(page: Page) {
  await page.goto("/pipeline");
  await hydrated(page);
  await expect(page.getByTestId("board")).toBeVisible();
}

async function mouseDrag(page: Page, stage: string) {
  const from = (await card(page).boundingBox())!;
  const to = (await column(page, stage).boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + 15);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 8, from.y + 22, { steps: 3 });
  await page.mouse.move(to.x + to.width / 2, to.y + 90, { steps: 15 });
  await page.mouse.up();
}

/** A finger: press and hold (a swipe would scroll), then drag and lift. */
async function touchDrag(page: Page, stage: string) {
  const cdp = await page.context().newCDPSession(page);
  const from = (await card(page).boundingBox())!;
  const to = (await column(page, stage).boundingBox())!;
  const [x0, y0] = [from.x + from.width / 2, from.y + 15];
  const [x1, y1] = [to.x + to.width / 2, to.y + 90];
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x: x0, y: y0 }] });
  await page.waitForTimeout(600);
  for (let i = 1; i <= 15; i++) {
    const point = { x: x0 + ((x1 - x0) * i) / 15, y: y0 + ((y1 - y0) * i) / 15 };
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [point] });
  }
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
}

function yuan(text: string | null): number {
  return Number((text ?? "0").replace(/[¥,]/g, ""));
}

test("a rep converts a lead and drags its card by mouse and by touch while a manager watches live", async ({ page, browser }) => {
  await signIn(page, MEMBER);
  await page.locator("nav.nav").getByRole("link", { name: "线索", exact: true }).click();
  await hydrated(page);
  await page.getByRole("button", { name: "新建线索" }).click();
  const form = page.getByTestId("lead-form");
  await form.getByLabel("姓名").fill("陈晓峰");
  await form.getByLabel("公司").fill(COMPANY);
  await form.getByRole("button", { name: "保存" }).click();
  await expect(form).toContainText("必填");
  await form.getByLabel("电话").fill("139 1234 0001");
  await form.getByRole("button", { name: "保存" }).click();
  const row = page.getByTestId("lead-row").filter({ hasText: COMPANY });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("lead-status")).toHaveText("新线索");

  await row.getByRole("button", { name: "转化" }).click();
  const convert = page.getByTestId("convert-panel");
  await expect(convert).toContainText("没有找到相同的客户");
  await expect(convert.getByLabel("商机名称")).toHaveValue(COMPANY);
  await convert.getByLabel("金额").fill("128000");
  const close = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
  await convert.getByLabel("预计成交日期").fill(close);
  await screenshot(page, "30-lead-convert");
  await convert.getByRole("button", { name: "转化" }).click();
  await page.waitForURL(/\/opportunities\/\d+$/);
  opportunityId = page.url().split("/").pop()!;
  await hydrated(page);
  await expect(page.getByTestId("opportunity-title")).toHaveText(COMPANY);
  await expect(page.getByTestId("opportunity-stage")).toHaveText("初步接洽");
  await expect(page.getByTestId("opportunity-amount")).toHaveText("¥128,000.00");

  // The manager's board, in another browser.
  const managerContext = await browser.newContext({ locale: "zh-CN", viewport: { width: 1366, height: 900 } });
  const watcher = await managerContext.newPage();
  await signIn(watcher, MANAGER);
  await openBoard(watcher);
  await expect(column(watcher, "Prospecting").locator(`[data-id="${opportunityId}"]`)).toHaveCount(1);

  await openBoard(page);
  await expect(column(page, "Prospecting").locator(`[data-id="${opportunityId}"]`)).toHaveCount(1);
  const countBefore = Number(await column(page, "Qualification").getByTestId("column-count").textContent());
  await mouseDrag(page, "Qualification");
  await expect(column(page, "Qualification").locator(`[data-id="${opportunityId}"]`)).toHaveCount(1);
  await expect(column(page, "Qualification").getByTestId("column-count")).toHaveText(String(countBefore + 1));
  // The manager sees it move without reloading.
  await expect(column(watcher, "Qualification").locator(`[data-id="${opportunityId}"]`)).toHaveCount(1);
  await screenshot(page, "31-pipeline-board");

  await touchDrag(page, "Proposal");
  await expect(column(page, "Proposal").locator(`[data-id="${opportunityId}"]`)).toHaveCount(1);
  await expect(column(watcher, "Proposal").locator(`[data-id="${opportunityId}"]`)).toHaveCount(1);
  await page.reload();
  await hydrated(page);
  await expect(column(page, "Proposal").locator(`[data-id="${opportunityId}"]`)).toHaveCount(1);
  await managerContext.close();
});

test("two people moving the same card at once end with one move and one clear message", async ({ page, browser }) => {
  // The manager's board stops hearing about changes, as if both acted in the same instant.
  const managerContext = await browser.newContext({ locale: "zh-CN", viewport: { width: 1366, height: 900 } });
  const late = await managerContext.newPage();
  await late.route("**/events", (route) => route.abort());
  await signIn(late, MANAGER);
  await openBoard(late);
  await expect(column(late, "Proposal").locator(`[data-id="${opportunityId}"]`)).toHaveCount(1);

  await signIn(page, MEMBER);
  await openBoard(page);
  // The rep moves it by keyboard: pick up, one column right, drop.
  await card(page).focus();
  await page.keyboard.press("Space");
  await expect(page.getByTestId("board-announcement")).toContainText("已拿起");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("Space");
  await expect(column(page, "Negotiation").locator(`[data-id="${opportunityId}"]`)).toHaveCount(1);

  // The manager, still seeing it in Proposal, drags it back to Qualification.
  await mouseDrag(late, "Qualification");
  await expect(late.locator(".toast")).toContainText("张伟 在您打开之后修改了这条记录（阶段）");
  await expect(column(late, "Negotiation").locator(`[data-id="${opportunityId}"]`)).toHaveCount(1);
  await screenshot(late, "32-pipeline-conflict");
  // Nothing was lost: the rep's move stands.
  await page.reload();
  await hydrated(page);
  await expect(column(page, "Negotiation").locator(`[data-id="${opportunityId}"]`)).toHaveCount(1);
  await managerContext.close();

  // Dropping it on Lost asks for the reason in a modal dialog; Escape leaves the card where it was.
  await card(page).focus();
  await page.keyboard.press("Space");
  for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowRight");
  await page.keyboard.press("Space");
  const lost = page.getByRole("dialog", { name: `将“${COMPANY}”标记为输单` });
  await expect(lost).toBeVisible();
  await expect(lost.getByRole("button", { name: "标记输单" })).toBeDisabled();
  await lost.getByLabel("输单原因").fill("预算取消");
  await screenshot(page, "32b-pipeline-lost-dialog");
  await page.keyboard.press("Escape");
  await expect(lost).toBeHidden();
  await expect(column(page, "Negotiation").locator(`[data-id="${opportunityId}"]`)).toHaveCount(1);
  await page.reload();
  await hydrated(page);
  await expect(column(page, "Negotiation").locator(`[data-id="${opportunityId}"]`)).toHaveCount(1);
});

test("winning the opportunity shows in the forecast and on the customer's timeline", async ({ page }) => {
  await signIn(page, MEMBER);
  await page.goto("/forecast");
  await hydrated(page);
  const now = new Date();
  const month = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
  const row = page.getByTestId("forecast-row").filter({ hasText: month }).filter({ hasText: "张伟" });
  await expect(page.getByTestId("forecast-table")).toBeVisible();
  const wonBefore = (await row.count()) ? yuan(await row.getByTestId("forecast-won").textContent()) : 0;

  await page.goto(`/opportunities/${opportunityId}`);
  await hydrated(page);
  await page.locator("button[data-stage=Won]").click();
  await expect(page.getByTestId("opportunity-stage")).toHaveText("赢单");
  await expect(page.getByTestId("stage-history")).toContainText("商务谈判 → 赢单");

  await page.locator("nav.nav").getByRole("link", { name: "销售预测" }).click();
  await hydrated(page);
  await expect(row.getByTestId("forecast-won")).toHaveText(
    `¥${(wonBefore + 128000).toLocaleString("en-US", { minimumFractionDigits: 2 })}`,
  );
  await expect(page.getByTestId("forecast-chart")).toBeVisible();
  await screenshot(page, "33-forecast");

  await page.goto(`/opportunities/${opportunityId}`);
  await hydrated(page);
  await page.getByRole("link", { name: COMPANY }).click();
  await hydrated(page);
  await expect(page.getByTestId("customer-name")).toHaveText(COMPANY);
  await expect(page.getByTestId("timeline")).toContainText(`商机“${COMPANY}”：商务谈判 → 赢单`);
  await screenshot(page, "34-customer-won");
});
