//! Every dashboard tile at a million customers and five million orders, with 10,000 open
//! opportunities, for an admin, a manager and a member.
//!
//!     cargo bench -p server --bench dashboard
//!
//! Issue 21's budget: every tile in p95 under 200 ms. Copies the customers bench's database
//! (loaded on first use) to `guanxi_bench_dashboard` and adds what the tiles read beside
//! customers and orders: opportunities (open and closed), quotas, tasks, leads, tickets, tier
//! changes and jobs. GUANXI_TILE_QUERIES (per row, default 100) changes the run.

mod common;

use app::{
    auth::{model::Role, server::Authenticated},
    home::{model::TileKind, service as home},
};
use chrono::NaiveDate;
use common::{
    Stats, admin_caller, caller_with_role, env_number, fresh_copy, rolled_back_write, time,
};
use sqlx::{Executor, PgPool};
use std::time::Instant;

#[tokio::main]
async fn main() {
    let customers = env_number("GUANXI_BENCH_CUSTOMERS", 1_000_000);
    let orders = env_number("GUANXI_BENCH_ORDERS", 5_000_000);
    let open = env_number("GUANXI_BENCH_OPEN", 10_000) as i32;
    let runs = env_number("GUANXI_TILE_QUERIES", 100);
    let (template, _) = common::loaded_database(customers, orders).await;
    let started = Instant::now();
    let pool = fresh_copy(&template, "guanxi_bench_dashboard").await;
    println!("database copied in {:.0} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    add_the_rest(&pool, open).await;
    println!(
        "opportunities, tasks, leads, tickets, tier changes and jobs added in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    // A score and a tier for every customer, in one statement: what the first recompute writes,
    // with the tier counts kept by the statement's trigger.
    let started = Instant::now();
    pool.execute(
        "insert into customer_score (customer_id, recency_days, frequency, monetary_minor, r, f, m,
                                     computed_tier_id, override_tier_id, override_reason, override_until)
         select c.id, c.id % 700, c.id % 9, c.id % 100000, 1 + c.id % 5, 1 + c.id % 4, 1 + c.id % 3,
                t.ids[1 + c.id % 3],
                case when c.id % 1000 = 0 then t.ids[1] end,
                case when c.id % 1000 = 0 then '大客户' end,
                case when c.id % 1000 = 0 then current_date + (c.id % 60)::int - 30 end
         from customer c, (select array_agg(id order by position) as ids from tier) t",
    )
    .await
    .unwrap();
    pool.execute("analyze customer_score").await.unwrap();
    println!("a score for every customer inserted in {:.0} s", started.elapsed().as_secs_f64());

    let admin = admin_caller(&pool).await;
    let manager = caller_with_role(&pool, Role::Manager).await;
    let member = caller_with_role(&pool, Role::Member).await;
    // "Today" is the last day with orders, so this month is a full one however old the data.
    let today = common::last_order_day(&pool).await;

    let mut rows: Vec<Stats> = Vec::new();
    for (who, caller) in [("admin", &admin), ("manager", &manager), ("member", &member)] {
        for kind in TileKind::offered_to(caller.role()) {
            rows.push(
                time(&format!("{}, {who}", kind.as_str()), runs, |_| {
                    tile(&pool, caller, kind, today)
                })
                .await,
            );
        }
    }
    // The floor of a tile that reads every customer (the tier share): counting them.
    rows.push(
        time("floor: count(*) of live customers", runs.min(20), |_| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(
                    "select count(*) from customer where deleted_at is null",
                )
                .fetch_one(&pool)
                .await
                .unwrap()
            }
        })
        .await,
    );
    // A whole dashboard as the page loads it: the role's default tiles one after another (the
    // browser asks for them side by side).
    for (who, caller) in [("admin", &admin), ("manager", &manager), ("member", &member)] {
        rows.push(
            time(&format!("all default tiles in turn, {who}"), runs.min(30), |_| {
                let (pool, caller) = (pool.clone(), caller.clone());
                async move {
                    for kind in TileKind::defaults(caller.role()) {
                        tile(&pool, &caller, kind, today).await;
                    }
                }
            })
            .await,
        );
    }

    write_costs(&pool).await;
    println!("\ntoday = {today}; {runs} runs per tile, one after another\n");
    common::print_percentiles("tile, caller", &rows);
}

fn tile(
    pool: &PgPool,
    caller: &Authenticated,
    kind: TileKind,
    today: NaiveDate,
) -> impl std::future::Future<Output = ()> + use<> {
    let (pool, caller) = (pool.clone(), caller.clone());
    async move {
        home::tile(&pool, &caller, kind, today).await.unwrap();
    }
}

/// What the tiles read beside customers and orders, spread over the users and the last year.
async fn add_the_rest(pool: &PgPool, open: i32) {
    let statements = [
        // Opportunities: `open` open ones closing over the next four months, twice as many
        // closed over the last year (a third won).
        "with stages as (select array_agg(id order by position) filter (where kind = 'open') as open,
                                min(id) filter (where kind = 'won') as won, min(id) filter (where kind = 'lost') as lost
                         from pipeline_stage),
              users as (select array_agg(id order by id) as ids from app_user where active)
         insert into opportunity (customer_id, title, amount_minor, expected_close, owner_id, pipeline_id,
                                  stage_id, stage_entered_at, closed_at, lost_reason)
         select 1 + (n * 97) % (select max(id) from customer), '商机 ' || n, 100000 + (n * 7919 % 5000000),
                current_date + (n % 120) - 10, u.ids[1 + n % array_length(u.ids, 1)],
                (select id from pipeline where is_default),
                case when n <= $1 then s.open[1 + n % array_length(s.open, 1)]
                     when n % 3 = 0 then s.won else s.lost end,
                now() - make_interval(hours => n % 5000),
                case when n > $1 then now() - make_interval(days => n % 360) end,
                case when n > $1 and n % 3 <> 0 then '价格' end
         from generate_series(1, $1 * 3) n, stages s, users u",
        "insert into quota (owner_id, month, amount_minor)
         select u.id, (date_trunc('month', current_date) + make_interval(months => m))::date, 50000000
         from app_user u, generate_series(-6, 6) m on conflict do nothing",
        // Tasks: 50 per user, due from a month ago to a month ahead, a third done.
        "insert into task (title, assignee_id, due_at, done_at)
         select '回访 ' || n, u.id, now() + make_interval(hours => (n % 1440) - 720),
                case when n % 3 = 0 then now() end
         from app_user u, generate_series(1, 50) n",
        // Leads: 100,000 over the last year, the newest fifth still new and never contacted.
        "insert into lead (name, owner_id, status, created_at, first_contacted_at)
         select '线索 ' || n, u.ids[1 + n % array_length(u.ids, 1)],
                case when n > 80000 then 'new' else 'contacted' end,
                now() - make_interval(mins => (100000 - n) * 5),
                case when n <= 80000 then now() - make_interval(mins => (100000 - n) * 5 - 60) end
         from generate_series(1, 100000) n, (select array_agg(id) as ids from app_user where active) u",
        // Tickets: 200,000 over the last year, the newest 2,000 open.
        "insert into ticket (customer_id, channel, category, priority, status, assignee_id, subject,
                             first_response_due, resolution_due, first_responded_at, resolved_at,
                             resolution_breached, created_at)
         select 1 + (n * 31) % (select max(id) from customer), 'phone', 'question', 'normal',
                case when n > 198000 then 'open' else 'resolved' end, u.ids[1 + n % array_length(u.ids, 1)],
                '工单 ' || n,
                now() - make_interval(mins => (200000 - n) * 2) + interval '4 hours',
                now() - make_interval(mins => (200000 - n) * 2) + interval '2 days',
                now() - make_interval(mins => (200000 - n) * 2) + interval '1 hour',
                case when n <= 198000 then now() - make_interval(mins => (200000 - n) * 2) + interval '1 day' end,
                n % 10 = 0, now() - make_interval(mins => (200000 - n) * 2)
         from generate_series(1, 200000) n, (select array_agg(id) as ids from app_user where active) u",
        // Tier changes: 100,000 over the last three months, half of them down.
        "insert into tier_change (customer_id, at, from_tier_id, to_tier_id)
         select 1 + (n * 13) % (select max(id) from customer), now() - make_interval(mins => n),
                t.ids[1 + n % 2], t.ids[2 + (n + 1) % 2]
         from generate_series(1, 100000) n, (select array_agg(id order by position) as ids from tier) t",
        "insert into job (kind, status, last_error, finished_at, created_at)
         select case when n % 2 = 0 then 'import' else 'maintenance' end,
                case when n % 50 = 0 then 'failed' else 'succeeded' end,
                case when n % 50 = 0 then 'row ' || n || ': bad date' end,
                now() - make_interval(hours => n), now() - make_interval(hours => n)
         from generate_series(1, 5000) n",
        "analyze",
    ];
    for statement in statements {
        if statement.contains("$1") {
            sqlx::query(statement).bind(open).execute(pool).await.unwrap();
        } else {
            pool.execute(statement).await.unwrap();
        }
    }
}

/// What keeping customers per tier adds to score writes: one customer's tier changed, and a
/// recompute batch of 10,000 in one statement, with the update trigger on and off, each rolled
/// back so the database stays as loaded.
async fn write_costs(pool: &PgPool) {
    const TRIGGER: [(&str, &str); 1] = [("customer_score", "tier_count_scores_updated")];
    let sample: Vec<i64> = sqlx::query_scalar(
        "select customer_id from customer_score tablesample system (1) limit 100",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let one = "update customer_score set computed_tier_id = (select max(id) from tier)
               where customer_id = $1";
    let batch = "update customer_score set computed_tier_id = (select min(id) from tier)
                 where customer_id in (select customer_id from customer_score
                                       where customer_id > $1 order by customer_id limit 10000)";
    println!("\n| score write | tier-count trigger | ms |");
    println!("| --- | --- | --- |");
    for triggers in ["on", "off"] {
        let mut single = vec![];
        for n in 0..100 {
            let mut tx =
                rolled_back_write(pool, if triggers == "off" { &TRIGGER } else { &[] }).await;
            let started = Instant::now();
            sqlx::query(one).bind(sample[n % sample.len()]).execute(&mut *tx).await.unwrap();
            single.push(started.elapsed().as_secs_f64() * 1000.0);
            tx.rollback().await.unwrap();
        }
        single.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "| one customer's tier (p50 of 100) | {triggers} | {:.2} |",
            single[single.len() / 2]
        );
        let mut batches = vec![];
        for n in 0..5i64 {
            let mut tx =
                rolled_back_write(pool, if triggers == "off" { &TRIGGER } else { &[] }).await;
            let started = Instant::now();
            sqlx::query(batch).bind(n * 150_000).execute(&mut *tx).await.unwrap();
            batches.push(started.elapsed().as_secs_f64() * 1000.0);
            tx.rollback().await.unwrap();
        }
        batches.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "| 10,000 tiers in one statement (median of 5) | {triggers} | {:.0} |",
            batches[2]
        );
    }
}
