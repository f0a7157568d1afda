//! A company's history into the million-customer database, and its data out:
//!
//!     cargo bench -p server --bench history
//!
//! Uses `guanxi_bench_<customers>` (built by the customers bench's loader on first use) as a
//! template: each measured run works on a fresh copy of it. Prints, for an order file of
//! `GUANXI_BENCH_ORDER_LINES` lines (1,000,000: 250,000 orders of four lines each, for existing
//! customers found by phone):
//! - the check, the import and the refresh of everything derived, in rows per second, through
//!   the same code the import job runs, with the process's peak memory for each;
//! - the floor: the same orders, lines and timeline entries inserted as bare SQL on one
//!   connection, in the import's batches, on another fresh copy;
//! - exports of every customer to `.xlsx` and to CSV: time and peak memory.
//!
//! `GUANXI_BENCH_ONLY=import,floor,export` picks parts.

mod common;

use app::{
    exports::{
        model::{ExportEntity, ExportFormat},
        routes::Output,
        sheet::CsvEncoding,
        source::{Request, Who},
    },
    i18n::Locale,
    imports::{
        model::{Encoding, ImportKind, ImportMode, ImportOptions},
        service as imports,
    },
    jobs::context::JobError,
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use sqlx::PgPool;
use std::time::Instant;

use common::{
    admin_caller, drop_database, env_number, fresh_copy, loaded_database, memory_now_mb,
    peak_memory_mb, reset_peak_memory,
};

/// Lines per order in the generated file.
const LINES_PER_ORDER: usize = 4;

/// Records when the job's last row-progress report came: the end of the writes, after which
/// the refresh runs.
struct Timing {
    last_row_report: Option<Instant>,
}

impl imports::Progress for Timing {
    async fn report(&mut self, _done: i64, _total: i64) -> Result<(), JobError> {
        self.last_row_report = Some(Instant::now());
        Ok(())
    }

    async fn report_with(&mut self, _: i64, _: i64, _: serde_json::Value) -> Result<(), JobError> {
        Ok(())
    }
}

/// One generated order: the customer's phone, the order's time, and its lines
/// (SKU, quantity, unit price in minor units).
struct GeneratedOrder {
    number: String,
    phone: String,
    at: chrono::NaiveDateTime,
    lines: Vec<(&'static str, i32, i64)>,
}

/// Orders for existing customers, spread over the last two years, written as people write
/// them (thousands separators, ¥ signs, 元).
async fn generate(pool: &PgPool, lines: usize) -> (Vec<GeneratedOrder>, String) {
    let orders = lines.div_ceil(LINES_PER_ORDER);
    let mut rng = StdRng::seed_from_u64(17);
    let phones: Vec<String> = sqlx::query_scalar(
        "select phone_normalized from customer
         where deleted_at is null and phone_normalized is not null
         order by id limit $1",
    )
    .bind((orders as f64 * 0.8) as i64)
    .fetch_all(pool)
    .await
    .unwrap();
    let products = &app::demo::customers::PRODUCTS;
    let today = chrono::Utc::now().date_naive();
    let mut generated = Vec::with_capacity(orders);
    let mut file = String::with_capacity(lines * 64);
    file.push_str("订单号,下单时间,手机,产品编号,数量,单价\n");
    for n in 0..orders {
        let phone = phones[rng.gen_range(0..phones.len())].clone();
        let day = today - chrono::Duration::days(rng.gen_range(1..730));
        let at = day.and_hms_opt(rng.gen_range(8..22), rng.gen_range(0..60), 0).unwrap();
        let mut picks: Vec<&(&'static str, &'static str, &'static str, i64)> =
            products.choose_multiple(&mut rng, LINES_PER_ORDER).collect();
        picks.sort_by_key(|p| p.0);
        let order = GeneratedOrder {
            number: format!("HIS-{n:07}"),
            phone,
            at,
            lines: picks.iter().map(|p| (p.0, rng.gen_range(1..=5), p.3)).collect(),
        };
        for (sku, quantity, price) in &order.lines {
            let price = match rng.gen_range(0..3) {
                0 => format!(
                    "\"{}\"",
                    app::customers::model::Money { minor: *price, currency: "CNY".into() }
                        .display()
                ),
                1 => format!("{}元", price / 100),
                _ => format!("{}.{:02}", price / 100, price % 100),
            };
            file.push_str(&format!(
                "{},{},{},{sku},{quantity},{price}\n",
                order.number,
                order.at.format("%Y-%m-%d %H:%M"),
                order.phone
            ));
        }
        generated.push(order);
    }
    (generated, file)
}

/// The floor: the same orders, lines and one timeline entry per order as bare SQL, in the
/// import's batches, each committed without waiting for the flush (as the import's are), on
/// one connection. Nothing else an import does is in it: no reading, no lookups, no decisions,
/// no records, no refresh. Returns seconds.
async fn bare_inserts(pool: &PgPool, orders: &[GeneratedOrder]) -> f64 {
    // Resolved before the clock starts: the floor knows every customer and product already.
    let phones: Vec<String> = orders.iter().map(|o| o.phone.clone()).collect();
    let customers: std::collections::HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "select phone_normalized, min(id) from customer
         where deleted_at is null and phone_normalized = any($1) group by 1",
    )
    .bind(&phones)
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let products: std::collections::HashMap<String, i64> =
        sqlx::query_as::<_, (String, i64)>("select sku, id from product")
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let zone = chrono_tz::Tz::Asia__Shanghai;
    let mut conn = pool.acquire().await.unwrap();
    let started = Instant::now();
    for batch in orders.chunks(app::imports::history::ORDER_BATCH) {
        let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
        sqlx::query("set local synchronous_commit = off").execute(&mut *tx).await.unwrap();
        let ids: Vec<i64> = sqlx::query_scalar(
            "insert into sales_order (customer_id, order_no, ordered_at, channel, currency, total_minor)
             select * from unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::bigint[])
             returning id",
        )
        .bind(batch.iter().map(|o| customers[&o.phone]).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| o.number.clone()).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| app::clock::local_to_utc(o.at, zone)).collect::<Vec<_>>())
        .bind(vec!["other"; batch.len()])
        .bind(vec!["CNY"; batch.len()])
        .bind(
            batch
                .iter()
                .map(|o| o.lines.iter().map(|(_, q, p)| i64::from(*q) * p).sum::<i64>())
                .collect::<Vec<_>>(),
        )
        .fetch_all(&mut *tx)
        .await
        .unwrap();
        let lines: Vec<(i64, &(&str, i32, i64))> = ids
            .iter()
            .zip(batch)
            .flat_map(|(id, o)| o.lines.iter().map(move |l| (*id, l)))
            .collect();
        sqlx::query(
            "insert into order_line (order_id, product_id, quantity, unit_price_minor, line_total_minor)
             select * from unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[], $5::bigint[])",
        )
        .bind(lines.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(lines.iter().map(|(_, l)| products[l.0]).collect::<Vec<_>>())
        .bind(lines.iter().map(|(_, l)| l.1).collect::<Vec<_>>())
        .bind(lines.iter().map(|(_, l)| l.2).collect::<Vec<_>>())
        .bind(lines.iter().map(|(_, l)| i64::from(l.1) * l.2).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "insert into timeline_event (customer_id, at, kind, ref_id, data)
             select u.customer_id, u.at, 'order', u.id, jsonb_build_object('order_no', u.no)
             from unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::text[]) as u(customer_id, at, id, no)",
        )
        .bind(batch.iter().map(|o| customers[&o.phone]).collect::<Vec<_>>())
        .bind(batch.iter().map(|o| app::clock::local_to_utc(o.at, zone)).collect::<Vec<_>>())
        .bind(&ids)
        .bind(batch.iter().map(|o| o.number.clone()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    // The refresh logs how long each of its steps took.
    tracing_subscriber::fmt()
        .with_env_filter("app::imports=info")
        .with_writer(std::io::stderr)
        .init();
    let customers = env_number("GUANXI_BENCH_CUSTOMERS", 1_000_000);
    let orders_loaded = env_number("GUANXI_BENCH_ORDERS", 5_000_000);
    let lines = env_number("GUANXI_BENCH_ORDER_LINES", 1_000_000);
    let only = std::env::var("GUANXI_BENCH_ONLY").unwrap_or_default();
    let wants = |part: &str| only.is_empty() || only.split(',').any(|p| p.trim() == part);
    let (template, _) = loaded_database(customers, orders_loaded).await;
    let copy = format!("{template}_history");

    let pool = fresh_copy(&template, &copy).await;
    let (generated, file) = generate(&pool, lines).await;
    let rows = (generated.len() * LINES_PER_ORDER) as f64;
    println!(
        "\n{} order lines ({} orders) for existing customers, {:.1} MB of CSV; resident memory before: {:.0} MB",
        rows,
        generated.len(),
        file.len() as f64 / 1e6,
        memory_now_mb()
    );

    if wants("import") {
        let admin = admin_caller(&pool).await;
        let state = app::state::AppState::new(pool.clone(), Default::default());
        let started = Instant::now();
        let id = imports::upload(
            &state,
            &admin,
            ImportKind::Orders,
            "history.csv",
            Encoding::Auto,
            file.as_bytes(),
        )
        .await
        .unwrap();
        let uploaded = started.elapsed().as_secs_f64();
        let run = imports::get(&state, &admin, id).await.unwrap();
        imports::check_mapping(ImportKind::Orders, &run.mapping).unwrap();
        sqlx::query("update import_run set options = $2, mode = $3 where id = $1")
            .bind(id)
            .bind(serde_json::to_value(ImportOptions::default()).unwrap())
            .bind(ImportMode::SkipBad.as_str())
            .execute(&pool)
            .await
            .unwrap();

        reset_peak_memory();
        let check_base = memory_now_mb();
        let started = Instant::now();
        imports::execute(&pool, id, true, &mut Timing { last_row_report: None }).await.unwrap();
        let check = started.elapsed().as_secs_f64();
        let check_memory = peak_memory_mb() - check_base;
        let checked = imports::get(&state, &admin, id).await.unwrap();

        // As `start` does before an import job: the check's record is not the import's.
        imports::forget_outcomes(&pool, id).await.unwrap();
        sqlx::query("checkpoint").execute(&pool).await.unwrap();
        reset_peak_memory();
        let import_base = memory_now_mb();
        let mut timing = Timing { last_row_report: None };
        let started = Instant::now();
        imports::execute(&pool, id, false, &mut timing).await.unwrap();
        let ended = Instant::now();
        let import_memory = peak_memory_mb() - import_base;
        let import =
            timing.last_row_report.map(|at| at - started).unwrap_or_default().as_secs_f64();
        let refresh = (ended - timing.last_row_report.unwrap_or(started)).as_secs_f64();
        let imported = imports::get(&state, &admin, id).await.unwrap();
        let touched: i64 =
            sqlx::query_scalar("select count(*) from import_customer_before where import_id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
        println!(
            "\n| order import, {} lines | time | rows/s | peak memory above the process's before |",
            rows
        );
        println!("| --- | --- | --- | --- |");
        println!("| upload (read, count, store) | {uploaded:.1} s | {:.0} | |", rows / uploaded);
        println!(
            "| check (read, decide, record) | {check:.1} s | {:.0} | {check_memory:.0} MB |",
            rows / check
        );
        println!(
            "| import (read, decide, write, record) | {import:.1} s | {:.0} | {import_memory:.0} MB |",
            rows / import
        );
        println!(
            "| refresh: {touched} customers' aggregates, type, stage, tiers, affinities | {refresh:.1} s | {:.0} | |",
            rows / refresh
        );
        println!(
            "\ncheck: created {} rejected {}; import: created {} rejected {} orders {}",
            checked.created,
            checked.rejected,
            imported.created,
            imported.rejected,
            imported.new_orders
        );
    }
    pool.close().await;

    if wants("floor") {
        let floor_copy = format!("{template}_floor");
        let pool = fresh_copy(&template, &floor_copy).await;
        let floor = bare_inserts(&pool, &generated).await;
        println!(
            "\n| floor: the same orders, lines and timeline entries as bare SQL | {floor:.1} s | {:.0} rows/s |",
            rows / floor
        );
        pool.close().await;
        drop_database(&floor_copy).await;
    }

    if wants("export") {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect(&common::with_database(&app::testing::admin_url(), &copy))
            .await
            .unwrap();
        let admin = admin_caller(&pool).await;
        let who = Who { user_id: admin.id(), visible_owners: None, admin: true };
        println!("\n| export of every customer | rows | time | file | peak memory above before |");
        println!("| --- | --- | --- | --- | --- |");
        for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
            let output = Output {
                format,
                encoding: CsvEncoding::Utf8,
                locale: Locale::ZhCn,
                zone: chrono_tz::Tz::Asia__Shanghai,
            };
            let file = tempfile::tempfile().unwrap();
            reset_peak_memory();
            let base = memory_now_mb();
            let started = Instant::now();
            let (rows, file) = app::registry::EXPORTS
                .write(&pool, &who, ExportEntity::Customers, &Request::default(), output, file)
                .await
                .unwrap();
            let seconds = started.elapsed().as_secs_f64();
            let size = file.metadata().map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
            println!(
                "| {} | {rows} | {seconds:.1} s | {size:.0} MB | {:.0} MB |",
                format.as_str(),
                peak_memory_mb() - base
            );
        }
        pool.close().await;
    }
    drop_database(&copy).await;
}
