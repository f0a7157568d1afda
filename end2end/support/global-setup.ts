// Creates a fresh database and starts the built server on it, with demo data.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { port } from "../playwright.config";

const root = join(__dirname, "..", "..");

export function adminUrl(): string {
  return process.env.GUANXI_TEST_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
}

export function databaseName(): string {
  return process.env.GUANXI_E2E_DATABASE ?? `guanxi_e2e_${process.pid}`;
}

function withDatabase(url: string, name: string): string {
  return url.replace(/\/[^/]*$/, `/${name}`);
}

async function waitFor(url: string, seconds: number) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${seconds} s (see end2end/test-results/server.log)`);
}

/** The SMTP sink's ports: MailDev receives what the server sends and shows it over HTTP. */
export const smtpPort = Number(process.env.GUANXI_E2E_SMTP_PORT ?? 2526);
export const mailApi = `http://127.0.0.1:${Number(process.env.GUANXI_E2E_MAIL_WEB_PORT ?? 2581)}/api/email`;

async function startSmtpSink() {
  const mailDir = mkdtempSync(join(tmpdir(), "guanxi-e2e-mail-"));
  const webPort = new URL(mailApi).port;
  const sink = spawn(
    join(__dirname, "..", "node_modules", ".bin", "maildev"),
    ["--smtp", String(smtpPort), "--web", webPort, "--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--silent", "--mail-directory", mailDir],
    { stdio: "ignore" },
  );
  process.env.GUANXI_E2E_SMTP_PID = String(sink.pid);
  await waitFor(mailApi, 30);
}

/** The service mailbox: Dovecot holding one IMAP account the server reads customers' emails from. */
export const imapPort = Number(process.env.GUANXI_E2E_IMAP_PORT ?? 2143);
export const imapUser = "desk@guanxi.demo";
export const imapPassword = "desk-password";
export const deskAddress = "help@guanxi.demo";

async function startMailbox() {
  const dir = mkdtempSync(join(tmpdir(), "guanxi-e2e-imap-"));
  // Dovecot's own processes (its user, not root) read the password file in here.
  chmodSync(dir, 0o755);
  for (const sub of ["run", "state", "home"]) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, "passwd"), `${imapUser}:{PLAIN}${imapPassword}\n`);
  // Dovecot will not store mail as root: as root, the mail belongs to its own user.
  const root = process.getuid?.() === 0;
  if (root) execFileSync("chown", ["-R", "dovecot:dovecot", join(dir, "home")]);
  writeFileSync(
    join(dir, "dovecot.conf"),
    [
      `base_dir = ${dir}/run`, `state_dir = ${dir}/state`, `log_path = ${dir}/dovecot.log`,
      "protocols = imap", "listen = 127.0.0.1", "ssl = no", "disable_plaintext_auth = no",
      "auth_mechanisms = plain login", "first_valid_uid = 1", `mail_location = maildir:${dir}/home/%u/Maildir`,
      `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u ${dir}/passwd\n}`,
      `userdb {\n  driver = static\n  args = ${root ? "uid=dovecot gid=dovecot " : ""}home=${dir}/home/%u\n}`,
      `service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ${imapPort}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
    ].join("\n") + "\n",
  );
  const dovecot = spawn("/usr/sbin/dovecot", ["-F", "-c", join(dir, "dovecot.conf")], { stdio: "ignore" });
  process.env.GUANXI_E2E_IMAP_PID = String(dovecot.pid);
  process.env.GUANXI_E2E_IMAP_DIR = dir;
  const net = await import("node:net");
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(imapPort, "127.0.0.1", () => { socket.end(); resolve(true); });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Dovecot did not listen on ${imapPort} (see ${dir}/dovecot.log)`);
}

export default async function globalSetup() {
  await startSmtpSink();
  await startMailbox();
  const name = databaseName();
  process.env.GUANXI_E2E_DATABASE = name;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();

  // The server backs itself up here (nightly, and when the backups journey asks).
  const backups = mkdtempSync(join(tmpdir(), "guanxi-e2e-backups-"));
  process.env.GUANXI_E2E_BACKUP_DIR = backups;
  const log = openSync(join(__dirname, "..", "test-results-server.log"), "w");
  // The budget (`budget.config.ts`) serves a release site, which only a release server renders.
  const server = spawn(process.env.GUANXI_E2E_SERVER ?? join(root, "target", "debug", "server"), [], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: withDatabase(adminUrl(), name),
      GUANXI_ADDR: `127.0.0.1:${port}`,
      GUANXI_DEMO_DATA: "1",
      // Every browser of the suite signs in from 127.0.0.1: one address, many people.
      GUANXI_SIGN_INS_PER_MINUTE: "600",
      GUANXI_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      GUANXI_DESK_ADDRESS: `Guanxi 客服 <${deskAddress}>`,
      GUANXI_IMAP_URL: `imap://${encodeURIComponent(imapUser)}:${imapPassword}@127.0.0.1:${imapPort}/INBOX`,
      GUANXI_IMAP_POLL_SECONDS: "2",
      GUANXI_BACKUP_DIR: backups,
      LEPTOS_SITE_ROOT: "target/site",
      RUST_LOG: process.env.RUST_LOG ?? "info,sqlx=warn",
    },
    stdio: ["ignore", log, log],
  });
  process.env.GUANXI_E2E_SERVER_PID = String(server.pid);
  server.on("exit", (code) => {
    if (code !== null && code !== 0) console.error(`server exited with ${code}; see end2end/test-results-server.log`);
  });
  await waitFor(`http://127.0.0.1:${port}/login`, 90);
}
