//! The customers-over-time report's reads. Months up to the last complete one are sums over the
//! monthly summary `status_month`; the current month adds the daily summary `status_day` up to
//! today (timelines run ahead: a customer without a new order turns silent on a known day, which
//! the monthly summary already holds). New customers are the cohorts' own months
//! (`cohort_month`). The customers behind a figure are read from the timelines.

use super::model::{
    StatusCursor, StatusCustomer, StatusFigure, StatusFilter, StatusMonth, StatusReport,
    TimelineStatus, status_range,
};
use crate::{
    auth::server::Authenticated,
    error::AppError,
    paging::Page,
    reports::{
        cohorts::model::{month_start, month_starts},
        model::RangeQuery,
        service::{CUSTOMERS_ANY_TIER, SUMMARY, company_today, push_filter},
    },
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};
use std::collections::HashMap;

/// Running counts per status, from entered and exited sums.
#[derive(Default)]
struct Counts(HashMap<String, (i64, i64)>);

impl Counts {
    fn add(&mut self, status: &str, entered: i64, exited: i64) {
        let counted = self.0.entry(status.to_owned()).or_default();
        counted.0 += entered;
        counted.1 += exited;
    }

    fn held(&self, status: TimelineStatus) -> i64 {
        self.0.get(status.as_str()).map(|(e, x)| e - x).unwrap_or(0)
    }

    fn entered(&self, status: TimelineStatus) -> i64 {
        self.0.get(status.as_str()).map(|(e, _)| *e).unwrap_or(0)
    }
}

/// Customers new, active, silent and former month by month, within the caller's scope and the
/// narrowing.
///
/// Errors: `Validation` (`to`: reversed or too long a range).
pub async fn status_report(
    pool: &PgPool,
    caller: &Authenticated,
    query: &RangeQuery,
) -> Result<StatusReport, AppError> {
    // The window and the zone in one read, as the customer list's statuses take them.
    let settings = crate::customers::repo::settings(pool).await?;
    let today = crate::clock::today(crate::clock::parse_zone(&settings.time_zone));
    let window_days = settings.active_window_days;
    let query = status_range(query, today);
    let (from, to) = query.range(today).map_err(AppError::Validation)?;
    let scope = caller.scope.visible_owners();
    let filter = query.narrowing.as_filter();
    let current = month_start(today);
    let months: Vec<NaiveDate> =
        month_starts(from, to).into_iter().filter(|m| *m <= current).collect();
    let Some(&last) = months.last() else {
        return Ok(StatusReport { from, to, today, window_days, months: vec![] });
    };

    // Whole months from the summary, every month up to the last complete one asked (earlier
    // months carry the counts the range starts from).
    let closed_through = if last < current { last } else { current.pred_opt().unwrap_or(current) };
    let mut summed = QueryBuilder::<Postgres>::new(
        "select s.month, s.status, sum(s.entered)::bigint, sum(s.exited)::bigint
         from status_month s where s.month <= ",
    );
    summed.push_bind(closed_through);
    push_filter(&mut summed, &SUMMARY, scope.as_deref(), &filter);
    summed.push(" group by 1, 2 order by 1");

    // The current month's days up to today (none asked when the range ends before it).
    let mut days = QueryBuilder::<Postgres>::new(
        "select s.status, sum(s.entered)::bigint, sum(s.exited)::bigint
         from status_day s where s.day between ",
    );
    days.push_bind(current).push(" and ").push_bind(if last == current { today } else { last });
    push_filter(&mut days, &SUMMARY, scope.as_deref(), &filter);
    days.push(" group by 1");

    let mut cohorts = QueryBuilder::<Postgres>::new(
        "select s.cohort, sum(s.customers)::bigint from cohort_month s
         where s.cohort = s.month and s.cohort between ",
    );
    cohorts.push_bind(months[0]).push(" and ").push_bind(last);
    push_filter(&mut cohorts, &SUMMARY, scope.as_deref(), &filter);
    cohorts.push(" group by 1");

    // Three independent reads, at once.
    let (summary, day_rows, new) = tokio::try_join!(
        summed.build_query_as::<(NaiveDate, String, i64, i64)>().fetch_all(pool),
        days.build_query_as::<(String, i64, i64)>().fetch_all(pool),
        cohorts.build_query_as::<(NaiveDate, i64)>().fetch_all(pool),
    )?;
    let new: HashMap<NaiveDate, i64> = new.into_iter().collect();
    let mut this_month = Counts::default();
    for (status, entered, exited) in day_rows {
        this_month.add(&status, entered, exited);
    }

    let mut running = Counts::default();
    let mut summary = summary.into_iter().peekable();
    let months = months
        .into_iter()
        .map(|month| {
            let mut during = Counts::default();
            while let Some((at, status, entered, exited)) = summary.next_if(|row| row.0 <= month) {
                running.add(&status, entered, exited);
                if at == month {
                    during.add(&status, entered, exited);
                }
            }
            let to_date = month == current;
            if to_date {
                for (status, (entered, exited)) in &this_month.0 {
                    running.add(status, *entered, *exited);
                    during.add(status, *entered, *exited);
                }
            }
            StatusMonth {
                month,
                new: new.get(&month).copied().unwrap_or(0),
                active: running.held(TimelineStatus::Active),
                silent: running.held(TimelineStatus::Silent),
                former: running.held(TimelineStatus::Former),
                turned_active: during.entered(TimelineStatus::Active),
                turned_silent: during.entered(TimelineStatus::Silent),
                turned_former: during.entered(TimelineStatus::Former),
                to_date,
            }
        })
        .collect();
    Ok(StatusReport { from, to, today, window_days, months })
}

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: i64,
    name: String,
    owner_name: Option<String>,
    region: Option<String>,
    since: NaiveDate,
    order_count: i32,
    spent_minor: i64,
    currency: String,
    last_order_at: Option<DateTime<Utc>>,
}

/// The customers behind a figure, latest turned first (new customers: latest added first),
/// `limit` a page.
///
/// Errors: `Validation` (`to`).
pub async fn status_customers(
    pool: &PgPool,
    caller: &Authenticated,
    filter: &StatusFilter,
    after: Option<StatusCursor>,
    limit: i64,
) -> Result<Page<StatusCustomer, StatusCursor>, AppError> {
    let today = company_today(pool).await?;
    let (_, to) = status_range(&filter.query, today).range(today).map_err(AppError::Validation)?;
    let (first, last) = filter.days(to, today);
    let scope = caller.scope.visible_owners();
    let mut sql = QueryBuilder::<Postgres>::new(
        "select c.id, c.name, u.display_name as owner_name, c.region, ",
    );
    let (since, id) = match filter.figure {
        // The month's cohort, through `customer_month_cell_idx`.
        StatusFigure::New => {
            sql.push(
                "coalesce((c.first_order_at at time zone company_time_zone())::date, m.month) as since,
                 c.order_count, c.total_spend_minor as spent_minor, c.currency, c.last_order_at
                 from customer_month m
                 join customer c on c.id = m.customer_id
                 left join app_user u on u.id = c.owner_id
                 where m.month = m.cohort and m.month = ",
            );
            sql.push_bind(first);
            ("m.month", "c.id")
        }
        // Changes to the status in the month, or the last change on or before its end that is
        // to the status and still stands then, latest first through
        // `customer_status_change_status_day_idx`.
        StatusFigure::In(status) | StatusFigure::Turned(status) => {
            sql.push(
                "t.day as since, c.order_count, c.total_spend_minor as spent_minor, c.currency,
                 c.last_order_at
                 from customer_status_change t
                 join customer c on c.id = t.customer_id
                 left join app_user u on u.id = c.owner_id
                 where t.status = ",
            );
            sql.push_bind(status.as_str()).push(" and t.day <= ").push_bind(last);
            if matches!(filter.figure, StatusFigure::Turned(_)) {
                sql.push(" and t.day >= ").push_bind(first);
            } else {
                sql.push(
                    " and not exists (select 1 from customer_status_change n
                                      where n.customer_id = t.customer_id and n.day > t.day
                                        and n.day <= ",
                )
                .push_bind(last)
                .push(")");
            }
            ("t.day", "t.customer_id")
        }
    };
    sql.push(" and c.deleted_at is null");
    push_filter(
        &mut sql,
        &CUSTOMERS_ANY_TIER,
        scope.as_deref(),
        &filter.query.narrowing.as_filter(),
    );
    if let Some(after) = after {
        sql.push(format!(" and ({since}, {id}) < ("))
            .push_bind(after.since)
            .push(", ")
            .push_bind(after.id)
            .push(")");
    }
    sql.push(format!(" order by {since} desc, {id} desc limit ")).push_bind(limit + 1);
    let rows: Vec<CustomerRow> = sql.build_query_as().fetch_all(pool).await?;
    let customers = rows
        .into_iter()
        .map(|r| StatusCustomer {
            id: r.id,
            name: r.name,
            owner_name: r.owner_name,
            region: r.region,
            since: r.since,
            order_count: r.order_count,
            spent_minor: r.spent_minor,
            currency: r.currency,
            last_order_at: r.last_order_at,
        })
        .collect();
    // New customers share the month as their key's first part, so the cursor carries it.
    let month_keyed = filter.figure == StatusFigure::New;
    Ok(Page::from_overfetch(customers, limit, |c| StatusCursor {
        since: if month_keyed { first } else { c.since },
        id: c.id,
    }))
}
