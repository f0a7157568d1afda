//! The sales and cohort reports at a million customers and five million orders, read from
//! their summaries, beside the floor of the same figures counted from the orders; the lead
//! funnel, churn and customers over time over leads and former customers seeded into a copy of
//! that database; and what keeping each summary adds to an order write and to an import.
//!
//!     cargo bench -p server --bench reports
//!
//! Issue 21's budget: every report with its default filters in p95 under 200 ms, a year-long
//! custom range under 500 ms. Uses the customers bench's database (loaded on first use).
//! GUANXI_REPORT_QUERIES (per row, default 100) changes the run.

mod common;

use app::{
    auth::{model::Role, server::Authenticated},
    reports::{
        churn::service as churn,
        cohorts::{
            model::{CohortCell, CohortQuery},
            service as cohorts,
        },
        funnel::{model::FunnelQuery, service as funnel},
        model::{Comparison, Grouping, RangeQuery, SalesFilter, SalesQuery},
        service as reports,
        statuses::{
            model::{StatusFigure, StatusFilter, TimelineStatus},
            service as statuses,
        },
    },
};
use chrono::{Datelike, Duration};
use common::{Stats, admin_caller, caller_with_role, env_number, rolled_back_write, time};
use sqlx::{PgPool, postgres::PgPoolOptions};
use std::time::Instant;

#[tokio::main]
async fn main() {
    let customers = env_number("GUANXI_BENCH_CUSTOMERS", 1_000_000);
    let orders = env_number("GUANXI_BENCH_ORDERS", 5_000_000);
    let runs = env_number("GUANXI_REPORT_QUERIES", 100);
    let (template, url) = common::loaded_database(customers, orders).await;
    // Leads and former customers go into a copy, so the other benches' database stays as
    // loaded (copied before anything connects to it: a template must have no sessions).
    let leads_pool = common::fresh_copy(&template, "guanxi_bench_reports_leads").await;
    let pool = PgPoolOptions::new().max_connections(8).connect(&url).await.unwrap();
    let summary_rows: i64 =
        sqlx::query_scalar("select count(*) from sales_day").fetch_one(&pool).await.unwrap();
    if summary_rows == 0 {
        // A database loaded before the summary existed.
        let started = Instant::now();
        sqlx::query("select sales_day_rebuild()").execute(&pool).await.unwrap();
        sqlx::query("analyze sales_day").execute(&pool).await.unwrap();
        println!("summary rebuilt in {:.1} s", started.elapsed().as_secs_f64());
    }

    let product_rows: i64 =
        sqlx::query_scalar("select count(*) from product_day").fetch_one(&pool).await.unwrap();
    println!("product_day: {product_rows} rows");
    let busiest_product: i64 = sqlx::query_scalar(
        "select product_id from product_day group by 1 order by sum(revenue_minor) desc limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    let tier_rows: i64 =
        sqlx::query_scalar("select count(*) from sales_tier_day").fetch_one(&pool).await.unwrap();
    if tier_rows == 0 {
        // A database loaded before the summary with tiers existed.
        let started = Instant::now();
        sqlx::query("select sales_tier_day_rebuild()").execute(&pool).await.unwrap();
        sqlx::query("analyze sales_tier_day").execute(&pool).await.unwrap();
        println!("summary with tiers rebuilt in {:.1} s", started.elapsed().as_secs_f64());
    }
    let (sales_rows, tier_rows): (i64, i64) = sqlx::query_as(
        "select (select count(*) from sales_day), (select count(*) from sales_tier_day)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    println!("sales_day: {sales_rows} rows; sales_tier_day: {tier_rows} rows");
    // The tier most customers are in: the widest a report narrowed to one tier reads.
    let largest_tier: i64 = sqlx::query_scalar(
        "select tier_in_force(computed_tier_id, override_tier_id, override_until)
         from customer_score group by 1 order by count(*) desc limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap_or(0);

    let admin = admin_caller(&pool).await;
    let manager = caller_with_role(&pool, Role::Manager).await;
    let member = caller_with_role(&pool, Role::Member).await;
    // The report's "today" is the last day with orders, so the default month is a full one
    // however old the loaded data are.
    let today = common::last_order_day(&pool).await;
    let month_start = today.with_day(1).unwrap();
    let this_month = SalesFilter { from: Some(month_start), to: Some(today), ..Default::default() };
    let a_year = SalesFilter {
        from: Some(today - Duration::days(364)),
        to: Some(today),
        ..Default::default()
    };

    let report = |caller: &Authenticated, query: SalesQuery| {
        let (pool, caller) = (pool.clone(), caller.clone());
        async move { reports::sales_report(&pool, &caller, &query).await.unwrap().bars.len() }
    };
    let mut rows: Vec<Stats> = Vec::new();
    let cases: Vec<(&str, SalesQuery)> = vec![
        ("this month by day", SalesQuery { filter: this_month.clone(), ..Default::default() }),
        (
            "this month by rep, against last year",
            SalesQuery {
                filter: this_month.clone(),
                grouping: Grouping::Owner,
                comparison: Comparison::PreviousYear,
            },
        ),
        (
            "this month by region",
            SalesQuery {
                filter: this_month.clone(),
                grouping: Grouping::Region,
                ..Default::default()
            },
        ),
        (
            "this month by channel, one region",
            SalesQuery {
                filter: SalesFilter { region: Some("上海".into()), ..this_month.clone() },
                grouping: Grouping::Channel,
                ..Default::default()
            },
        ),
        ("a year by day", SalesQuery { filter: a_year.clone(), ..Default::default() }),
        (
            "a year by month, against the year before",
            SalesQuery {
                filter: a_year.clone(),
                grouping: Grouping::Month,
                comparison: Comparison::PreviousPeriod,
            },
        ),
        (
            "a year by rep",
            SalesQuery { filter: a_year.clone(), grouping: Grouping::Owner, ..Default::default() },
        ),
        // Narrowed to a tier, the report reads `sales_tier_day` (the same rows split by the
        // customers' tier columns).
        (
            "this month by day, the largest tier",
            SalesQuery {
                filter: SalesFilter { tier: Some(largest_tier), ..this_month.clone() },
                ..Default::default()
            },
        ),
        (
            "a year by day, the largest tier",
            SalesQuery {
                filter: SalesFilter { tier: Some(largest_tier), ..a_year.clone() },
                ..Default::default()
            },
        ),
        (
            "a year by rep, the largest tier, against the year before",
            SalesQuery {
                filter: SalesFilter { tier: Some(largest_tier), ..a_year.clone() },
                grouping: Grouping::Owner,
                comparison: Comparison::PreviousPeriod,
            },
        ),
        // Products and categories read `product_day` (a row per day, product, owner, region
        // and channel).
        (
            "this month by product",
            SalesQuery {
                filter: this_month.clone(),
                grouping: Grouping::Product,
                ..Default::default()
            },
        ),
        (
            "this month by category, against last year",
            SalesQuery {
                filter: this_month.clone(),
                grouping: Grouping::Category,
                comparison: Comparison::PreviousYear,
            },
        ),
        (
            "this month by day, one product",
            SalesQuery {
                filter: SalesFilter { product: Some(busiest_product), ..this_month.clone() },
                ..Default::default()
            },
        ),
        (
            "a year by product",
            SalesQuery {
                filter: a_year.clone(),
                grouping: Grouping::Product,
                ..Default::default()
            },
        ),
    ];
    for (what, query) in &cases {
        for (who, caller) in [("admin", &admin), ("manager", &manager), ("member", &member)] {
            rows.push(
                time(&format!("{what}, {who}"), runs, |_| report(caller, query.clone())).await,
            );
        }
    }
    // The floor: the same totals summed from the orders, as a report without the summary would.
    for (what, filter) in [("this month by day", &this_month), ("a year by day", &a_year)] {
        rows.push(
            time(
                &format!("{what}, admin: from the orders (floor without a summary)"),
                runs.min(10),
                |_| {
                    let pool = pool.clone();
                    let filter = filter.clone();
                    async move { direct_by_day(&pool, &filter).await }
                },
            )
            .await,
        );
    }
    let drill = |caller: &Authenticated| {
        let (pool, caller, filter) = (pool.clone(), caller.clone(), this_month.clone());
        async move {
            reports::report_orders(&pool, &caller, &filter, None, 50).await.unwrap().items.len()
        }
    };
    for (who, caller) in [("admin", &admin), ("member", &member)] {
        rows.push(
            time(&format!("orders behind this month, first page, {who}"), runs, |_| drill(caller))
                .await,
        );
    }

    // Cohorts: the twelve months to the last one with orders (the default's length), and the
    // widest range asked of it (three years).
    let twelve = CohortQuery {
        from: Some(month_start - chrono::Months::new(11)),
        to: Some(month_start),
        ..Default::default()
    };
    let widest =
        CohortQuery { from: Some(month_start - chrono::Months::new(35)), ..twelve.clone() };
    let cohort = |caller: &Authenticated, query: CohortQuery| {
        let (pool, caller) = (pool.clone(), caller.clone());
        async move { cohorts::cohort_report(&pool, &caller, &query).await.unwrap().rows.len() }
    };
    let twelve_in_tier = CohortQuery {
        narrowing: app::reports::model::Narrowing {
            tier: Some(largest_tier),
            ..Default::default()
        },
        ..twelve.clone()
    };
    let widest_in_tier = CohortQuery { from: widest.from, ..twelve_in_tier.clone() };
    for (what, query) in [
        ("cohorts, twelve months", &twelve),
        ("cohorts, three years", &widest),
        ("cohorts, twelve months, the largest tier", &twelve_in_tier),
        ("cohorts, three years, the largest tier", &widest_in_tier),
    ] {
        for (who, caller) in [("admin", &admin), ("manager", &manager), ("member", &member)] {
            rows.push(
                time(&format!("{what}, {who}"), runs, |_| cohort(caller, query.clone())).await,
            );
        }
    }
    rows.push(
        time("cohorts, twelve months, admin: from the orders (floor without a summary)", 3, |_| {
            let pool = pool.clone();
            let first = twelve.from.unwrap();
            async move {
                let all = app::testing::cohorts_counted_from_orders(&pool, None).await;
                all.keys().filter(|(cohort, _)| *cohort >= first).count()
            }
        })
        .await,
    );
    // The customers behind a cell: the oldest cohort two months on (a dense cell) and eleven
    // months on (a thin one, where a page takes the longest to fill).
    for (what, offset) in [("two months on", 2), ("eleven months on", 11)] {
        let cell = CohortCell::of(&twelve, twelve.from.unwrap(), offset);
        for (who, caller) in [("admin", &admin), ("member", &member)] {
            rows.push(
                time(&format!("customers behind a cell {what}, first page, {who}"), runs, |_| {
                    let (pool, caller, cell) = (pool.clone(), caller.clone(), cell.clone());
                    async move {
                        cohorts::cell_customers(&pool, &caller, &cell, None, 50)
                            .await
                            .unwrap()
                            .items
                            .len()
                    }
                })
                .await,
            );
        }
    }

    // The lead funnel and churn: this month (their default) and a year, for each role.
    seed_leads_and_churn(&leads_pool, today).await;
    let month = RangeQuery { from: Some(month_start), to: Some(today), ..Default::default() };
    let year = RangeQuery { from: a_year.from, to: Some(today), ..Default::default() };
    for (what, range) in [("this month", &month), ("a year", &year)] {
        let query = FunnelQuery { from: range.from, to: range.to, ..Default::default() };
        for (who, caller) in [("admin", &admin), ("manager", &manager), ("member", &member)] {
            rows.push(
                time(&format!("lead funnel, {what}, {who}"), runs, |_| {
                    let (pool, caller, query) = (leads_pool.clone(), caller.clone(), query.clone());
                    async move {
                        funnel::funnel_report(&pool, &caller, &query).await.unwrap().sources.len()
                    }
                })
                .await,
            );
            rows.push(
                time(&format!("churn, {what}, {who}"), runs, |_| {
                    let (pool, caller, range) = (leads_pool.clone(), caller.clone(), range.clone());
                    async move {
                        churn::churn_report(&pool, &caller, &range).await.unwrap().months.len()
                    }
                })
                .await,
            );
        }
    }

    // Customers over time (on the copy, which has former customers): the last twelve months
    // (the default) and three years, and the customers behind this month's silent figure and
    // behind a month's turns to silent.
    let twelve_months = RangeQuery { from: twelve.from, to: Some(today), ..Default::default() };
    let three_years = RangeQuery { from: widest.from, to: Some(today), ..Default::default() };
    for (what, range) in [("twelve months", &twelve_months), ("three years", &three_years)] {
        for (who, caller) in [("admin", &admin), ("manager", &manager), ("member", &member)] {
            rows.push(
                time(&format!("customers over time, {what}, {who}"), runs, |_| {
                    let (pool, caller, range) = (leads_pool.clone(), caller.clone(), range.clone());
                    async move {
                        statuses::status_report(&pool, &caller, &range).await.unwrap().months.len()
                    }
                })
                .await,
            );
        }
    }
    let silent_now = StatusFilter {
        query: twelve_months.clone(),
        month: Some(month_start),
        figure: StatusFigure::In(TimelineStatus::Silent),
    };
    let turned_silent = StatusFilter {
        month: twelve.from,
        figure: StatusFigure::Turned(TimelineStatus::Silent),
        ..silent_now.clone()
    };
    for (what, filter) in
        [("silent now", &silent_now), ("turned silent a year ago", &turned_silent)]
    {
        for (who, caller) in [("admin", &admin), ("member", &member)] {
            rows.push(
                time(&format!("customers behind {what}, first page, {who}"), runs, |_| {
                    let (pool, caller, filter) =
                        (leads_pool.clone(), caller.clone(), filter.clone());
                    async move {
                        statuses::status_customers(&pool, &caller, &filter, None, 50)
                            .await
                            .unwrap()
                            .items
                            .len()
                    }
                })
                .await,
            );
        }
    }
    let rebuilt = Instant::now();
    sqlx::query("select customer_status_rebuild()").execute(&leads_pool).await.unwrap();
    println!("customer statuses rebuilt in {:.1} s", rebuilt.elapsed().as_secs_f64());
    let timeline_rows: (i64, i64) = sqlx::query_as(
        "select (select count(*) from customer_status_change), (select count(*) from status_month)",
    )
    .fetch_one(&leads_pool)
    .await
    .unwrap();
    println!("{} timeline changes, {} status_month rows", timeline_rows.0, timeline_rows.1);

    leads_pool.close().await;
    common::drop_database("guanxi_bench_reports_leads").await;

    let summary_rows: i64 =
        sqlx::query_scalar("select count(*) from sales_day").fetch_one(&pool).await.unwrap();
    let cohort_rows: i64 =
        sqlx::query_scalar("select count(*) from cohort_month").fetch_one(&pool).await.unwrap();
    println!("{cohort_rows} cohort rows");
    println!(
        "\n{summary_rows} summary rows; today = {today}; {runs} runs per row, one after another\n"
    );
    common::print_percentiles("report", &rows);

    write_costs(&pool).await;
}

/// Leads and former customers for the funnel and churn (the loader writes neither): a lead for every fifth customer over the two years to `today`, a third of them
/// contacted, one in ten converted a few days later into an opportunity for that customer (won,
/// lost or still open); and one customer with orders in twelve lost between one and six months
/// after its last order, for one of six reasons.
async fn seed_leads_and_churn(pool: &PgPool, today: chrono::NaiveDate) {
    let leads: i64 = sqlx::query_scalar("select count(*) from lead").fetch_one(pool).await.unwrap();
    if leads > 0 {
        return;
    }
    let started = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "insert into lead (name, source, status, owner_id, region, first_contacted_at, customer_id,
                           created_at)
         select 'lead ' || c.id,
                (array['manual', 'web_form', 'event', 'referral', 'social', 'phone'])[1 + c.id % 6],
                case when c.id % 3 = 0 then 'contacted' else 'new' end, c.owner_id, c.region,
                case when c.id % 3 = 0 then at + interval '5 hours' end,
                -- Kept for the conversion below, then cleared from leads never converted.
                c.id, at
         from customer c
         cross join lateral (select ($1::date - (c.id % 730)::int)::timestamp
                                    at time zone company_time_zone()
                                    + make_interval(hours => (c.id % 24)::int) as at) t
         where c.id % 5 = 0 and c.deleted_at is null",
    )
    .bind(today)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "with converted as (
             select l.id, l.customer_id, l.owner_id, l.created_at + make_interval(days => 1 + (l.id % 20)::int) as at,
                    case (l.customer_id / 15) % 3 when 0 then 'won' when 1 then 'lost' else 'open' end as kind
             from lead l where l.id % 10 = 0 and l.first_contacted_at is not null
         ), made as (
             insert into opportunity (customer_id, title, amount_minor, expected_close, owner_id,
                                      pipeline_id, stage_id, lost_reason, closed_at, created_at, lead_id)
             select v.customer_id, 'bench deal', 100000 + (v.id % 50) * 10000, v.at::date + 30,
                    v.owner_id, s.pipeline_id, s.id,
                    case when v.kind = 'lost' then '价格太高' end,
                    case when v.kind <> 'open' then v.at + interval '12 days' end, v.at, v.id
             from converted v
             join lateral (select s.id, s.pipeline_id from pipeline_stage s
                           join pipeline p on p.id = s.pipeline_id
                           where p.is_default and s.kind = v.kind order by s.position limit 1) s on true
             returning id, lead_id
         )
         update lead l set status = 'converted', opportunity_id = m.id from made m where l.id = m.lead_id",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("update lead set customer_id = null where opportunity_id is null")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "update customer set customer_type = 'former',
                churn_reason = (array['价格原因转向竞品', '服务响应慢', '预算削减', '业务调整',
                                      '价格原因转向竞品', '搬迁至外地'])[1 + id % 6],
                churned_at = least(($1::date)::timestamp at time zone company_time_zone(),
                                   last_order_at + make_interval(days => 30 + (id % 150)::int))
         where id % 12 = 0 and order_count > 0 and deleted_at is null",
    )
    .bind(today)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    for table in ["lead", "opportunity", "customer"] {
        sqlx::query(&format!("analyze {table}")).execute(pool).await.unwrap();
    }
    let counts: (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from lead), (select count(*) from lead where opportunity_id is not null),
                (select count(*) from customer where customer_type = 'former')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    println!(
        "seeded {} leads ({} converted) and {} former customers in {:.1} s",
        counts.0,
        counts.1,
        counts.2,
        started.elapsed().as_secs_f64()
    );
}

async fn direct_by_day(pool: &PgPool, filter: &SalesFilter) -> usize {
    sqlx::query(
        "select (o.ordered_at at time zone company_time_zone())::date, count(*), sum(o.total_minor - o.refunded_minor)
         from sales_order o join customer c on c.id = o.customer_id
         where o.status = 'placed' and c.deleted_at is null
           and o.ordered_at >= ($1::date)::timestamp at time zone company_time_zone()
           and o.ordered_at < ($2::date + 1)::timestamp at time zone company_time_zone()
         group by 1",
    )
    .bind(filter.from)
    .bind(filter.to)
    .fetch_all(pool)
    .await
    .unwrap()
    .len()
}

/// The summaries' triggers on new and changed orders, switched off for the floor of a write.
const SALES_TRIGGERS: [(&str, &str); 2] =
    [("sales_order", "sales_day_orders_inserted"), ("sales_order", "sales_day_orders_updated")];
const COHORT_TRIGGERS: [(&str, &str); 2] =
    [("sales_order", "cohort_orders_inserted"), ("sales_order", "cohort_orders_updated")];
const STATUS_TRIGGERS: [(&str, &str); 2] = [
    ("sales_order", "customer_status_orders_inserted"),
    ("sales_order", "customer_status_orders_updated"),
];
const TIER_TRIGGERS: [(&str, &str); 2] = [
    ("sales_order", "sales_tier_day_orders_inserted"),
    ("sales_order", "sales_tier_day_orders_updated"),
];
/// The cohorts with tiers follow `customer_month`, which the cohort triggers write.
const COHORT_TIER_TRIGGERS: [(&str, &str); 3] = [
    ("customer_month", "cohort_tier_months_inserted"),
    ("customer_month", "cohort_tier_months_updated"),
    ("customer_month", "cohort_tier_months_deleted"),
];
/// The summaries with tiers' trigger on scores: a tier move takes a customer's orders and
/// months along.
const TIER_SCORE_TRIGGERS: [(&str, &str); 1] = [("customer_score", "customer_tiers_updated")];

/// What the summaries' triggers add: one order inserted (as a person places it), 40,000 in one
/// statement (as an import writes a batch) and 10,000 cancelled in one statement (an import
/// reverted), with the daily sales' (with and without tiers), the cohorts' and the status
/// timelines' triggers, without the timelines', with the daily sales' only, without the tiers',
/// and with none; and what tier moves cost; each in a transaction rolled back so the database
/// stays as loaded.
async fn write_costs(pool: &PgPool) {
    let customer_ids: Vec<i64> =
        sqlx::query_scalar("select id from customer tablesample system (1) limit 40000")
            .fetch_all(pool)
            .await
            .unwrap();
    let one = "insert into sales_order (customer_id, order_no, ordered_at, channel, total_minor)
               values ($1, 'BENCH-' || gen_random_uuid(), now(), 'store', 12800)";
    let many = "insert into sales_order (customer_id, order_no, ordered_at, channel, total_minor)
                select id, 'BENCH-' || gen_random_uuid(), now() - (id % 300) * interval '1 day',
                       (array['online', 'store', 'wechat'])[1 + id % 3], 12800
                from unnest($1::bigint[]) id";
    println!("\n| write | summary triggers | ms |");
    println!("| --- | --- | --- |");
    let cancel = "update sales_order set status = 'cancelled', cancel_reason = 'bench'
                  where id in (select max(id) from sales_order
                               where customer_id = any($1) and status = 'placed'
                               group by customer_id limit 10000)";
    let cohorts_and_statuses = [COHORT_TRIGGERS, STATUS_TRIGGERS].concat();
    let all_but_sales = [COHORT_TRIGGERS, STATUS_TRIGGERS, TIER_TRIGGERS].concat();
    let all = [SALES_TRIGGERS, COHORT_TRIGGERS, STATUS_TRIGGERS, TIER_TRIGGERS].concat();
    let no_tiers = [&TIER_TRIGGERS[..], &COHORT_TIER_TRIGGERS[..]].concat();
    let settings: [(&str, &[(&str, &str)]); 6] = [
        ("sales and cohorts with tiers, statuses", &[]),
        ("sales, cohorts, statuses, no tiers", &no_tiers),
        ("sales and cohorts with tiers", &STATUS_TRIGGERS),
        ("sales with tiers", &cohorts_and_statuses),
        ("sales without tiers", &all_but_sales),
        ("none", &all),
    ];
    for (triggers, disabled) in settings {
        let p50 = single_write_p50(pool, disabled, one, &customer_ids).await;
        println!("| one order (p50 of 200) | {triggers} | {p50:.2} |");

        let mut tx = rolled_back_write(pool, disabled).await;
        let started = Instant::now();
        sqlx::query(many).bind(&customer_ids).execute(&mut *tx).await.unwrap();
        println!(
            "| {} orders in one statement | {triggers} | {:.0} |",
            customer_ids.len(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        tx.rollback().await.unwrap();

        let mut tx = rolled_back_write(pool, disabled).await;
        let started = Instant::now();
        let cancelled = sqlx::query(cancel)
            .bind(&customer_ids)
            .execute(&mut *tx)
            .await
            .unwrap()
            .rows_affected();
        println!(
            "| {cancelled} orders cancelled in one statement | {triggers} | {:.0} |",
            started.elapsed().as_secs_f64() * 1000.0
        );
        tx.rollback().await.unwrap();
    }

    // Tier moves take the customers' orders from one `sales_tier_day` key to another: 10,000
    // overrides in one statement, and a recompute's batch of 10,000 scores whose tiers stay.
    let some = &customer_ids[..customer_ids.len().min(10_000)];
    let overridden = "update customer_score
                      set override_tier_id = (select id from tier order by position limit 1),
                          override_until = null
                      where customer_id = any($1)";
    let rescored = "update customer_score set r = r where customer_id = any($1)";
    for (what, sql) in [("overrides", overridden), ("scores, tiers unchanged", rescored)] {
        for (triggers, disabled) in [("with tiers", &[][..]), ("without", &TIER_SCORE_TRIGGERS[..])]
        {
            let mut tx = rolled_back_write(pool, disabled).await;
            let started = Instant::now();
            let moved =
                sqlx::query(sql).bind(some).execute(&mut *tx).await.unwrap().rows_affected();
            println!(
                "| {moved} {what} in one statement | {triggers} | {:.0} |",
                started.elapsed().as_secs_f64() * 1000.0
            );
            tx.rollback().await.unwrap();
        }
    }

    // An order also updates its customer's aggregates: the statement trigger that looks for
    // customers marked former (or no longer) runs on every customer update.
    let touch = "update customer set order_count = order_count + 1 where id = $1";
    let marks = [("customer", "customer_status_marks_changed")];
    for (triggers, disabled) in [("with the marks trigger", &[][..]), ("without it", &marks[..])] {
        let p50 = single_write_p50(pool, disabled, touch, &customer_ids).await;
        println!("| one customer update (p50 of 200) | {triggers} | {p50:.2} |");
    }
}

/// The median of 200 single-row writes (`sql` with one customer id), each in a transaction
/// rolled back, with `disabled` triggers off. Disabling a trigger inside the transaction makes
/// Postgres plan the remaining trigger functions again on their next call, so each
/// transaction writes once untimed before the timed write: every setting is then measured
/// with its plans cached, as a live server's sessions have them.
async fn single_write_p50(
    pool: &PgPool,
    disabled: &[(&str, &str)],
    sql: &str,
    customer_ids: &[i64],
) -> f64 {
    let mut timings = vec![];
    for n in 0..200 {
        let mut tx = rolled_back_write(pool, disabled).await;
        let warm = customer_ids[(n + 1) % customer_ids.len()];
        sqlx::query(sql).bind(warm).execute(&mut *tx).await.unwrap();
        let started = Instant::now();
        sqlx::query(sql)
            .bind(customer_ids[n % customer_ids.len()])
            .execute(&mut *tx)
            .await
            .unwrap();
        timings.push(started.elapsed().as_secs_f64() * 1000.0);
        tx.rollback().await.unwrap();
    }
    timings.sort_by(|a, b| a.partial_cmp(b).unwrap());
    timings[timings.len() / 2]
}
