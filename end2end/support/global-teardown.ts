// Stops the server, drops the run's database and removes its backups.
import { rmSync } from "node:fs";
import pg from "pg";
import { adminUrl, databaseName } from "./global-setup";

export default async function globalTeardown() {
  for (const helper of [process.env.GUANXI_E2E_SMTP_PID, process.env.GUANXI_E2E_IMAP_PID]) {
    const pid = Number(helper);
    if (!pid) continue;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  const imapDir = process.env.GUANXI_E2E_IMAP_DIR;
  if (imapDir) rmSync(imapDir, { recursive: true, force: true });
  const pid = Number(process.env.GUANXI_E2E_SERVER_PID);
  if (pid) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`drop database if exists ${databaseName()} with (force)`);
  await admin.end();
  const backups = process.env.GUANXI_E2E_BACKUP_DIR;
  if (backups) rmSync(backups, { recursive: true, force: true });
}
