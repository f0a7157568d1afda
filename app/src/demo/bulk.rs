//! The million-customer data set for benchmarks: customers, contacts, orders with lines and
//! timeline entries, streamed into Postgres with COPY (not row inserts), with the secondary
//! indexes dropped during the load and rebuilt after it.

use super::customers::{PRODUCTS, customer, seed_products};
use crate::{
    customers::model::{index_keys, keys_text, name_key, normalize_phone, search_text},
    error::AppError,
};
use chrono::{DateTime, Utc};
use rand::{SeedableRng, rngs::StdRng};
use sqlx::{PgConnection, PgPool};
use std::{fmt::Write, time::Instant};

/// How much to load.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub customers: usize,
    /// Orders in total, spread over the customers who order.
    pub orders: usize,
    pub seed: u64,
}

/// How long each step took, for the benchmark's report.
#[derive(Debug, Default)]
pub struct Report {
    pub customers: usize,
    pub orders: usize,
    pub lines: usize,
    pub load_secs: f64,
    pub index_secs: f64,
    pub affinity_secs: f64,
    pub summary_secs: f64,
}

/// Escapes a value for COPY's text format.
fn text(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn opt(out: &mut String, value: Option<&str>) {
    match value {
        Some(v) => text(out, v),
        None => out.push_str("\\N"),
    }
}

/// A text[] literal inside COPY text.
fn array(out: &mut String, values: &[String]) {
    out.push('{');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in v.chars() {
            match c {
                '"' => out.push_str("\\\\\""),
                '\\' => out.push_str("\\\\\\\\"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
}

fn time(out: &mut String, at: DateTime<Utc>) {
    let _ = write!(out, "{}", at.format("%Y-%m-%d %H:%M:%S%.6f+00"));
}

async fn copy(conn: &mut PgConnection, statement: &str, data: &str) -> Result<(), AppError> {
    let mut sink = conn.copy_in_raw(statement).await?;
    sink.send(data.as_bytes()).await?;
    sink.finish().await?;
    Ok(())
}

/// The secondary indexes of the bulk-loaded tables (dropped for the load, recreated after).
async fn secondary_indexes(conn: &mut PgConnection) -> Result<Vec<(String, String)>, AppError> {
    Ok(sqlx::query_as(
        "select i.indexname, i.indexdef from pg_indexes i
         where i.schemaname = 'public'
           and i.tablename in ('customer', 'contact', 'sales_order', 'order_line', 'timeline_event')
           and not exists (select 1 from pg_constraint c where c.conname = i.indexname)",
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Loads the plan into an empty, migrated database (demo users are created if missing).
pub async fn load(pool: &PgPool, plan: Plan, log: impl Fn(&str)) -> Result<Report, AppError> {
    let started = Instant::now();
    super::seed_users_only(pool).await?;
    let owners: Vec<i64> =
        sqlx::query_scalar!("select id from app_user where role <> 'admin' order by id")
            .fetch_all(pool)
            .await?;
    let products = seed_products(pool).await?;
    let mut conn = pool.acquire().await?;
    let indexes = secondary_indexes(&mut conn).await?;
    for (name, _) in &indexes {
        sqlx::query(&format!("drop index if exists {name}")).execute(&mut *conn).await?;
    }
    // Generated rows are consistent by construction; skipping the foreign-key triggers during the
    // load (superuser only) saves tens of millions of lookups. Without the right, they just run.
    let _ = sqlx::query!("set session_replication_role = replica").execute(&mut *conn).await;

    let mut rng = StdRng::seed_from_u64(plan.seed);
    let now = Utc::now();
    // The generator gives about 2.3 orders per customer; scale each customer's count to the plan.
    let scale = plan.orders as f64 / plan.customers.max(1) as f64 / 2.3;
    let mut report = Report { customers: plan.customers, ..Default::default() };
    let (mut order_id, mut line_id) = (0i64, 0i64);
    const CHUNK: usize = 20_000;
    let mut first = 0;
    while first < plan.customers {
        let last = (first + CHUNK).min(plan.customers);
        let (mut customers, mut contacts, mut orders, mut lines, mut timeline) =
            (String::new(), String::new(), String::new(), String::new(), String::new());
        for n in first..last {
            let id = n as i64 + 1;
            let mut c = customer(&mut rng, n, now);
            // Stretch or shrink the generator's order counts to the plan's total.
            if !c.orders.is_empty() {
                let wanted = ((c.orders.len() as f64) * scale).round().max(1.0) as usize;
                while c.orders.len() < wanted {
                    let extra = c.orders[c.orders.len() % c.orders.len().max(1)].clone();
                    c.orders.push((
                        extra.0 - chrono::Duration::days(c.orders.len() as i64 * 11),
                        extra.1,
                    ));
                }
                c.orders.truncate(wanted);
                c.orders.sort_by_key(|o| o.0);
            }
            if report.orders + c.orders.len() > plan.orders {
                c.orders.truncate(plan.orders.saturating_sub(report.orders));
            }
            let owner = owners[n % owners.len()];
            let contact = (n % 2 == 0).then_some(&c.contact);
            let search = search_text(
                &c.name,
                Some(&c.phone),
                Some(&c.email),
                None,
                contact.map(|(name, phone)| (name.as_str(), Some(phone.as_str()))),
            );
            let total: i64 = c
                .orders
                .iter()
                .flat_map(|o| &o.1)
                .map(|(p, q)| PRODUCTS[*p].3 * i64::from(*q))
                .sum();
            let customer_type = if c.orders.is_empty() { "potential" } else { "existing" };
            let created = c.orders.first().map(|o| o.0).unwrap_or(now) - chrono::Duration::days(30);
            // id kind name customer_type phone phone_normalized email email_normalized region
            // industry source owner_id tags order_count total_spend_minor first_order_at
            // last_order_at search_text search_keys name_key created_by created_at
            let _ = write!(customers, "{id}\t{}\t", c.kind);
            text(&mut customers, &c.name);
            let _ = write!(customers, "\t{customer_type}\t{}\t", c.phone);
            opt(&mut customers, normalize_phone(&c.phone).as_deref());
            customers.push('\t');
            text(&mut customers, &c.email);
            customers.push('\t');
            text(&mut customers, &c.email);
            let _ = write!(customers, "\t{}\t{}\t{}\t{owner}\t", c.region, c.industry, c.source);
            array(&mut customers, &c.tags);
            let _ = write!(customers, "\t{}\t{total}\t", c.orders.len());
            match (c.orders.first(), c.orders.last()) {
                (Some(f), Some(l)) => {
                    time(&mut customers, f.0);
                    customers.push('\t');
                    time(&mut customers, l.0);
                }
                _ => customers.push_str("\\N\t\\N"),
            }
            customers.push('\t');
            text(&mut customers, &search);
            customers.push('\t');
            let _ = write!(customers, "{{{}}}", keys_text(&index_keys(&search)));
            customers.push('\t');
            text(&mut customers, &name_key(&c.name));
            let _ = write!(customers, "\t{owner}\t");
            time(&mut customers, created);
            customers.push('\n');

            if let Some((name, phone)) = contact {
                let _ = write!(contacts, "{id}\t");
                text(&mut contacts, name);
                let _ = writeln!(
                    contacts,
                    "\t{phone}\t{}\tt",
                    normalize_phone(phone).unwrap_or_default()
                );
            }
            let _ = write!(timeline, "{id}\t");
            time(&mut timeline, created);
            let _ = writeln!(timeline, "\tcreated\t\\N\t{{}}\t{owner}");
            for (at, order_lines) in &c.orders {
                order_id += 1;
                let order_total: i64 =
                    order_lines.iter().map(|(p, q)| PRODUCTS[*p].3 * i64::from(*q)).sum();
                let _ = write!(orders, "{order_id}\t{id}\tSO-B-{order_id:09}\t");
                time(&mut orders, *at);
                let _ = writeln!(orders, "\tsales\tCNY\t{order_total}\t{owner}");
                for (p, q) in order_lines {
                    line_id += 1;
                    let price = PRODUCTS[*p].3;
                    let _ = writeln!(
                        lines,
                        "{line_id}\t{order_id}\t{}\t{q}\t{price}\t{}",
                        products[*p],
                        price * i64::from(*q)
                    );
                }
                let _ = write!(timeline, "{id}\t");
                time(&mut timeline, *at);
                let _ = writeln!(
                    timeline,
                    "\torder\t{order_id}\t{{\"order_no\": \"SO-B-{order_id:09}\", \"total_minor\": {order_total}, \"currency\": \"CNY\", \"lines\": {}}}\t{owner}",
                    order_lines.len()
                );
            }
            report.orders += c.orders.len();
        }
        copy(&mut conn, "copy customer (id, kind, name, customer_type, phone, phone_normalized, email, email_normalized, region, industry, source, owner_id, tags, order_count, total_spend_minor, first_order_at, last_order_at, search_text, search_keys, name_key, created_by, created_at) from stdin", &customers).await?;
        copy(
            &mut conn,
            "copy contact (customer_id, name, phone, phone_normalized, is_primary) from stdin",
            &contacts,
        )
        .await?;
        copy(&mut conn, "copy sales_order (id, customer_id, order_no, ordered_at, channel, currency, total_minor, created_by) from stdin", &orders).await?;
        copy(&mut conn, "copy order_line (id, order_id, product_id, quantity, unit_price_minor, line_total_minor) from stdin", &lines).await?;
        copy(
            &mut conn,
            "copy timeline_event (customer_id, at, kind, ref_id, data, actor_id) from stdin",
            &timeline,
        )
        .await?;
        first = last;
        log(&format!("loaded {last} customers, {} orders", report.orders));
    }
    report.lines = line_id as usize;
    let _ = sqlx::query!("set session_replication_role = default").execute(&mut *conn).await;
    for table in ["customer", "sales_order", "order_line"] {
        sqlx::query(&format!(
            "select setval(pg_get_serial_sequence('{table}', 'id'), (select max(id) from {table}))"
        ))
        .execute(&mut *conn)
        .await?;
    }
    report.load_secs = started.elapsed().as_secs_f64();

    let indexing = Instant::now();
    sqlx::query!("set maintenance_work_mem = '512MB'").execute(&mut *conn).await?;
    for (name, definition) in &indexes {
        log(&format!("building {name}"));
        sqlx::query(definition).execute(&mut *conn).await?;
    }
    // Vacuum sets the visibility map as autovacuum would later, so index-only list scans work
    // from the start.
    sqlx::query!("vacuum (analyze) customer").execute(&mut *conn).await?;
    sqlx::query!("analyze").execute(&mut *conn).await?;
    report.index_secs = indexing.elapsed().as_secs_f64();

    let affinity = Instant::now();
    crate::orders::repo::recompute_affinity(&mut conn).await?;
    report.affinity_secs = affinity.elapsed().as_secs_f64();

    // The load ran without triggers (replica role), so the daily sales summaries (with and
    // without tiers), the product summaries, the cohorts' months and the customers' status
    // timelines are counted once from the orders, and customers per tier and per RFM cell from
    // the customers; where the role was refused the triggers ran, and this recounts the same.
    let summary = Instant::now();
    sqlx::query!("select sales_day_rebuild()").execute(&mut *conn).await?;
    sqlx::query!("analyze sales_day").execute(&mut *conn).await?;
    let products_counted = Instant::now();
    sqlx::query("select product_day_rebuild()").execute(&mut *conn).await?;
    sqlx::query("select product_month_rebuild()").execute(&mut *conn).await?;
    sqlx::query("analyze product_day, product_month").execute(&mut *conn).await?;
    let seconds = products_counted.elapsed().as_secs_f64();
    log(&format!("product_day counted in {seconds:.1} s"));
    sqlx::query!("select tier_count_rebuild()").execute(&mut *conn).await?;
    sqlx::query("select rfm_cell_rebuild()").execute(&mut *conn).await?;
    let tiered = Instant::now();
    sqlx::query("select sales_tier_day_rebuild()").execute(&mut *conn).await?;
    sqlx::query("analyze sales_tier_day").execute(&mut *conn).await?;
    let seconds = tiered.elapsed().as_secs_f64();
    log(&format!("sales_tier_day counted in {seconds:.1} s"));
    sqlx::query!("select cohort_rebuild()").execute(&mut *conn).await?;
    sqlx::query("select cohort_tier_month_rebuild()").execute(&mut *conn).await?;
    let timelines = Instant::now();
    sqlx::query("select customer_status_rebuild()").execute(&mut *conn).await?;
    let seconds = timelines.elapsed().as_secs_f64();
    log(&format!("customer status timelines counted in {seconds:.1} s"));
    sqlx::query(
        "analyze customer_month, cohort_month, cohort_tier_month, customer_status_change,
                 status_month",
    )
    .execute(&mut *conn)
    .await?;
    report.summary_secs = summary.elapsed().as_secs_f64();
    Ok(report)
}
