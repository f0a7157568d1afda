//! Server rendering at a million customers: the pages a signed-in user opens, rendered by the
//! release server over HTTP, first for one client and then for eight at once.
//!
//!     cargo bench -p server --bench render
//!
//! Issue 19's budgets: the customer 360 page p95 under 10 ms and the customer list under 20 ms
//! for one client; at least 500 pages/s of the 360 page for eight clients. Beside each page, its
//! floors: the health check (HTTP and the outer layers, no session) and the page's data as a
//! server function (session, sign-in, role and the queries, no rendering), so what rendering
//! adds is the difference. The load generator shares the two cores with the server and Postgres.
//! GUANXI_RENDER_REQUESTS (per measure, default 400), GUANXI_RENDER_SECONDS (the concurrent run,
//! default 20) and GUANXI_BENCH_CUSTOMERS / GUANXI_BENCH_ORDERS change the run.

mod common;

use app::customers::{
    api::{GetCustomer, ListCustomers},
    model::{CustomerFilter, CustomerId},
};
use rand::{Rng, SeedableRng, rngs::StdRng};
use reqwest::StatusCode;
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use common::{Browser, env_number};

const EMAIL: &str = "render-bench@example.com";
const PASSWORD: &str = "render-bench-password-1";

/// Milliseconds at the given percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)] * 1000.0
}

fn row(name: &str, mut samples: Vec<f64>, budget: &str) {
    samples.sort_by(f64::total_cmp);
    println!(
        "| {name} | {} | {:.1} | {:.1} | {:.1} | {budget} |",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.95),
        percentile(&samples, 0.99),
    );
}

/// Times `once` `n` times, one after another, and prints its row.
async fn measure(name: &str, budget: &str, n: usize, mut once: impl AsyncFnMut() -> f64) {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        samples.push(once().await);
    }
    row(name, samples, budget);
}

/// The server-rendered page at `path`, as a direct visit gets it; the seconds it took.
async fn page(browser: &Browser, path: &str) -> f64 {
    let (body, seconds) = browser.open(path).await;
    assert!(body.contains("</html>"), "{path} did not render a page");
    seconds
}

/// The seconds a server function call took, which must have succeeded.
fn succeeded((status, _, seconds): (StatusCode, String, f64)) -> f64 {
    assert!(status.is_success(), "{status}");
    seconds
}

#[tokio::main]
async fn main() {
    let customers = env_number("GUANXI_BENCH_CUSTOMERS", 1_000_000);
    let orders = env_number("GUANXI_BENCH_ORDERS", 5_000_000);
    let requests = env_number("GUANXI_RENDER_REQUESTS", 400);
    let seconds = env_number("GUANXI_RENDER_SECONDS", 20) as u64;
    let (_, url) = common::loaded_database(customers, orders).await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let hash = app::auth::server::hash_password(PASSWORD.to_owned()).await.unwrap();
    sqlx::query(
        "insert into app_user (email, display_name, password_hash, role)
         values ($1, '渲染测试', $2, 'admin')
         on conflict (email) do update set password_hash = excluded.password_hash, active = true",
    )
    .bind(EMAIL)
    .bind(&hash)
    .execute(&pool)
    .await
    .unwrap();
    // Customers spread over the whole table, so the pages read cold rows as well as warm ones.
    let ids: Vec<i64> = sqlx::query_scalar(
        "select id from customer tablesample system (1) where deleted_at is null limit 2000",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!ids.is_empty(), "no customers to open");
    pool.close().await;

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_server"))
        .env("DATABASE_URL", &url)
        .env("GUANXI_ADDR", format!("127.0.0.1:{port}"))
        // No background work: the figures are the pages' alone.
        .env("GUANXI_WORKERS", "0")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the server (cargo bench builds it)");
    let base = format!("http://127.0.0.1:{port}");
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let browser = Browser::signed_in(&base, EMAIL, PASSWORD).await;
    let mut rng = StdRng::seed_from_u64(19);
    let mut pick = move || ids[rng.gen_range(0..ids.len())];

    // Warm up the server's pool, Postgres's caches of the catalog and the plans.
    for _ in 0..50 {
        page(&browser, &format!("/customers/{}", pick())).await;
        page(&browser, "/customers").await;
    }

    println!("\n{customers} customers, {orders} orders; one client, {requests} requests each\n");
    println!("| request | n | p50 ms | p95 ms | p99 ms | budget |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let health = async || browser.open("/healthz").await.1;
    measure("`/healthz` (floor: HTTP, no session)", "", requests, health).await;
    let data = async || succeeded(browser.call(&GetCustomer { id: CustomerId(pick()) }).await);
    measure("`get_customer` (floor: session and data, no page)", "", requests, data).await;
    let customer = async || page(&browser, &format!("/customers/{}", pick())).await;
    measure("`/customers/{id}` (the 360 page)", "p95 < 10 ms", requests, customer).await;
    let first_page = ListCustomers { filter: CustomerFilter::default(), cursor: None };
    let list_data = async || succeeded(browser.call(&first_page).await);
    measure("`list_customers` (floor: the first page's data)", "", requests, list_data).await;
    let list = async || page(&browser, "/customers").await;
    measure("`/customers` (the list page)", "p95 < 20 ms", requests, list).await;

    // Eight people, each signed in on their own and opening customer pages one after another.
    let mut people = Vec::new();
    for _ in 0..8 {
        people.push(Browser::signed_in(&base, EMAIL, PASSWORD).await);
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let clients: Vec<_> = people
        .into_iter()
        .enumerate()
        .map(|(n, browser)| {
            let mut rng = StdRng::seed_from_u64(n as u64);
            let ids: Vec<i64> = (0..500).map(|_| pick()).collect();
            tokio::spawn(async move {
                let mut samples = Vec::new();
                while Instant::now() < deadline {
                    let id = ids[rng.gen_range(0..ids.len())];
                    samples.push(page(&browser, &format!("/customers/{id}")).await);
                }
                samples
            })
        })
        .collect();
    let mut all = Vec::new();
    for client in clients {
        all.extend(client.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let pages = all.len();
    row("`/customers/{id}`, 8 clients at once", all, "≥ 500 pages/s");
    println!(
        "\n8 clients: {pages} pages in {elapsed:.1} s = {:.0} pages/s\n",
        pages as f64 / elapsed
    );
    let _ = server.kill();
    let _ = server.wait();
}
