//! The cohort report's reads: sums over `cohort_month` (kept by triggers in the transaction of
//! every order and customer write), or `cohort_tier_month` when narrowed to a value tier, and
//! the customers behind a cell through `customer_month`'s (month, cohort, customer) index. Every
//! statement is limited to the caller's data scope; the report's filters only narrow it.

use super::model::{
    CohortCell, CohortCustomer, CohortQuery, CohortReport, CohortRow, months_after, months_between,
};
use crate::{
    auth::server::Authenticated,
    error::AppError,
    paging::Page,
    reports::{
        model::Narrowing,
        service::{FilterColumns, ORDERS, SUMMARY, TIER_SUMMARY, company_today, push_filter},
    },
};
use chrono::NaiveDate;
use sqlx::{PgPool, Postgres, QueryBuilder};
use std::collections::HashMap;

/// The summary a narrowing reads, aliased `s`, and how its rows are narrowed: with a tier, the
/// one that keeps the customers' tier columns.
fn summary(narrowing: &Narrowing) -> (&'static str, &'static FilterColumns) {
    match narrowing.tier {
        Some(_) => ("cohort_tier_month s", &TIER_SUMMARY),
        None => ("cohort_month s", &SUMMARY),
    }
}

/// The cohorts the caller asked for, within their data scope.
pub async fn cohort_report(
    pool: &PgPool,
    caller: &Authenticated,
    query: &CohortQuery,
) -> Result<CohortReport, AppError> {
    let this_month = super::model::month_start(company_today(pool).await?);
    let (from, to) = query.range(this_month).map_err(AppError::Validation)?;
    let (table, columns) = summary(&query.narrowing);
    let mut sql = QueryBuilder::<Postgres>::new(format!(
        "select s.cohort, s.month, sum(s.customers)::bigint as customers
         from {table} where s.cohort between "
    ));
    sql.push_bind(from).push(" and ").push_bind(to);
    push_filter(
        &mut sql,
        columns,
        caller.scope.visible_owners().as_deref(),
        &query.narrowing.as_filter(),
    );
    sql.push(" group by 1, 2 having sum(s.customers) <> 0");
    let cells: Vec<(NaiveDate, NaiveDate, i64)> = sql.build_query_as().fetch_all(pool).await?;
    let counts: HashMap<(NaiveDate, NaiveDate), i64> =
        cells.into_iter().map(|(cohort, month, customers)| ((cohort, month), customers)).collect();

    // Every cohort of the range, empty ones too, with a column for each month it has reached.
    let mut rows = vec![];
    let mut cohort = from;
    while cohort <= to {
        let reached = months_between(cohort, this_month).max(0) as u32;
        let count = |month| counts.get(&(cohort, month)).copied().unwrap_or(0);
        rows.push(CohortRow {
            cohort,
            size: count(cohort),
            returning: (1..=reached).map(|offset| count(months_after(cohort, offset))).collect(),
        });
        cohort = months_after(cohort, 1);
    }
    let offsets = rows.iter().map(|row| row.returning.len()).max().unwrap_or(0);
    Ok(CohortReport { from, to, rows, offsets })
}

/// How many customers a cell counts (the figure the report showed), within the caller's scope.
pub async fn cell_size(
    pool: &PgPool,
    caller: &Authenticated,
    cell: &CohortCell,
) -> Result<i64, AppError> {
    let (table, columns) = summary(&cell.narrowing);
    let mut sql = QueryBuilder::<Postgres>::new(format!(
        "select coalesce(sum(s.customers), 0)::bigint from {table} where s.cohort = "
    ));
    sql.push_bind(cell.cohort).push(" and s.month = ").push_bind(cell.month);
    push_filter(
        &mut sql,
        columns,
        caller.scope.visible_owners().as_deref(),
        &cell.narrowing.as_filter(),
    );
    Ok(sql.build_query_scalar().fetch_one(pool).await?)
}

/// The customers a cell counts, by id, `limit` at a time after `after`.
pub async fn cell_customers(
    pool: &PgPool,
    caller: &Authenticated,
    cell: &CohortCell,
    after: Option<i64>,
    limit: i64,
) -> Result<Page<CohortCustomer>, AppError> {
    let mut sql = QueryBuilder::<Postgres>::new(
        "select c.id, c.name, u.display_name as owner_name, c.region,
                (select count(*) from sales_order o
                 where o.customer_id = c.id and o.status = 'placed'
                   and o.ordered_at >= m.month::timestamp at time zone company_time_zone()
                   and o.ordered_at < (m.month + interval '1 month') at time zone company_time_zone()
                ) as orders,
                c.order_count::bigint as order_count
         from customer_month m
         join customer c on c.id = m.customer_id
         left join app_user u on u.id = c.owner_id
         where c.deleted_at is null and m.month = ",
    );
    sql.push_bind(cell.month).push(" and m.cohort = ").push_bind(cell.cohort);
    push_filter(
        &mut sql,
        &ORDERS,
        caller.scope.visible_owners().as_deref(),
        &cell.narrowing.as_filter(),
    );
    if let Some(after) = after {
        sql.push(" and m.customer_id > ").push_bind(after);
    }
    sql.push(" order by m.customer_id limit ").push_bind(limit + 1);

    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        name: String,
        owner_name: Option<String>,
        region: Option<String>,
        orders: i64,
        order_count: i64,
    }
    let rows: Vec<Row> = sql.build_query_as().fetch_all(pool).await?;
    let customers = rows
        .into_iter()
        .map(|r| CohortCustomer {
            id: r.id,
            name: r.name,
            owner_name: r.owner_name,
            region: r.region,
            orders: r.orders,
            order_count: r.order_count,
        })
        .collect();
    Ok(Page::from_overfetch(customers, limit, |c: &CohortCustomer| c.id))
}
