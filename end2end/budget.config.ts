// The first-load budget (issue 19): the end-to-end set-up (fresh database, demo data, the server
// binary named by GUANXI_E2E_SERVER) around one measuring spec. `./guanxi budget` builds the
// release site and server and runs it: `npx playwright test -c budget.config.ts`.
import { defineConfig } from "@playwright/test";
import journeys from "./playwright.config";

export default defineConfig({
  ...journeys,
  testDir: "./budget",
  // Two throttled loads of the whole site take minutes.
  timeout: 600_000,
  projects: [{ name: "budget", use: { viewport: { width: 1366, height: 900 } } }],
});
