//! Customer benchmarks at a million customers and five million orders:
//!
//!     cargo bench -p server --bench customers
//!
//! The first run creates `guanxi_bench_<n>` on the test Postgres (GUANXI_TEST_ADMIN_URL) and
//! loads it with COPY; later runs reuse it. Every figure is server time: the repository and
//! service calls a request makes, measured in-process, without HTTP or rendering.
//! `GUANXI_BENCH_CUSTOMERS` / `GUANXI_BENCH_ORDERS` change the size.

mod common;

use app::{
    auth::{model::Role, server::Authenticated},
    customers::{model::*, repo},
    imports::{model::Encoding, service as imports},
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use sqlx::{PgPool, postgres::PgPoolOptions};
use std::time::Instant;

use common::{admin_caller, caller_with_role, env_number, time};

#[tokio::main]
async fn main() {
    let customers = env_number("GUANXI_BENCH_CUSTOMERS", 1_000_000);
    let orders = env_number("GUANXI_BENCH_ORDERS", 5_000_000);
    let (_, url) = common::loaded_database(customers, orders).await;
    let pool = PgPoolOptions::new().max_connections(8).connect(&url).await.unwrap();
    let settings = repo::settings(&pool).await.unwrap();
    let admin_caller = admin_caller(&pool).await;
    let member = caller_with_role(&pool, Role::Member).await;
    let manager = caller_with_role(&pool, Role::Manager).await;
    let mut rng = StdRng::seed_from_u64(42);

    // Fragments people type: two to four characters of a name, four to seven digits of a phone.
    let sample: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("select id, name, phone from customer tablesample system (1) limit 400")
            .fetch_all(&pool)
            .await
            .unwrap();
    let name_fragments: Vec<String> = sample
        .iter()
        .map(|(_, name, _)| {
            let chars: Vec<char> = name.chars().filter(|c| !c.is_whitespace()).collect();
            let len = rng.gen_range(2..=4).min(chars.len());
            let start = rng.gen_range(0..=chars.len() - len);
            chars[start..start + len].iter().collect()
        })
        .collect();
    let phone_fragments: Vec<String> = sample
        .iter()
        .filter_map(|(_, _, phone)| {
            let phone = phone.as_ref()?;
            let len = rng.gen_range(4..=7);
            let start = rng.gen_range(0..=phone.len() - len);
            Some(phone[start..start + len].to_owned())
        })
        .collect();
    let ids: Vec<CustomerId> = sample.iter().map(|(id, _, _)| CustomerId(*id)).collect();
    let regions: Vec<String> =
        sqlx::query_scalar("select distinct region from customer where region is not null")
            .fetch_all(&pool)
            .await
            .unwrap();

    // GUANXI_BENCH_ONLY=reads,import,tiers picks parts (all by default).
    let only = std::env::var("GUANXI_BENCH_ONLY").unwrap_or_default();
    let wants = |part: &str| only.is_empty() || only.split(',').any(|p| p.trim() == part);
    if wants("reads") {
        let list = |filter: CustomerFilter, caller: &Authenticated| {
            let pool = pool.clone();
            let settings = settings.clone();
            let scope = caller.scope.visible_owners();
            async move {
                repo::list(&pool, &filter, scope.as_deref(), None, 50, &settings).await.unwrap()
            }
        };
        let mut results = Vec::new();
        results.push(
            time("search: name fragment (admin, all)", name_fragments.len(), |i| {
                list(
                    CustomerFilter {
                        search: Some(name_fragments[i].clone()),
                        ..Default::default()
                    },
                    &admin_caller,
                )
            })
            .await,
        );
        results.push(
            time("search: phone fragment (admin, all)", phone_fragments.len(), |i| {
                list(
                    CustomerFilter {
                        search: Some(phone_fragments[i].clone()),
                        ..Default::default()
                    },
                    &admin_caller,
                )
            })
            .await,
        );
        results.push(
            time("search: name fragment (member, own)", name_fragments.len(), |i| {
                list(
                    CustomerFilter {
                        search: Some(name_fragments[i].clone()),
                        ..Default::default()
                    },
                    &member,
                )
            })
            .await,
        );
        let today = chrono::Utc::now().date_naive();
        type MakeFilter = Box<dyn Fn(Option<String>) -> CustomerFilter>;
        let kinds: Vec<(&str, MakeFilter)> = vec![
            (
                "active in a region, newest first",
                Box::new(|region| CustomerFilter {
                    status: Some(ActivityStatus::Active),
                    region,
                    ..Default::default()
                }),
            ),
            (
                "VIP tag and spend over 5,000, newest first",
                Box::new(|_| CustomerFilter {
                    tag: Some("VIP".into()),
                    min_spend_minor: Some(500_000),
                    ..Default::default()
                }),
            ),
            (
                "silent, last order in 400 days, newest first",
                Box::new(move |_| CustomerFilter {
                    status: Some(ActivityStatus::Silent),
                    last_order_from: Some(today - chrono::Duration::days(400)),
                    ..Default::default()
                }),
            ),
            (
                "existing in a region, by last order",
                Box::new(|region| CustomerFilter {
                    customer_type: Some(CustomerType::Existing),
                    region,
                    sort: CustomerSort::LastOrder,
                    ..Default::default()
                }),
            ),
            (
                "repeat stage, by spend",
                Box::new(|_| CustomerFilter {
                    stage: Some(LifecycleStage::Repeat),
                    sort: CustomerSort::Spend,
                    ..Default::default()
                }),
            ),
        ];
        for (label, make) in &kinds {
            let filters: Vec<CustomerFilter> =
                (0..60).map(|_| make(regions.choose(&mut rng).cloned())).collect();
            results.push(
                time(&format!("list: {label} (admin, all)"), filters.len(), |i| {
                    list(filters[i].clone(), &admin_caller)
                })
                .await,
            );
            results.push(
                time(&format!("list: {label} (manager, team)"), filters.len(), |i| {
                    list(filters[i].clone(), &manager)
                })
                .await,
            );
        }
        results.push(
            time("customer 360 data (detail, timeline, orders, recommendations)", ids.len(), |i| {
                let pool = pool.clone();
                let settings = settings.clone();
                let id = ids[i];
                async move {
                    repo::detail(&mut pool.acquire().await.unwrap(), id, None, &settings)
                        .await
                        .unwrap();
                    app::customers::timeline::repo::list(&pool, id, None, 30).await.unwrap();
                    app::orders::repo::orders(&pool, id, None, 20).await.unwrap();
                    app::orders::repo::recommendations(&pool, id, 5).await.unwrap();
                }
            })
            .await,
        );

        println!("| operation (server time, {customers} customers) | samples | p50 ms | p95 ms |");
        println!("| --- | --- | --- | --- |");
        for stats in &results {
            println!(
                "| {} | {} | {:.1} | {:.1} |",
                stats.name,
                stats.samples.len(),
                stats.percentile(0.5),
                stats.percentile(0.95)
            );
        }
    }

    if wants("import") {
        // Import: 100,000 rows, half of them new customers and half matching existing ones by phone
        // (a quarter of those with a changed region), checked and then imported. New customers
        // are named as the demo names companies (names recur, as in real files; they match by
        // phone or email, so a shared name does not merge them).
        let rows = env_number("GUANXI_BENCH_IMPORT_ROWS", 100_000);
        let existing: Vec<(String, String)> = sqlx::query_as(&format!(
        "select name, phone from customer tablesample system (10) where phone is not null limit {}",
        rows / 2
    ))
    .fetch_all(&pool)
    .await
    .unwrap();
        let mut csv = String::from("客户名称,电话,邮箱,地区,行业,标签\n");
        let run =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let mut import_rng = StdRng::seed_from_u64(run);
        for n in 0..rows {
            let region = regions.choose(&mut import_rng).cloned().unwrap_or_default();
            match existing.get(n / 2).filter(|_| n % 2 == 1) {
                Some((name, phone)) => {
                    let region = if n % 8 == 1 { region } else { String::new() };
                    csv.push_str(&format!("{name},{phone},,{region},,\n"));
                }
                None => {
                    let company = app::demo::names::company(&mut import_rng);
                    csv.push_str(&format!(
                        "{company},{},b{run}x{n}@import.example,{region},制造业,导入;{run}\n",
                        15_000_000_000u64 + import_rng.gen_range(0..9_999_999_999u64)
                    ));
                }
            }
        }
        let id = imports::upload(
            &app::state::AppState::new(pool.clone(), Default::default()),
            &admin_caller,
            app::imports::model::ImportKind::Customers,
            "bench.csv",
            Encoding::Auto,
            csv.as_bytes(),
        )
        .await
        .unwrap();
        let started = Instant::now();
        imports::execute(&pool, id, true, &mut imports::Unreported).await.unwrap();
        let checked = started.elapsed().as_secs_f64();
        let started = Instant::now();
        // As `start` does before an import job: the check's record is not the import's.
        imports::forget_outcomes(&pool, id).await.unwrap();
        imports::execute(&pool, id, false, &mut imports::Unreported).await.unwrap();
        let imported = started.elapsed().as_secs_f64();
        let counts: (i32, i32, i32, i32) = sqlx::query_as("select created_count, updated_count, unchanged_count, rejected_count from import_run where id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
        println!("\n| import of {rows} rows | seconds | rows/s |\n| --- | --- | --- |");
        println!("| check (dry run) | {checked:.1} | {:.0} |", rows as f64 / checked);
        println!(
            "| import (created {}, updated {}, unchanged {}, rejected {}) | {imported:.1} | {:.0} |",
            counts.0,
            counts.1,
            counts.2,
            counts.3,
            rows as f64 / imported
        );

        // The duplicate scan that follows an import, over its first customers, in the scan's
        // batches (the whole import's would take minutes; the rate is what matters).
        let scanned = env_number("GUANXI_BENCH_SCAN_CUSTOMERS", 4_000) as i64;
        let ids: Vec<i64> = sqlx::query_scalar(
            "select id from import_batch, unnest(created_ids || updated_ids) as id
             where import_id = $1 order by id limit $2",
        )
        .bind(id)
        .bind(scanned)
        .fetch_all(&pool)
        .await
        .unwrap();
        let started = Instant::now();
        let mut pairs = 0;
        for batch in ids.chunks(app::customers::dedupe::SCAN_BATCH) {
            let mut tx = pool.begin().await.unwrap();
            pairs += app::customers::dedupe::detect_among(&mut tx, batch).await.unwrap();
            tx.commit().await.unwrap();
        }
        let scan = started.elapsed().as_secs_f64();
        println!(
            "| duplicate scan of {} of its customers ({pairs} pairs) | {scan:.1} | {:.0} |",
            ids.len(),
            ids.len() as f64 / scan
        );

        let floor = bare_writes(&pool, rows, counts.0 as i64, counts.1 as i64).await;
        println!(
            "| floor: its customer inserts + updates + index merges as bare SQL, one connection | {:.1} ({:.1} + {:.1} + {:.1}) | {:.0} |",
            floor.total(),
            floor.insert,
            floor.update,
            floor.merge,
            rows as f64 / floor.total()
        );
    }

    if wants("tiers") {
        // Tiers: the nightly recompute as the job runs it (cut points, then 50,000-customer ranges),
        // then a rule change: its preview, and the recompute that moves customers.
        let recompute = |tiers: Vec<(app::tiers::model::Tier, Option<app::tiers::rule::Expr>)>| {
            let pool = pool.clone();
            async move {
                let window = app::tiers::service::settings(&pool).await.unwrap().window_days;
                let started = Instant::now();
                let mut conn = pool.acquire().await.unwrap();
                app::tiers::service::compute_cut_points(&mut conn, window).await.unwrap();
                let cut = started.elapsed().as_secs_f64();
                let max_id: i64 = sqlx::query_scalar("select max(id) from customer")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                let (mut from, mut moves) = (1, 0);
                while from <= max_id {
                    let mut tx = pool.begin().await.unwrap();
                    moves += app::tiers::service::grade_range(
                        &mut tx,
                        &tiers,
                        window,
                        from,
                        from + 49_999,
                    )
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                    from += 50_000;
                }
                (cut, started.elapsed().as_secs_f64(), moves)
            }
        };
        let tiers_before = app::tiers::service::tiers(&pool).await.unwrap();
        sqlx::query("truncate customer_score").execute(&pool).await.unwrap();
        let first = recompute(tiers_before.clone()).await;
        let nightly = recompute(tiers_before.clone()).await;
        let mut proposed = tiers_before.clone();
        proposed[0].0.rule = "M >= 5 and F >= 4".into();
        proposed[0].1 = app::tiers::rule::parse("M >= 5 and F >= 4").unwrap();
        let preview = time("tier rule preview (counts, moves, samples)", 10, |_| {
            let pool = pool.clone();
            let proposed = proposed.clone();
            async move { app::tiers::service::preview(&pool, &proposed).await.unwrap() }
        })
        .await;
        let changed = recompute(proposed.clone()).await;
        // Back to the stored rules, so the next run starts from the same place.
        let restored = recompute(tiers_before.clone()).await;
        println!("\n| tiers at {customers} customers | cut points | whole recompute | moves |");
        println!("| --- | --- | --- | --- |");
        for (name, (cut, total, moves)) in [
            ("first grading (no scores yet)", first),
            ("nightly recompute, rules unchanged", nightly),
            ("after a rule change (High: M >= 5 and F >= 4)", changed),
            ("rule changed back", restored),
        ] {
            println!("| {name} | {cut:.1} s | {total:.1} s | {moves} |");
        }
        println!(
            "\n| rule-change preview | p50 {:.0} ms | p95 {:.0} ms |",
            preview.percentile(0.5),
            preview.percentile(0.95)
        );
    }
}

/// Seconds the bare customer writes of an import take.
struct BareWrites {
    insert: f64,
    update: f64,
    merge: f64,
}

impl BareWrites {
    fn total(&self) -> f64 {
        self.insert + self.update + self.merge
    }
}

/// The floor under an import of `rows` rows: as many new customers (copies of the import's, with
/// natural keys of their own) and updated regions as the import wrote, as bare SQL statements
/// over as many batches as the import's, each committed, with the GIN pending lists merged as
/// often as the import merges them (which keeps searches during an import fast), all on one
/// connection. Nothing else an import does (lookups, decisions, its records, the timeline) is in
/// it; the import runs its merges beside its writes, on the second core.
async fn bare_writes(pool: &PgPool, rows: usize, created: i64, updated: i64) -> BareWrites {
    use app::imports::process::{BATCH, MERGE_EVERY};
    let mut conn = pool.acquire().await.unwrap();
    let batches = rows.div_ceil(BATCH) as i64;
    let merge_every = (MERGE_EVERY / BATCH) as i64;
    sqlx::raw_sql(&format!(
        // Started clean like the import (the runs here start after a checkpoint): otherwise the
        // first write of each page after the checkpoint the import's WAL set off is logged whole.
        "checkpoint;
         set synchronous_commit = off;
         create temp table bare_new as
             select *, row_number() over () % {batches} as batch from (
                 select * from customer where deleted_at is null order by id desc limit {created}
             ) newest;
         update bare_new set id = nextval(pg_get_serial_sequence('customer', 'id')),
             phone_normalized = '199' || lpad((random() * 1e8)::bigint::text, 8, '0'),
             email = 'bare' || id || '@import.example',
             email_normalized = 'bare' || id || '@import.example',
             name = name || 'B', name_key = name_key || 'b', version = 1;
         update bare_new set phone = phone_normalized;
         create temp table bare_updated as
             select id, id % {batches} as batch from customer tablesample system (5)
             where deleted_at is null limit {updated};
         analyze bare_new; analyze bare_updated;"
    ))
    .execute(&mut *conn)
    .await
    .unwrap();
    let mut floor = BareWrites { insert: 0.0, update: 0.0, merge: 0.0 };
    for batch in 0..batches {
        let started = Instant::now();
        sqlx::query(
            "insert into customer overriding system value
             select id, kind, name, customer_type, churn_reason, churned_at, phone,
                    phone_normalized, email, email_normalized, address, region, industry, source,
                    owner_id, tags, birthday, anniversary, notes, custom_fields, order_count,
                    total_spend_minor, currency, first_order_at, last_order_at, search_text,
                    name_key, merged_into, created_by, created_at, updated_at, version,
                    deleted_at, deleted_by, locale, search_keys
             from bare_new where batch = $1",
        )
        .bind(batch)
        .execute(&mut *conn)
        .await
        .unwrap();
        floor.insert += started.elapsed().as_secs_f64();
        let started = Instant::now();
        sqlx::query(
            "update customer c set region = '浙江·杭州', version = c.version + 1, updated_at = now()
             from bare_updated u where c.id = u.id and u.batch = $1",
        )
        .bind(batch)
        .execute(&mut *conn)
        .await
        .unwrap();
        floor.update += started.elapsed().as_secs_f64();
        if (batch + 1) % merge_every == 0 || batch + 1 == batches {
            let started = Instant::now();
            repo::merge_pending_index_entries(&mut conn).await.unwrap();
            floor.merge += started.elapsed().as_secs_f64();
        }
    }
    sqlx::raw_sql("drop table bare_new; drop table bare_updated")
        .execute(&mut *conn)
        .await
        .unwrap();
    floor
}
