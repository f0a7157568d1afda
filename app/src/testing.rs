//! Integration-test support: a fresh database per test, cloned from a migrated template.
//!
//! Migrating once and cloning (`create database ... template`) takes milliseconds per test where
//! migrating each database would take far longer as the schema grows. The template's name carries
//! a hash of the migrations, so a changed migration builds a new template.

use crate::{
    auth::model::{Role, TeamId, UserId},
    auth::server::{Authenticated, DataScope, hash_password},
    db::MIGRATOR,
    error::AppError,
    state::{AppState, Settings},
};
use sqlx::{Connection, Executor, PgConnection, PgPool, postgres::PgPoolOptions};
use std::{
    hash::{Hash, Hasher},
    sync::atomic::{AtomicU32, Ordering},
};
use tokio::sync::OnceCell;

/// The server where test databases are created. `GUANXI_TEST_ADMIN_URL` overrides it.
pub fn admin_url() -> String {
    std::env::var("GUANXI_TEST_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `url` with its database replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a database URL has a path");
    format!("{base}/{database}")
}

/// Drops a database the tests or benchmarks made on the admin server, if it exists.
pub async fn drop_database(name: &str) {
    let mut admin = PgConnection::connect(&admin_url()).await.expect("connect to the admin URL");
    admin
        .execute(format!("drop database if exists {name} with (force)").as_str())
        .await
        .expect("drop database");
}

fn template_name() -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for migration in MIGRATOR.iter() {
        migration.version.hash(&mut hasher);
        migration.checksum.hash(&mut hasher);
    }
    format!("guanxi_template_{:016x}", hasher.finish())
}

/// Builds the template once per process; an advisory lock keeps concurrent test binaries from
/// building it twice.
async fn ensure_template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            let mut admin = PgConnection::connect(&admin_url())
                .await
                .expect("tests need Postgres: set GUANXI_TEST_ADMIN_URL or start one on :5432");
            admin.execute("select pg_advisory_lock(4242)").await.expect("lock");
            let exists: bool =
                sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
                    .bind(&name)
                    .fetch_one(&mut admin)
                    .await
                    .expect("query pg_database");
            if !exists {
                let building = format!("{name}_building");
                admin
                    .execute(format!("drop database if exists {building} with (force)").as_str())
                    .await
                    .expect("drop half-built template");
                admin
                    .execute(format!("create database {building}").as_str())
                    .await
                    .expect("create template");
                {
                    let mut conn = PgConnection::connect(&with_database(&admin_url(), &building))
                        .await
                        .expect("connect to template");
                    MIGRATOR.run(&mut conn).await.expect("migrations apply to an empty database");
                    conn.close().await.expect("close template connection");
                }
                admin
                    .execute(format!("alter database {building} rename to {name}").as_str())
                    .await
                    .expect("publish template");
            }
            admin.execute("select pg_advisory_unlock(4242)").await.expect("unlock");
            name
        })
        .await
}

/// Today in the company's time zone, as the queries count it. Not `Utc::now().date_naive()`:
/// from 16:00 UTC it is already tomorrow in Asia/Shanghai, and a test using the UTC date fails
/// every evening.
pub async fn company_today(pool: &PgPool) -> chrono::NaiveDate {
    sqlx::query_scalar("select (now() at time zone company_time_zone())::date")
        .fetch_one(pool)
        .await
        .expect("the company's date")
}

/// Placed orders of live customers summed straight from the orders (totals less refunds), on
/// company days `from..=to`, of customers owned by `owners` (everyone's when `None`): what every
/// report and dashboard figure read from the daily summary must equal.
pub async fn sales_summed_from_orders(
    pool: &PgPool,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    owners: Option<Vec<i64>>,
) -> crate::reports::model::SalesFigures {
    let (orders, revenue_minor): (i64, i64) = sqlx::query_as(
        "select count(*), coalesce(sum(o.total_minor - o.refunded_minor), 0)::bigint
         from sales_order o join customer c on c.id = o.customer_id
         where o.status = 'placed' and c.deleted_at is null
           and (o.ordered_at at time zone company_time_zone())::date between $1 and $2
           and ($3::bigint[] is null or c.owner_id = any($3))",
    )
    .bind(from)
    .bind(to)
    .bind(owners)
    .fetch_one(pool)
    .await
    .expect("orders summed");
    crate::reports::model::SalesFigures { orders, revenue_minor, units: 0 }
}

/// Live customers per (cohort, month) straight from the orders: each customer's months with a
/// placed order in the company's zone, under the first of them, for customers owned by `owners`
/// (everyone's when `None`): what the cohort report read from its kept tables must equal.
pub async fn cohorts_counted_from_orders(
    pool: &PgPool,
    owners: Option<Vec<i64>>,
) -> std::collections::BTreeMap<(chrono::NaiveDate, chrono::NaiveDate), i64> {
    let rows: Vec<(chrono::NaiveDate, chrono::NaiveDate, i64)> = sqlx::query_as(
        "with months as (
             select distinct o.customer_id,
                    date_trunc('month', o.ordered_at at time zone company_time_zone())::date as month
             from sales_order o join customer c on c.id = o.customer_id
             where o.status = 'placed' and c.deleted_at is null
               and ($1::bigint[] is null or c.owner_id = any($1)))
         select f.cohort, m.month, count(*)
         from months m
         join (select customer_id, min(month) as cohort from months group by 1) f using (customer_id)
         group by 1, 2",
    )
    .bind(owners)
    .fetch_all(pool)
    .await
    .expect("cohorts counted");
    rows.into_iter().map(|(cohort, month, n)| ((cohort, month), n)).collect()
}

/// A database of its own for one test, dropped when the value is dropped.
pub struct TestDatabase {
    pub pool: PgPool,
    pub url: String,
    name: String,
}

impl TestDatabase {
    /// A freshly migrated, empty database.
    pub async fn new() -> Self {
        let template = ensure_template().await;
        Self::create(&format!("template {template}")).await
    }

    /// A database with no tables at all, as a new installation's.
    pub async fn empty() -> Self {
        Self::create("").await
    }

    async fn create(clause: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "guanxi_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            uuid::Uuid::new_v4().simple().to_string().get(..6).unwrap_or_default()
        );
        let mut admin = PgConnection::connect(&admin_url()).await.expect("connect admin");
        admin
            .execute(format!("create database {name} {clause}").as_str())
            .await
            .expect("create the test database");
        let url = with_database(&admin_url(), &name);
        let pool = PgPoolOptions::new().max_connections(8).connect(&url).await.expect("connect");
        TestDatabase { pool, url, name }
    }

    /// App state over this database with default settings.
    pub fn state(&self) -> AppState {
        self.state_with(Settings::default())
    }

    /// App state over this database with `settings` (e.g. an SMTP server).
    pub fn state_with(&self, settings: Settings) -> AppState {
        AppState::new(self.pool.clone(), settings)
    }

    /// Creates a team and returns its id.
    pub async fn team(&self, name: &str) -> TeamId {
        let id: i64 = sqlx::query_scalar("insert into team (name) values ($1) returning id")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .expect("insert team");
        TeamId(id)
    }

    /// Creates an active user with `password` and returns its id.
    pub async fn user(
        &self,
        email: &str,
        role: Role,
        team: Option<TeamId>,
        password: &str,
    ) -> UserId {
        let hash = hash_password(password.to_owned()).await.expect("hash");
        let id: i64 = sqlx::query_scalar(
            "insert into app_user (email, display_name, password_hash, role, team_id)
             values ($1, $1, $2, $3, $4) returning id",
        )
        .bind(email)
        .bind(hash)
        .bind(role.as_str())
        .bind(team.map(|t| t.0))
        .fetch_one(&self.pool)
        .await
        .expect("insert user");
        UserId(id)
    }

    /// The caller a signed-in `user` would be, with the data scope of their role: what the
    /// server's middleware resolves, for testing services and repos without HTTP.
    pub async fn caller(&self, user: UserId) -> Result<Authenticated, AppError> {
        let session = crate::auth::repo::create_session(
            &self.pool,
            user,
            chrono::Utc::now() + chrono::Duration::hours(1),
            Some("test"),
            None,
        )
        .await?;
        crate::auth::server::authenticate(&self.pool, session, None, chrono::Duration::hours(1))
            .await?
            .ok_or(AppError::Unauthorized)
    }
}

/// The event listener and one job worker over a test database, as a server process runs them
/// (without the clock's scheduled jobs). Dropping it stops both.
pub struct Background {
    state: AppState,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Background {
    pub fn start(state: &AppState) -> Self {
        let mut tasks =
            vec![crate::events::server::spawn_listener(state.pool.clone(), state.events.clone())];
        tasks.extend(crate::jobs::worker::spawn_unscheduled(
            state.clone(),
            "test",
            1,
            crate::registry::JOBS,
        ));
        Background { state: state.clone(), tasks }
    }

    /// Waits until no job is running or due, so a test can look at what queued jobs did (and
    /// at what they did not). Panics after `seconds`.
    pub async fn settled(&self, seconds: u64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        loop {
            let busy: i64 = sqlx::query_scalar(
                "select count(*) from job
                 where status = 'running' or (status = 'queued' and run_at <= now())",
            )
            .fetch_one(&self.state.pool)
            .await
            .expect("counting busy jobs");
            if busy == 0 {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "jobs still busy after {seconds} s");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.state.events.close();
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A scope for tests that need one without a database round trip.
pub fn scope_of(kind: crate::auth::model::ScopeKind, user: UserId, team: Vec<i64>) -> DataScope {
    DataScope { kind, user_id: user, team_id: None, team_member_ids: team }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on; a short-lived thread
        // with its own runtime does the clean-up.
        let dropped = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url()).await.ok()?;
                admin
                    .execute(format!("drop database if exists {name} with (force)").as_str())
                    .await
                    .ok()
            })
        });
        let _ = dropped.join();
    }
}

/// A real SMTP server that keeps what it receives: MailDev from the end-to-end suite's
/// packages (`npm ci` in `end2end/`, which `./guanxi test` runs), on free ports, stopped on drop.
pub struct SmtpSink {
    pub smtp_url: String,
    web: std::net::SocketAddr,
    child: std::process::Child,
    _mail_dir: std::path::PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl SmtpSink {
    pub async fn start() -> Self {
        let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../end2end/node_modules/.bin/maildev");
        assert!(
            bin.exists(),
            "the SMTP sink (MailDev) is missing: run `npm ci` in end2end/ (./guanxi test does)"
        );
        let (smtp, web) = (free_port(), free_port());
        let mail_dir =
            std::env::temp_dir().join(format!("guanxi-mail-{}-{smtp}", std::process::id()));
        let child = std::process::Command::new(bin)
            .args(["--smtp", &smtp.to_string(), "--web", &web.to_string()])
            .args(["--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--silent"])
            .arg("--mail-directory")
            .arg(&mail_dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start MailDev");
        let sink = SmtpSink {
            smtp_url: format!("smtp://127.0.0.1:{smtp}"),
            web: std::net::SocketAddr::from(([127, 0, 0, 1], web)),
            child,
            _mail_dir: mail_dir,
        };
        for _ in 0..100 {
            if sink.get("/api/healthz").await.is_ok()
                && tokio::net::TcpStream::connect(("127.0.0.1", smtp)).await.is_ok()
            {
                return sink;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("MailDev did not start within 10 s");
    }

    async fn get(&self, path: &str) -> std::io::Result<String> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.web).await?;
        stream
            .write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
            .await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        match response.split_once("\r\n\r\n") {
            Some((head, body))
                if head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200") =>
            {
                Ok(body.to_owned())
            }
            _ => Err(std::io::Error::other(format!("unexpected answer: {response:.200}"))),
        }
    }

    /// Every message received so far: subject, recipients and text as MailDev parsed them.
    pub async fn messages(&self) -> Vec<serde_json::Value> {
        let body = self.get("/api/email").await.expect("read MailDev's messages");
        serde_json::from_str(&body).expect("MailDev answers JSON")
    }

    /// Waits up to `seconds` for a message to `to` whose subject contains `subject`.
    pub async fn message_about(&self, to: &str, subject: &str, seconds: u64) -> serde_json::Value {
        for _ in 0..seconds * 10 {
            let found = self.messages().await.into_iter().find(|m| {
                m["to"].as_array().is_some_and(|list| list.iter().any(|a| a["address"] == to))
                    && m["subject"].as_str().is_some_and(|s| s.contains(subject))
            });
            if let Some(message) = found {
                return message;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no email to {to} about {subject:?} arrived within {seconds} s");
    }

    /// Waits up to `seconds` for a message to `to`.
    pub async fn message_to(&self, to: &str, seconds: u64) -> serde_json::Value {
        for _ in 0..seconds * 10 {
            let found = self.messages().await.into_iter().find(|m| {
                m["to"].as_array().is_some_and(|list| list.iter().any(|a| a["address"] == to))
            });
            if let Some(message) = found {
                return message;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no email to {to} arrived within {seconds} s");
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._mail_dir);
    }
}

/// Import progress that fails once `rows` rows are done, as a process stopped right after
/// committing a batch would.
pub struct StopsAfter(pub i64);

impl crate::imports::service::Progress for StopsAfter {
    async fn report(
        &mut self,
        done: i64,
        _total: i64,
    ) -> Result<(), crate::jobs::context::JobError> {
        if done >= self.0 {
            return Err(crate::jobs::context::JobError::Retry("stopped".into()));
        }
        Ok(())
    }
}

/// Uploads `bytes` as an import of `kind` and starts it with the suggested mapping, skipping bad
/// rows, for a test that plays the job itself (`imports::service::execute`). Returns its id.
pub async fn started_import(
    state: &AppState,
    caller: &Authenticated,
    kind: crate::imports::model::ImportKind,
    bytes: &[u8],
) -> i64 {
    use crate::imports::{model::*, service};
    let id = service::upload(state, caller, kind, "import.csv", Encoding::Auto, bytes)
        .await
        .expect("upload");
    let run = service::get(state, caller, id).await.expect("the upload");
    service::start(
        state,
        caller,
        id,
        run.mapping.clone(),
        ImportMode::SkipBad,
        ImportOptions::default(),
        false,
    )
    .await
    .expect("start");
    id
}

/// A real IMAP server holding one mailbox: Debian's Dovecot (`dovecot-imapd`, which
/// `./guanxi test` installs), with a private configuration on a free port, stopped on drop.
/// Tests put customers' emails into it with IMAP APPEND, as a mail server delivering them would.
pub struct ImapServer {
    pub port: u16,
    pub user: String,
    pub password: String,
    child: std::process::Child,
    dir: std::path::PathBuf,
}

impl ImapServer {
    pub async fn start() -> Self {
        let dovecot = std::path::Path::new("/usr/sbin/dovecot");
        assert!(
            dovecot.exists(),
            "the IMAP server is missing: install dovecot-imapd (./guanxi test does)"
        );
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("guanxi-imap-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(dir.join(sub)).expect("the IMAP server's folders");
        }
        // Dovecot's own processes (its user, not root) read the password file in here.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (user, password) = ("desk@guanxi.test".to_owned(), "desk-password".to_owned());
        std::fs::write(dir.join("passwd"), format!("{user}:{{PLAIN}}{password}\n")).unwrap();
        // Mail is stored as the `dovecot` user (Dovecot refuses root); run as someone else, the
        // server keeps the mail as that user.
        let as_root = running_as_root();
        let owner = if as_root { "uid=dovecot gid=dovecot" } else { "" };
        if as_root {
            let _ = std::process::Command::new("chown")
                .args(["-R", "dovecot:dovecot"])
                .arg(dir.join("home"))
                .status();
        }
        let d = dir.display();
        let config = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login\nfirst_valid_uid = 1\n\
             mail_location = maildir:{d}/home/%u/Maildir\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = {owner} home={d}/home/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  \
             inet_listener imaps {{\n    port = 0\n  }}\n}}\n"
        );
        std::fs::write(dir.join("dovecot.conf"), config).unwrap();
        let child = std::process::Command::new(dovecot)
            .arg("-F")
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start Dovecot");
        let server = ImapServer { port, user, password, child, dir };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let log = std::fs::read_to_string(server.dir.join("dovecot.log")).unwrap_or_default();
        panic!("Dovecot did not start on port {port}: {log}");
    }

    /// The URL Guanxi reads the mailbox at.
    pub fn url(&self) -> String {
        format!(
            "imap://{}:{}@127.0.0.1:{}/INBOX",
            self.user.replace('@', "%40"),
            self.password,
            self.port
        )
    }

    /// Delivers a raw email into the mailbox.
    pub async fn deliver(&self, raw: &str) {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap();
        let mut session =
            client.login(&self.user, &self.password).await.map_err(|(e, _)| e).unwrap();
        session
            .append("INBOX", None, None, raw.replace('\n', "\r\n").replace("\r\r\n", "\r\n"))
            .await
            .unwrap();
        session.logout().await.unwrap();
    }
}

fn running_as_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
