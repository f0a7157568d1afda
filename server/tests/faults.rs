//! Faults the server must survive: the process killed (SIGKILL, no shutdown) in the middle of
//! an import or of a tier recompute. After a restart the job resumes from its last committed
//! batch, nothing is half-written or written twice, and an import can still be reverted.

mod common;

use app::{
    auth::model::Role,
    imports::{
        api::{GetImport, RevertImport, StartImport},
        fields::ImportOptions,
        model::{ImportMode, ImportRun, ImportStatus},
    },
    testing::TestDatabase,
    tiers::api::StartTierRecompute,
};
use common::{Browser, PASSWORD, browser_for, spawn_server};
use reqwest::{StatusCode, header};
use std::time::{Duration, Instant};

const ORDERS: usize = 40_000;

fn orders_file() -> String {
    let mut csv = String::from("订单号,下单时间,客户名称,手机,订单金额\n");
    for n in 0..ORDERS {
        // 4,000 customers with ten orders each.
        let customer = n % 4000;
        csv.push_str(&format!(
            "SO-{n:06},2026-0{}-{:02},客户{customer:04},139{customer:08},{}.50\n",
            1 + n % 9,
            1 + n % 28,
            100 + n % 900
        ));
    }
    csv
}

async fn signed_in_manager(base: &str) -> Browser {
    let browser = browser_for(base);
    let response = browser.sign_in("manager@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    browser
}

async fn scalar(db: &TestDatabase, sql: &str, import: i64) -> i64 {
    sqlx::query_scalar(sql).bind(import).fetch_one(&db.pool).await.unwrap()
}

async fn wait_for_status(browser: &Browser, import: i64, wanted: ImportStatus, seconds: u64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let run: ImportRun = browser.ok(&GetImport { id: import }).await;
        if run.status == wanted {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "import still {:?} ({}/{:?}) after {seconds} s",
            run.status,
            run.progress_done,
            run.progress_total
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn an_import_killed_mid_way_resumes_after_a_restart_and_still_reverts() {
    let db = TestDatabase::new().await;
    db.user("manager@example.com", Role::Manager, None, PASSWORD).await;
    let (mut first, base) = spawn_server(&db.url).await;
    let manager = signed_in_manager(&base).await;

    let upload = manager
        .client
        .post(format!("{base}/api/import-upload?name=orders.csv&kind=orders"))
        .header(header::ORIGIN, &base)
        .body(orders_file())
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), StatusCode::OK);
    let import = upload.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let run: ImportRun = manager.ok(&GetImport { id: import }).await;
    assert!(run.mapping.iter().flatten().count() >= 4, "headers recognised: {:?}", run.mapping);
    let _job: i64 = manager
        .ok(&StartImport {
            id: import,
            mapping: run.mapping,
            mode: ImportMode::SkipBad,
            options: ImportOptions { create_customers: true, ..Default::default() },
            dry_run: false,
        })
        .await;

    // Kill it once a few batches are in, and well before the end.
    let committed =
        "select coalesce(sum(created_count + unchanged_count + rejected_count), 0)::bigint
                     from import_batch where import_id = $1";
    let deadline = Instant::now() + Duration::from_secs(120);
    while scalar(&db, committed, import).await < 3000 {
        assert!(Instant::now() < deadline, "no batch committed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill();

    let written =
        scalar(&db, "select count(*) from sales_order where import_id = $1", import).await;
    let recorded = scalar(
        &db,
        "select coalesce(sum(created_count), 0)::bigint from import_batch where import_id = $1",
        import,
    )
    .await;
    assert_eq!(written, recorded, "every order written belongs to a recorded batch");
    assert!(written < ORDERS as i64, "killed mid-way ({written} of {ORDERS})");

    // A new process takes the job over once the dead one's lease lapses, and finishes it.
    let (_second, base) = spawn_server(&db.url).await;
    let manager = signed_in_manager(&base).await;
    wait_for_status(&manager, import, ImportStatus::Imported, 180).await;
    let orders = scalar(&db, "select count(*) from sales_order where import_id = $1", import).await;
    let distinct = scalar(
        &db,
        "select count(distinct order_no) from sales_order where import_id = $1",
        import,
    )
    .await;
    assert_eq!((orders, distinct), (ORDERS as i64, ORDERS as i64), "each order once");
    let customers = scalar(
        &db,
        "select count(distinct customer_id) from sales_order where import_id = $1",
        import,
    )
    .await;
    assert_eq!(customers, 4000, "no customer created twice across the restart");
    let _: i64 = manager.ok(&RevertImport { id: import }).await;
    wait_for_status(&manager, import, ImportStatus::Reverted, 180).await;
    let left = scalar(&db, "select count(*) from sales_order where import_id = $1", import).await;
    assert_eq!(left, 0, "the revert takes every order back");
}

#[tokio::test]
async fn a_tier_recompute_killed_mid_way_resumes_from_its_last_range_after_a_restart() {
    let db = TestDatabase::new().await;
    // Enough customers for several of the recompute's 50,000-id ranges.
    let plan = app::demo::bulk::Plan { customers: 240_000, orders: 480_000, seed: 3 };
    app::demo::bulk::load(&db.pool, plan, |_| {}).await.unwrap();
    let run = |sql: &'static str| {
        let pool = db.pool.clone();
        async move { sqlx::query(sql).execute(&pool).await.unwrap().rows_affected() as i64 }
    };
    let count = |sql: &'static str| {
        let pool = db.pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    // Every customer graded, the grades kept as the answer, then everyone put in one tier, so
    // the recompute moves each customer whose grade differs: one recorded move each.
    app::tiers::service::grade_everyone(&mut db.pool.acquire().await.unwrap()).await.unwrap();
    run("create table expected_tier as select customer_id, computed_tier_id from customer_score")
        .await;
    run("update customer_score set computed_tier_id = (select min(id) from tier)").await;
    let to_move = count(
        "select count(*) from expected_tier where computed_tier_id is distinct from (select min(id) from tier)",
    )
    .await;
    assert!(to_move > 10_000, "the data spread over tiers ({to_move} to move)");
    let customers = count("select count(*) from customer").await;
    // Tonight's scheduled recompute counts as done, so the only recompute is the one below.
    run("insert into job (kind, payload, dedupe_key, status, finished_at)
         select 'tier_recompute', '{}', 'tier_recompute:' || (now() at time zone company_time_zone())::date, 'succeeded', now()")
    .await;

    db.user("admin@example.com", Role::Admin, None, PASSWORD).await;
    let (mut first, base) = spawn_server(&db.url).await;
    let admin = browser_for(&base);
    assert_eq!(admin.sign_in("admin@example.com", PASSWORD).await.status(), StatusCode::OK);
    let job: i64 = admin.ok(&StartTierRecompute {}).await;
    let started = Instant::now();
    let state = || async {
        sqlx::query_as::<_, (String, Option<i64>, i32)>(
            "select status, (checkpoint #>> '{}')::bigint, attempts from job where id = $1",
        )
        .bind(job)
        .fetch_one(&db.pool)
        .await
        .unwrap()
    };

    // Kill it once its first range is committed, while it is still running.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let (status, done_to, _) = state().await;
        assert!(status == "queued" || status == "running", "killed before it ended: {status}");
        if done_to.is_some_and(|to| to > 0) {
            break;
        }
        assert!(Instant::now() < deadline, "no range committed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill();
    let killed_after = started.elapsed();
    let (status, done_to, _) = state().await;
    let done_to = done_to.unwrap();
    assert_eq!(status, "running", "the job was cut off, not finished");
    let regraded = |sql: &'static str| {
        let pool = db.pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).bind(done_to).fetch_one(&pool).await.unwrap() }
    };
    // Every committed range is regraded in full, and each move in it recorded once.
    let wrong_in_ranges = regraded(
        "select count(*) from customer_score s join expected_tier e using (customer_id)
         where s.customer_id <= $1 and s.computed_tier_id is distinct from e.computed_tier_id",
    )
    .await;
    assert_eq!(wrong_in_ranges, 0, "committed ranges are graded");
    let moves_in_ranges = regraded(
        "select count(*) from expected_tier where customer_id <= $1
           and computed_tier_id is distinct from (select min(id) from tier)",
    )
    .await;
    let recorded = count("select count(*) from tier_change").await;
    // The range in flight is one transaction: all of it or none (all only when it committed
    // in the instant before its checkpoint was written).
    let next_range = regraded(
        "select count(*) from expected_tier where customer_id > $1 and customer_id <= $1 + 50000
           and computed_tier_id is distinct from (select min(id) from tier)",
    )
    .await;
    assert!(
        recorded == moves_in_ranges || recorded == moves_in_ranges + next_range,
        "moves recorded: {recorded}, committed ranges hold {moves_in_ranges}"
    );
    assert!(recorded < to_move, "killed mid-way ({recorded} of {to_move} moves)");

    // A new process takes it over once the lease lapses and grades the rest, once each.
    let restarted = Instant::now();
    let (_second, _base) = spawn_server(&db.url).await;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let (status, _, _) = state().await;
        if status == "succeeded" {
            break;
        }
        assert_eq!(status, "running", "the resumed recompute failed");
        assert!(Instant::now() < deadline, "the recompute did not finish after the restart");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (_, _, attempts) = state().await;
    assert_eq!(attempts, 2, "resumed in the second attempt");
    eprintln!(
        "recompute of {customers} customers killed after {:.1} s with ids up to {done_to} \
         graded ({recorded} of {to_move} moves); finished {:.1} s after the restart \
         (the lapsed lease is {} s of it)",
        killed_after.as_secs_f64(),
        restarted.elapsed().as_secs_f64(),
        app::jobs::queue::LEASE_SECS,
    );
    let wrong = count(
        "select count(*) from customer_score s join expected_tier e using (customer_id)
         where s.computed_tier_id is distinct from e.computed_tier_id",
    )
    .await;
    assert_eq!(wrong, 0, "every customer graded as a full recompute grades");
    assert_eq!(count("select count(*) from customer_score").await, customers);
    assert_eq!(count("select count(*) from tier_change").await, to_move, "each move recorded");
    let twice = count(
        "select count(*) from (select customer_id from tier_change group by customer_id
                               having count(*) > 1) twice",
    )
    .await;
    assert_eq!(twice, 0, "no customer's move recorded twice");
}

/// One request of the steady load: when it started (after the load began), how long it took,
/// and its status (0: no response at all).
struct Sample {
    at: Duration,
    took: Duration,
    status: u16,
    written: Option<i64>,
}

/// The pause between one client's requests (it alternates a write and a read).
const PAUSE: Duration = Duration::from_millis(25);

async fn steady_load(
    browser: Browser,
    customer: app::customers::model::CustomerId,
    began: Instant,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Vec<Sample> {
    use app::interactions::{
        api::{ListInteractions, LogInteraction},
        model::InteractionInput,
    };
    use leptos::server_fn::ServerFn;
    let mut samples = Vec::new();
    let mut n = 0u64;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        n += 1;
        let write = n.is_multiple_of(2);
        let request = if write {
            let input = InteractionInput {
                customer_id: customer,
                subject: format!("call {n}"),
                ..Default::default()
            };
            browser
                .client
                .post(format!("{}{}", browser.base, LogInteraction::PATH))
                .json(&LogInteraction { input })
        } else {
            browser
                .client
                .post(format!("{}{}", browser.base, ListInteractions::PATH))
                .json(&ListInteractions { customer_id: customer, before: None })
        };
        let at = began.elapsed();
        let started = Instant::now();
        let response = request
            .header(header::ORIGIN, &browser.base)
            .header("sec-fetch-site", "same-origin")
            .timeout(Duration::from_secs(60))
            .send()
            .await;
        let (status, written) = match response {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                let written = (write && status == 200).then(|| body.trim().parse::<i64>().unwrap());
                (status, written)
            }
            Err(_) => (0, None),
        };
        samples.push(Sample { at, took: started.elapsed(), status, written });
        tokio::time::sleep(PAUSE).await;
    }
    samples
}

/// Seconds from `up` (Postgres accepting connections again) until a request that started then
/// succeeded.
fn recovery(samples: &[Sample], up: Duration) -> f64 {
    samples
        .iter()
        .filter(|s| s.at >= up && s.status == 200)
        .map(|s| (s.at + s.took).saturating_sub(up).as_secs_f64())
        .fold(f64::INFINITY, f64::min)
}

#[tokio::test]
async fn requests_succeed_again_soon_after_postgres_restarts_under_load_and_no_write_is_lost() {
    use server::database::{DatabaseOptions, DatabaseSource, resolve};
    use std::{os::unix::fs::PermissionsExt, sync::Arc};

    // A private cluster of its own, so the shared Postgres other tests use is never restarted.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let options = DatabaseOptions {
        database_url: None,
        local_port: std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port(),
        data_dir: dir.path().join("data"),
        search_path: DatabaseOptions::default_search_path(std::env::var_os("PATH")),
    };
    let DatabaseSource::Private(cluster) = resolve(&options).await.expect("private cluster") else {
        panic!("expected a private cluster");
    };
    let cluster = Arc::new(cluster);
    let pool = server::connect(&cluster.url, 2).await.unwrap();
    server::migrate(&pool).await.unwrap();
    app::demo::bulk::load(
        &pool,
        app::demo::bulk::Plan { customers: 50, orders: 100, seed: 5 },
        |_| {},
    )
    .await
    .unwrap();
    let customer: i64 =
        sqlx::query_scalar("select min(id) from customer").fetch_one(&pool).await.unwrap();
    let customer = app::customers::model::CustomerId(customer);
    pool.close().await;

    let (_server, base) = spawn_server(&cluster.url).await;
    let began = Instant::now();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..8 {
        let browser = browser_for(&base);
        // The bulk loader's demo admin.
        let signed_in = browser.sign_in("admin@guanxi.demo", app::demo::DEMO_PASSWORD).await;
        assert_eq!(signed_in.status(), StatusCode::OK);
        clients.push(tokio::spawn(steady_load(browser, customer, began, stop.clone())));
    }

    let restart = |how: &'static str| {
        let cluster = cluster.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                match how {
                    "fast" => cluster.stop().unwrap(),
                    _ => cluster.crash().unwrap(),
                }
                // Down long enough for every client to meet the outage.
                std::thread::sleep(Duration::from_secs(2));
                cluster.restart().unwrap();
            })
            .await
            .unwrap();
        }
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    let down_fast = began.elapsed();
    restart("fast").await;
    let up_fast = began.elapsed();
    tokio::time::sleep(Duration::from_secs(12)).await;
    let down_immediate = began.elapsed();
    restart("immediate").await;
    let up_immediate = began.elapsed();
    tokio::time::sleep(Duration::from_secs(12)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut samples = Vec::new();
    for client in clients {
        samples.extend(client.await.unwrap());
    }

    let fast = recovery(&samples, up_fast);
    let immediate = recovery(&samples, up_immediate);
    let slowest = samples.iter().map(|s| s.took).max().unwrap();
    let failed: Vec<u16> = samples.iter().filter(|s| s.status != 200).map(|s| s.status).collect();
    let mut statuses = failed.clone();
    statuses.sort_unstable();
    statuses.dedup();
    let acknowledged: Vec<i64> = samples.iter().filter_map(|s| s.written).collect();
    let check = server::connect(&cluster.url, 1).await.unwrap();
    let kept: i64 = sqlx::query_scalar("select count(*) from interaction where id = any($1)")
        .bind(&acknowledged)
        .fetch_one(&check)
        .await
        .unwrap();
    check.close().await;
    eprintln!(
        "{} requests from 8 clients; Postgres down at {:.1} s (fast) and {:.1} s (immediate), \
         accepting again at {:.1} s and {:.1} s; requests succeeded again {fast:.2} s and \
         {immediate:.2} s later; {} failed during the outages (statuses {statuses:?}); slowest \
         request {:.2} s; {} acknowledged writes, {kept} found after the restarts",
        samples.len(),
        down_fast.as_secs_f64(),
        down_immediate.as_secs_f64(),
        up_fast.as_secs_f64(),
        up_immediate.as_secs_f64(),
        failed.len(),
        slowest.as_secs_f64(),
        acknowledged.len(),
    );
    assert!(fast <= 10.0, "after a fast restart requests succeed within 10 s ({fast:.2} s)");
    assert!(immediate <= 10.0, "after a crash requests succeed within 10 s ({immediate:.2} s)");
    // A request meets a closed pool or a refused connection and answers at once; waiting for a
    // connection is bounded by the pool's acquire timeout (3 s), once for the session and once
    // for the work.
    assert!(slowest < Duration::from_secs(7), "no request hangs ({:.2} s)", slowest.as_secs_f64());
    assert!(
        statuses.iter().all(|s| *s == 503),
        "an outage answers 503 (busy, try again), never a sign-out or a server error: {statuses:?}"
    );
    assert_eq!(kept, acknowledged.len() as i64, "every acknowledged write survived both restarts");
    assert!(acknowledged.len() > 100, "the load wrote ({} writes)", acknowledged.len());
}
