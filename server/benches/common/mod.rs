//! What the benchmarks share: sizes from the environment, database names, timing and callers.

#![allow(dead_code)]

use app::auth::{model::Role, server::Authenticated};
// Each bench uses a part of this module (hence also `dead_code` above).
#[allow(unused_imports)]
pub use app::testing::{drop_database, with_database};
use sqlx::PgPool;
use std::time::{Duration, Instant};

pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

/// A new, migrated database `name` on the test Postgres with the demo accounts (any previous
/// one of that name is dropped), and a pool over it.
pub async fn fresh_database_with_accounts(name: &str) -> PgPool {
    use sqlx::{Connection, Executor};
    let admin_url = app::testing::admin_url();
    let mut admin =
        sqlx::PgConnection::connect(&admin_url).await.expect("Postgres for the benchmark");
    admin.execute(format!("drop database if exists {name} with (force)").as_str()).await.unwrap();
    admin.execute(format!("create database {name}").as_str()).await.unwrap();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect(&with_database(&admin_url, name))
        .await
        .unwrap();
    server::migrate(&pool).await.unwrap();
    app::demo::seed_users_only(&pool).await.unwrap();
    pool
}

/// `guanxi_bench_<customers>` on the test Postgres, loaded with `customers` customers and
/// `orders` orders by the bulk loader on its first use and migrated on later ones. Returns its
/// name and URL.
pub async fn loaded_database(customers: usize, orders: usize) -> (String, String) {
    use sqlx::{Connection, Executor};
    let admin_url = app::testing::admin_url();
    let name = format!("guanxi_bench_{customers}");
    let url = with_database(&admin_url, &name);
    let mut admin =
        sqlx::PgConnection::connect(&admin_url).await.expect("Postgres for the benchmark");
    let exists: bool =
        sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    let loaded = if exists {
        let pool = PgPool::connect(&url).await.unwrap();
        // A database kept from an earlier run gets the migrations added since, so the bench
        // measures the schema the code expects.
        server::migrate(&pool).await.unwrap();
        let count: i64 =
            sqlx::query_scalar("select count(*) from customer").fetch_one(&pool).await.unwrap_or(0);
        pool.close().await;
        count >= customers as i64
    } else {
        false
    };
    if !loaded {
        admin
            .execute(format!("drop database if exists {name} with (force)").as_str())
            .await
            .unwrap();
        admin.execute(format!("create database {name}").as_str()).await.unwrap();
        let pool = PgPool::connect(&url).await.unwrap();
        server::migrate(&pool).await.unwrap();
        println!("loading {customers} customers and {orders} orders into {name} ...");
        let report = app::demo::bulk::load(
            &pool,
            app::demo::bulk::Plan { customers, orders, seed: 7 },
            |line| eprintln!("  {line}"),
        )
        .await
        .unwrap();
        println!(
            "\n| bulk load | figure |\n| --- | --- |\n| customers / orders / order lines | {} / {} / {} |\n| COPY (rows, no secondary indexes) | {:.0} s |\n| index build + analyze | {:.0} s |\n| product affinity rebuild | {:.1} s |\n| summaries rebuilt (daily sales, tier counts, cohorts) | {:.1} s |\n",
            report.customers,
            report.orders,
            report.lines,
            report.load_secs,
            report.index_secs,
            report.affinity_secs,
            report.summary_secs
        );
        pool.close().await;
    }
    (name, url)
}

/// A fresh copy of the database `template` named `name` (any previous one dropped), so each run
/// measures the same starting point. The copy is checkpointed, so the run's writes are not
/// slowed by full-page images of a checkpoint the copy itself set off.
pub async fn fresh_copy(template: &str, name: &str) -> PgPool {
    use sqlx::{Connection, Executor};
    let admin_url = app::testing::admin_url();
    let mut admin =
        sqlx::PgConnection::connect(&admin_url).await.expect("Postgres for the benchmark");
    admin.execute(format!("drop database if exists {name} with (force)").as_str()).await.unwrap();
    admin.execute(format!("create database {name} template {template}").as_str()).await.unwrap();
    admin.execute("checkpoint").await.unwrap();
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect(&with_database(&admin_url, name))
        .await
        .unwrap()
}

/// A memory figure of this process from `/proc/self/status` (Linux), in MB.
fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// This process's peak resident memory since the last `reset_peak_memory`, in MB.
pub fn peak_memory_mb() -> f64 {
    status_mb("VmHWM:")
}

/// Starts a new peak: the next `peak_memory_mb` reports the largest since now.
pub fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This process's resident memory now, in MB.
pub fn memory_now_mb() -> f64 {
    status_mb("VmRSS:")
}

pub struct Stats {
    pub name: String,
    pub samples: Vec<Duration>,
}

impl Stats {
    pub fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index].as_secs_f64() * 1000.0
    }
}

pub async fn time<F, Fut, T>(name: &str, inputs: usize, mut call: F) -> Stats
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    // One untimed pass warms the caches the way a running server has them warm.
    for i in 0..inputs.min(20) {
        call(i).await;
    }
    let mut samples = Vec::with_capacity(inputs);
    for i in 0..inputs {
        let started = Instant::now();
        call(i).await;
        samples.push(started.elapsed());
    }
    Stats { name: name.to_owned(), samples }
}

/// The first admin, signed in.
pub async fn admin_caller(pool: &PgPool) -> Authenticated {
    let id: i64 =
        sqlx::query_scalar("select id from app_user where role = 'admin' order by id limit 1")
            .fetch_one(pool)
            .await
            .expect("an admin");
    signed_in(pool, id).await
}

/// The first user of `role` in a team, signed in (their scope is the role's).
pub async fn caller_with_role(pool: &PgPool, role: Role) -> Authenticated {
    let id: i64 = sqlx::query_scalar(
        "select id from app_user where role = $1 and team_id is not null order by id limit 1",
    )
    .bind(role.as_str())
    .fetch_one(pool)
    .await
    .expect("a user of that role");
    signed_in(pool, id).await
}

/// The caller a session of user `id` resolves to, as the middleware would.
pub async fn signed_in(pool: &PgPool, id: i64) -> Authenticated {
    let session = app::auth::repo::create_session(
        pool,
        app::auth::model::UserId(id),
        chrono::Utc::now() + chrono::Duration::hours(1),
        Some("bench"),
        None,
    )
    .await
    .unwrap();
    app::auth::server::authenticate(pool, session, None, chrono::Duration::hours(1))
        .await
        .unwrap()
        .unwrap()
}

/// A person at a browser over HTTP: a cookie-keeping client with a session of its own.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    /// Signs in through the sign-in form's encoding. Panics when the server refuses.
    pub async fn signed_in(base: &str, email: &str, password: &str) -> Self {
        use leptos::server_fn::ServerFn;
        let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let response = client
            .post(format!("{base}{}", app::account::api::SignIn::PATH))
            .header(reqwest::header::ORIGIN, base)
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "sign-in of {email}: {}", response.status());
        Browser { client, base: base.to_owned() }
    }

    /// Calls a server function as the page does (JSON, same-origin): the status, the body and
    /// the seconds it took. A refused or reset connection counts as a server failure (502).
    pub async fn call<F>(&self, args: &F) -> (reqwest::StatusCode, String, f64)
    where
        F: leptos::server_fn::ServerFn + serde::Serialize,
    {
        let started = Instant::now();
        let response = self
            .client
            .post(format!("{}{}", self.base, F::PATH))
            .header(reqwest::header::ORIGIN, &self.base)
            .json(args)
            .send()
            .await;
        match response {
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                (status, body, started.elapsed().as_secs_f64())
            }
            Err(_) => {
                (reqwest::StatusCode::BAD_GATEWAY, String::new(), started.elapsed().as_secs_f64())
            }
        }
    }

    /// Opens `path` as a browser opening it directly does; the seconds until the whole answer
    /// arrived. Panics unless it succeeds.
    pub async fn open(&self, path: &str) -> (String, f64) {
        let started = Instant::now();
        let response = self.client.get(format!("{}{path}", self.base)).send().await.unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        let body = response.text().await.unwrap();
        (body, started.elapsed().as_secs_f64())
    }
}

/// A transaction to time a write in (and roll back), with `disabled` (tables and one of their
/// triggers each) switched off inside it: the same write with and without what the trigger adds.
#[allow(dead_code)]
pub async fn rolled_back_write(
    pool: &PgPool,
    disabled: &[(&str, &str)],
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = pool.begin().await.unwrap();
    for (table, trigger) in disabled {
        sqlx::query(&format!("alter table {table} disable trigger {trigger}"))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx
}

/// Prints timings as a Markdown table headed by `what`, as the README quotes them.
pub fn print_percentiles(what: &str, rows: &[Stats]) {
    println!("| {what} | n | p50 ms | p95 ms | p99 ms |");
    println!("| --- | --- | --- | --- | --- |");
    for row in rows {
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} |",
            row.name,
            row.samples.len(),
            row.percentile(0.50),
            row.percentile(0.95),
            row.percentile(0.99)
        );
    }
}

/// The company day of the last order: the benchmarks' "today", so this month is a full one
/// however long ago the database was loaded.
pub async fn last_order_day(pool: &PgPool) -> chrono::NaiveDate {
    sqlx::query_scalar(
        "select (max(ordered_at) at time zone company_time_zone())::date from sales_order",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}
