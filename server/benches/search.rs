//! The global search (Ctrl+K) at a million customers: every kind searched at once for what
//! people type, as an admin (everything) and as a member (their own records).
//!
//!     cargo bench -p server --bench search
//!
//! Issue 20's budget: p95 under 50 ms at 1 M customers. Besides the bulk loader's customers,
//! contacts and orders, the first run adds GUANXI_BENCH_LEADS leads (default 200,000),
//! GUANXI_BENCH_OPPORTUNITIES opportunities (100,000), GUANXI_BENCH_TICKETS tickets (300,000) and
//! 2,000 products, named after the customers so their text is as varied. The floor beside each
//! row is the customer list's own search for the same fragment: the one kind that was already
//! indexed, and the largest table. GUANXI_SEARCH_QUERIES (per row, default 300) changes the run.

mod common;

use app::{
    auth::model::Role, customers::model::CustomerFilter, i18n::Locale, search::repo::search,
};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sqlx::postgres::PgPoolOptions;

use common::{Stats, admin_caller, caller_with_role, env_number, time};

#[tokio::main]
async fn main() {
    let customers = env_number("GUANXI_BENCH_CUSTOMERS", 1_000_000);
    let orders = env_number("GUANXI_BENCH_ORDERS", 5_000_000);
    let leads = env_number("GUANXI_BENCH_LEADS", 200_000) as i64;
    let opportunities = env_number("GUANXI_BENCH_OPPORTUNITIES", 100_000) as i64;
    let tickets = env_number("GUANXI_BENCH_TICKETS", 300_000) as i64;
    let queries = env_number("GUANXI_SEARCH_QUERIES", 300);
    let (_, url) = common::loaded_database(customers, orders).await;
    let pool = PgPoolOptions::new().max_connections(8).connect(&url).await.unwrap();
    add_search_records(&pool, leads, opportunities, tickets).await;

    let admin = admin_caller(&pool).await;
    let member = caller_with_role(&pool, Role::Member).await;
    let settings = app::customers::repo::settings(&pool).await.unwrap();
    let mut rng = StdRng::seed_from_u64(20);

    // What people type: two or three characters of a name, four to seven digits of a phone, the
    // start of an email, a surname alone, a ticket number.
    let sample: Vec<(String, Option<String>, Option<String>)> =
        sqlx::query_as("select name, phone, email from customer tablesample system (1) limit $1")
            .bind(queries as i64)
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut fragment = |text: &str, lengths: std::ops::RangeInclusive<usize>| -> String {
        let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        let len = rng.gen_range(lengths).min(chars.len());
        let start = rng.gen_range(0..=chars.len() - len);
        chars[start..start + len].iter().collect()
    };
    let names: Vec<String> = sample.iter().map(|(name, _, _)| fragment(name, 2..=3)).collect();
    let phones: Vec<String> =
        sample.iter().filter_map(|(_, phone, _)| Some(fragment(phone.as_ref()?, 4..=7))).collect();
    let emails: Vec<String> = sample
        .iter()
        .filter_map(|(_, _, email)| {
            Some(email.as_ref()?.split('@').next()?.chars().take(5).collect())
        })
        .collect();
    let surnames: Vec<String> =
        sample.iter().map(|(name, _, _)| name.chars().take(1).collect()).collect();
    let max_ticket: i64 = sqlx::query_scalar("select coalesce(max(id), 1) from ticket")
        .fetch_one(&pool)
        .await
        .unwrap();
    let numbers: Vec<String> =
        (0..queries).map(|_| format!("#{}", rng.gen_range(1..=max_ticket))).collect();

    let everything = |caller: &app::auth::server::Authenticated, query: &str| {
        let (pool, caller, query) = (pool.clone(), caller.clone(), query.to_owned());
        async move { search(&pool, &caller, Locale::ZhCn, &query).await.unwrap().len() }
    };
    let customers_only = |caller: &app::auth::server::Authenticated, query: &str| {
        let (pool, settings, query) = (pool.clone(), settings.clone(), query.to_owned());
        let scope = caller.scope.visible_owners();
        async move {
            let filter = CustomerFilter { search: Some(query), ..Default::default() };
            app::customers::repo::list(&pool, &filter, scope.as_deref(), None, 5, &settings)
                .await
                .unwrap()
                .items
                .len()
        }
    };

    let mut rows: Vec<Stats> = Vec::new();
    for (what, typed) in [
        ("name, 2-3 characters", &names),
        ("phone, 4-7 digits", &phones),
        ("email, first 5 letters", &emails),
        ("a surname alone (1 character)", &surnames),
        ("ticket number", &numbers),
    ] {
        for (who, caller) in [("admin", &admin), ("member", &member)] {
            rows.push(
                time(&format!("{what}, {who}: every kind"), typed.len(), |i| {
                    everything(caller, &typed[i])
                })
                .await,
            );
            rows.push(
                time(&format!("{what}, {who}: customers only (floor)"), typed.len(), |i| {
                    customers_only(caller, &typed[i])
                })
                .await,
            );
        }
    }

    let count = |table: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!("select count(*) from {table}"))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    println!(
        "\n{} customers, {} contacts, {} leads, {} opportunities, {} tickets, {} products; \
         {queries} queries per row, one after another\n",
        count("customer").await,
        count("contact").await,
        count("lead").await,
        count("opportunity").await,
        count("ticket").await,
        count("product").await,
    );
    common::print_percentiles("search", &rows);
}

/// Leads, opportunities, tickets and products for the search to look through, added once (their
/// search keys are computed by the generated columns as they are inserted).
async fn add_search_records(pool: &sqlx::PgPool, leads: i64, opportunities: i64, tickets: i64) {
    let have: i64 = sqlx::query_scalar("select count(*) from lead").fetch_one(pool).await.unwrap();
    if have >= leads {
        return;
    }
    println!("adding {leads} leads, {opportunities} opportunities, {tickets} tickets ...");
    let started = std::time::Instant::now();
    for statement in [
        // Named after customers spread over the table, owned by their owners.
        format!(
            "insert into lead (name, company, phone, phone_normalized, email, owner_id, created_at)
             select split_part(c.name, ' ', 1), c.name || ' 分公司', c.phone, c.phone_normalized,
                    c.email, c.owner_id, c.created_at
             from customer c where c.id % (select greatest(count(*) / {leads}, 1) from customer) = 0
             limit {leads}"
        ),
        format!(
            "insert into opportunity (customer_id, title, amount_minor, expected_close, owner_id,
                                      pipeline_id, stage_id, next_step)
             select c.id, c.name || ' ' || (array['年度采购', '续约', '扩容', '试用转正'])[1 + c.id % 4],
                    (c.id % 500) * 100000, current_date + (c.id % 120)::int, c.owner_id,
                    s.pipeline_id, s.id, '电话回访'
             from customer c
             cross join lateral (select id, pipeline_id from pipeline_stage order by position limit 1) s
             where c.id % (select greatest(count(*) / {opportunities}, 1) from customer) = 1
             limit {opportunities}"
        ),
        format!(
            "insert into ticket (customer_id, channel, category, priority, status, subject,
                                 first_response_due, resolution_due, assignee_id, created_at)
             select c.id, 'phone', 'question', 'normal',
                    (array['new', 'open', 'resolved', 'closed'])[1 + c.id % 4],
                    (array['发票问题', '物流延误', '退换货', 'Login fails', 'Invoice missing'])[1 + c.id % 5]
                        || ' ' || c.name,
                    now() + interval '4 hours', now() + interval '2 days', c.owner_id,
                    now() - make_interval(days => (c.id % 365)::int)
             from customer c where c.id % (select greatest(count(*) / {tickets}, 1) from customer) = 2
             limit {tickets}"
        ),
        "insert into product (sku, name, category, unit_price_minor)
         select 'SKU-' || lpad(g::text, 5, '0'),
                (array['绿茶', '红茶', '乌龙', '白茶', 'Teapot', 'Gift box'])[1 + g % 6] || ' ' || g,
                (array['茶叶', '茶具', '礼盒'])[1 + g % 3], 1000 + g * 10
         from generate_series(1, 2000) g
         on conflict (sku) do nothing"
            .to_owned(),
        "vacuum analyze lead".to_owned(),
        "vacuum analyze opportunity".to_owned(),
        "vacuum analyze ticket".to_owned(),
        "vacuum analyze product".to_owned(),
    ] {
        sqlx::query(&statement).execute(pool).await.unwrap();
    }
    println!("  added in {:.0} s", started.elapsed().as_secs_f64());
}
