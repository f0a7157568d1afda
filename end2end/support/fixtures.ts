// A `test` that fails when any page of the test logs a console error or throws: a journey
// that "works" while the browser reports errors does not pass. A test that provokes a refusal
// on purpose (a 4xx for bad input, which Chromium logs as a failed load) names it in
// `expectedConsoleErrors`: one pattern (`[/status of (401|403)/]`), since Playwright reads a
// longer array given to `test.use` as a value with options.
import { test as base, expect } from "@playwright/test";

export const test = base.extend<{ consoleErrors: string[]; expectedConsoleErrors: RegExp[] }>({
  expectedConsoleErrors: [[], { option: true }],
  consoleErrors: [
    async ({ context, expectedConsoleErrors }, use) => {
      const errors: string[] = [];
      const watch = (page: import("@playwright/test").Page) => {
        page.on("console", (message) => {
          if (message.type() === "error") errors.push(`${page.url()}: ${message.text()}`);
        });
        page.on("pageerror", (error) => errors.push(`${page.url()}: ${error.message}`));
      };
      context.pages().forEach(watch);
      context.on("page", watch);
      await use(errors);
      const unexpected = errors.filter((e) => !expectedConsoleErrors.some((pattern) => pattern.test(e)));
      expect(unexpected, "the browser reported errors").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
