//! 200 signed-in users on one server process for 60 s, one write in ten aimed at the same five
//! customers: every answer counted by status, latency percentiles per kind of call, the
//! server's memory, and a check that no acknowledged write was lost.
//!
//!     cargo bench -p server --bench load
//!
//! Runs the release server binary over HTTP on a fresh database with the demo data.
//! GUANXI_LOAD_USERS, GUANXI_LOAD_SECONDS, GUANXI_LOAD_THINK_MS (pause between one user's calls,
//! default 100) and GUANXI_DB_MAX_CONNECTIONS (the server's pool, default 20) change the run.
//! The load generator shares the machine's cores with the server and Postgres.

mod common;

use app::{
    auth::model::Role,
    customers::{
        api::{GetCustomer, ListCustomers, UpdateCustomer},
        model::{Contact, CustomerDetail, CustomerFilter, CustomerId},
    },
    pipeline::{api::GetBoard, model::BoardFilter},
    testing::TestDatabase,
};
use common::Browser;
use rand::{Rng, SeedableRng, rngs::StdRng};
use reqwest::StatusCode;
use std::{
    collections::BTreeMap,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

const PASSWORD: &str = "load-test-password-1";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[derive(Default)]
struct Tally {
    latencies: BTreeMap<&'static str, Vec<f64>>,
    statuses: BTreeMap<(&'static str, u16), u64>,
    /// (customer, tag) of every write the server acknowledged.
    acknowledged: Vec<(i64, String)>,
}

fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)] * 1000.0
}

#[tokio::main]
async fn main() {
    let users = env_number("GUANXI_LOAD_USERS", 200) as usize;
    let seconds = env_number("GUANXI_LOAD_SECONDS", 60);
    let think = env_number("GUANXI_LOAD_THINK_MS", 100);
    let connections = env_number("GUANXI_DB_MAX_CONNECTIONS", 20);

    let db = TestDatabase::new().await;
    app::demo::seed_if_empty(&db.pool).await.expect("demo data");
    let hash = app::auth::server::hash_password(PASSWORD.to_owned()).await.unwrap();
    sqlx::query(
        "insert into app_user (email, display_name, password_hash, role)
         select 'load' || n || '@example.com', '压测' || n, $1, $2
         from generate_series(1, $3) n",
    )
    .bind(&hash)
    .bind(Role::Admin.as_str())
    .bind(users as i32)
    .execute(&db.pool)
    .await
    .unwrap();
    let customers: Vec<i64> =
        sqlx::query_scalar("select id from customer where deleted_at is null")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let hot: Vec<i64> = customers.iter().take(5).copied().collect();

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_server"))
        .env("DATABASE_URL", &db.url)
        .env("GUANXI_ADDR", format!("127.0.0.1:{port}"))
        .env("GUANXI_WORKERS", "1")
        .env("GUANXI_SIGN_INS_PER_MINUTE", "100000")
        .env("GUANXI_DB_MAX_CONNECTIONS", connections.to_string())
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the server (cargo bench builds it)");
    let pid = server.id();
    let base = format!("http://127.0.0.1:{port}");
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (idle_rss, _) = memory_kib(pid);

    // Everyone signs in first (a few at a time, as a morning would spread them).
    let mut signed_in = Vec::with_capacity(users);
    for chunk in (1..=users).collect::<Vec<_>>().chunks(8) {
        let attempts = chunk.iter().map(|n| {
            let base = base.clone();
            async move {
                Browser::signed_in(&base, &format!("load{n}@example.com"), PASSWORD).await
            }
        });
        signed_in.extend(futures::future::join_all(attempts).await);
    }
    let (signed_in_rss, _) = memory_kib(pid);
    println!(
        "{users} users signed in; server memory {} MiB idle, {} MiB after sign-ins",
        idle_rss / 1024,
        signed_in_rss / 1024
    );

    let tally = Arc::new(Mutex::new(Tally::default()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut peak_rss = 0;
    let sampler = {
        let done = deadline;
        tokio::spawn(async move {
            let mut peak = 0;
            while Instant::now() < done {
                peak = peak.max(memory_kib(pid).0);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            peak
        })
    };
    let workers: Vec<_> = signed_in
        .into_iter()
        .enumerate()
        .map(|(n, user)| {
            let tally = tally.clone();
            let customers = customers.clone();
            let hot = hot.clone();
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(n as u64);
                let mut writes = 0u64;
                while Instant::now() < deadline {
                    let roll: f64 = rng.r#gen();
                    let (kind, status, seconds) = if roll < 0.10 {
                        // Read-modify-write of a hot customer, with the version read.
                        let id = hot[rng.gen_range(0..hot.len())];
                        let (status, body, read_time) =
                            user.call(&GetCustomer { id: CustomerId(id) }).await;
                        let record = |kind, status: StatusCode, s| {
                            let mut t = tally.lock().unwrap();
                            t.latencies.entry(kind).or_default().push(s);
                            *t.statuses.entry((kind, status.as_u16())).or_default() += 1;
                        };
                        record("get_customer", status, read_time);
                        let Ok(detail) = serde_json::from_str::<CustomerDetail>(&body) else {
                            continue;
                        };
                        writes += 1;
                        let tag = format!("[u{n}w{writes}]");
                        let mut input = detail.to_input();
                        input.notes = format!("{}{tag}", input.notes)
                            .chars()
                            .rev()
                            .take(4000)
                            .collect::<Vec<_>>()
                            .into_iter()
                            .rev()
                            .collect();
                        let contacts = detail.contacts.iter().map(Contact::to_input).collect();
                        let update = UpdateCustomer {
                            id: CustomerId(id),
                            version: detail.version,
                            input,
                            contacts,
                        };
                        let (status, _, s) = user.call(&update).await;
                        if status.is_success() {
                            tally.lock().unwrap().acknowledged.push((id, tag));
                        }
                        ("update_customer", status, s)
                    } else if roll < 0.40 {
                        let (status, _, s) = user
                            .call(&ListCustomers {
                                filter: CustomerFilter::default(),
                                cursor: None,
                            })
                            .await;
                        ("list_customers", status, s)
                    } else if roll < 0.80 {
                        let id = customers[rng.gen_range(0..customers.len())];
                        let (status, _, s) = user.call(&GetCustomer { id: CustomerId(id) }).await;
                        ("get_customer", status, s)
                    } else {
                        let (status, _, s) =
                            user.call(&GetBoard { filter: BoardFilter::default() }).await;
                        ("get_board", status, s)
                    };
                    {
                        let mut t = tally.lock().unwrap();
                        t.latencies.entry(kind).or_default().push(seconds);
                        *t.statuses.entry((kind, status.as_u16())).or_default() += 1;
                    }
                    if think > 0 {
                        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..=2 * think)))
                            .await;
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    peak_rss = peak_rss.max(sampler.await.unwrap());
    let (end_rss, hwm) = memory_kib(pid);

    let tally = std::mem::take(&mut *tally.lock().unwrap());
    let total: u64 = tally.statuses.values().sum();
    println!(
        "{total} calls in {elapsed:.1} s ({:.0}/s), {users} users, think {think} ms, pool {connections}",
        total as f64 / elapsed
    );
    println!("| call | calls | p50 ms | p95 ms | p99 ms | max ms |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let row = |kind: &str, sorted: &[f64]| {
        println!(
            "| {kind} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            sorted.len(),
            percentile(sorted, 50.0),
            percentile(sorted, 95.0),
            percentile(sorted, 99.0),
            sorted.last().copied().unwrap_or(0.0) * 1000.0
        )
    };
    let mut all = Vec::new();
    for (kind, latencies) in &tally.latencies {
        let mut sorted = latencies.clone();
        sorted.sort_by(f64::total_cmp);
        all.extend_from_slice(&sorted);
        row(kind, &sorted);
    }
    all.sort_by(f64::total_cmp);
    row("all", &all);
    println!("statuses: {:?}", tally.statuses);
    let server_errors: u64 =
        tally.statuses.iter().filter(|((_, s), _)| *s >= 500).map(|(_, n)| n).sum();

    // Every acknowledged write's tag is in its customer's notes (the notes keep their last
    // 4,000 characters, so only the tags still inside that window are checked).
    let mut lost = 0;
    let mut checked = 0;
    for id in &hot {
        let notes: Option<String> = sqlx::query_scalar("select notes from customer where id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        let notes = notes.unwrap_or_default();
        let acknowledged: Vec<&String> =
            tally.acknowledged.iter().filter(|(c, _)| c == id).map(|(_, t)| t).collect();
        // Writes landed in order, so the notes end with the newest tags: check the ones whose
        // position is still inside the kept window.
        for tag in acknowledged.iter().rev().take(100) {
            checked += 1;
            if !notes.contains(tag.as_str()) {
                lost += 1;
            }
        }
    }
    let conflicts = tally.statuses.get(&("update_customer", 409)).copied().unwrap_or(0);
    println!(
        "writes acknowledged {}, refused as conflicts {conflicts}, lost {lost} of {checked} checked",
        tally.acknowledged.len()
    );
    println!(
        "server memory: {} MiB idle, {} MiB signed in, {} MiB peak during load, {} MiB at the end, high-water {} MiB",
        idle_rss / 1024,
        signed_in_rss / 1024,
        peak_rss / 1024,
        end_rss / 1024,
        hwm / 1024
    );
    println!("server errors (5xx or no answer): {server_errors}");
    let _ = server.kill();
    let _ = server.wait();
}
