//! The churn report's reads: live customers marked former on a range of company days, within
//! the caller's scope (by the customer's owner) and the narrowing, through
//! `customer_churned_idx`, grouped by month in one statement and by reason in another.

use super::model::{
    ChurnCursor, ChurnFilter, ChurnMonth, ChurnReport, ChurnTotal, ChurnedCustomer,
};
use crate::{
    auth::server::Authenticated,
    error::AppError,
    paging::Page,
    reports::{
        cohorts::model::{month_days, month_starts},
        model::{Compared, RangeQuery, compared_range},
        service::{CUSTOMERS, days_of, listed_reasons, push_after, push_days, push_filter},
    },
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

/// `from ... where ...` of the customers `filter` names that churned on company days `days`,
/// within `scope`, with their owner `u`.
fn push_churned(
    sql: &mut QueryBuilder<'_, Postgres>,
    scope: Option<&[i64]>,
    filter: &ChurnFilter,
    days: (NaiveDate, NaiveDate),
) {
    sql.push(
        " from customer c
          left join app_user u on u.id = c.owner_id
          where c.deleted_at is null and c.churned_at is not null and c.customer_type = 'former'",
    );
    push_days(sql, "c.churned_at", days);
    push_filter(sql, &CUSTOMERS, scope, &filter.query.narrowing.as_filter());
    if let Some(reason) = &filter.reason {
        sql.push(" and coalesce(btrim(c.churn_reason), '') = ").push_bind(reason.trim().to_owned());
    }
    if let Some(month) = filter.month {
        push_days(sql, "c.churned_at", month_days(month));
    }
}

/// The customers that churned in the range, by month and reason, within the caller's scope,
/// and how many over the compared range when asked.
///
/// Errors: `Validation` (`to`: reversed or too long a range).
pub async fn churn_report(
    pool: &PgPool,
    caller: &Authenticated,
    query: &RangeQuery,
) -> Result<ChurnReport, AppError> {
    let (from, to) = days_of(pool, &query.as_filter()).await?;
    let scope = caller.scope.visible_owners();
    let filter = ChurnFilter { query: query.clone(), ..Default::default() };

    let mut monthly = QueryBuilder::<Postgres>::new(
        "select date_trunc('month', c.churned_at at time zone company_time_zone())::date as month,
                count(*) as customers, coalesce(sum(c.total_spend_minor), 0)::bigint as spent",
    );
    push_churned(&mut monthly, scope.as_deref(), &filter, (from, to));
    monthly.push(" group by 1 order by 1");
    let counted: Vec<(NaiveDate, i64, i64)> = monthly.build_query_as().fetch_all(pool).await?;

    let mut by_reason = QueryBuilder::<Postgres>::new(
        "select coalesce(btrim(c.churn_reason), '') as reason, count(*) as count,
                coalesce(sum(c.total_spend_minor), 0)::bigint as spent",
    );
    push_churned(&mut by_reason, scope.as_deref(), &filter, (from, to));
    by_reason.push(" group by 1 order by 2 desc, 3 desc, 1");
    let reasons: Vec<(String, i64, i64)> = by_reason.build_query_as().fetch_all(pool).await?;

    let compared = match compared_range(query.comparison, from, to) {
        Some(days) => {
            let mut total = QueryBuilder::<Postgres>::new(
                "select count(*), coalesce(sum(c.total_spend_minor), 0)::bigint",
            );
            push_churned(&mut total, scope.as_deref(), &filter, days);
            let (customers, spent_minor) = total.build_query_as().fetch_one(pool).await?;
            Some(Compared {
                from: days.0,
                to: days.1,
                figures: ChurnTotal { customers, spent_minor },
            })
        }
        None => None,
    };

    let months = month_starts(from, to)
        .into_iter()
        .map(|month| {
            let found = counted.iter().find(|(m, _, _)| *m == month);
            let (customers, spent_minor) = found.map(|(_, n, s)| (*n, *s)).unwrap_or((0, 0));
            ChurnMonth { month, customers, spent_minor }
        })
        .collect();
    Ok(ChurnReport {
        from,
        to,
        customers: counted.iter().map(|(_, n, _)| n).sum(),
        spent_minor: counted.iter().map(|(_, _, s)| s).sum(),
        compared,
        months,
        reasons: listed_reasons(reasons),
    })
}

#[derive(sqlx::FromRow)]
struct ChurnedRow {
    id: i64,
    name: String,
    owner_name: Option<String>,
    region: Option<String>,
    reason: Option<String>,
    churned_at: DateTime<Utc>,
    order_count: i32,
    spent_minor: i64,
    currency: String,
    last_order_at: Option<DateTime<Utc>>,
}

/// The churned customers behind a figure, latest churned first, `limit` a page.
///
/// Errors: `Validation` (`to`).
pub async fn churned_customers(
    pool: &PgPool,
    caller: &Authenticated,
    filter: &ChurnFilter,
    after: Option<ChurnCursor>,
    limit: i64,
) -> Result<Page<ChurnedCustomer, ChurnCursor>, AppError> {
    let days = days_of(pool, &filter.query.as_filter()).await?;
    let scope = caller.scope.visible_owners();
    let mut sql = QueryBuilder::<Postgres>::new(
        "select c.id, c.name, u.display_name as owner_name, c.region, c.churn_reason as reason,
                c.churned_at as churned_at, c.order_count, c.total_spend_minor as spent_minor,
                c.currency, c.last_order_at",
    );
    push_churned(&mut sql, scope.as_deref(), filter, days);
    push_after(&mut sql, ("c.churned_at", "c.id"), after.map(|a| (a.at, a.id)));
    sql.push(" order by c.churned_at desc, c.id desc limit ").push_bind(limit + 1);
    let rows: Vec<ChurnedRow> = sql.build_query_as().fetch_all(pool).await?;
    let customers = rows
        .into_iter()
        .map(|r| ChurnedCustomer {
            id: r.id,
            name: r.name,
            owner_name: r.owner_name,
            region: r.region,
            reason: r.reason,
            churned_at: r.churned_at,
            order_count: r.order_count,
            spent_minor: r.spent_minor,
            currency: r.currency,
            last_order_at: r.last_order_at,
        })
        .collect();
    Ok(Page::from_overfetch(customers, limit, |c| ChurnCursor { at: c.churned_at, id: c.id }))
}
