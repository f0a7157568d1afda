//! The win/loss report's reads: closed opportunities in a range of company days, within the
//! caller's scope (by the deal's owner) and the narrowing, grouped by outcome and rep in one
//! statement and by lost reason in another.

use super::model::{
    ClosedDeal, DealCursor, DealFigures, DealFilter, DealQuery, DealReport, Outcome, RepRecord,
    WinLoss,
};
use crate::{
    auth::server::Authenticated,
    error::AppError,
    paging::Page,
    reports::{
        model::{Compared, compared_range},
        service::{DEALS, days_of, listed_reasons, push_after, push_days, push_filter},
    },
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

/// `from ... where ...` of the deals closed on company days `days` that `filter` names, within
/// `scope`. The stage says how a deal closed; its customer gives the region.
fn push_closed(
    sql: &mut QueryBuilder<'_, Postgres>,
    scope: Option<&[i64]>,
    filter: &DealFilter,
    days: (NaiveDate, NaiveDate),
) {
    sql.push(
        " from opportunity o
          join pipeline_stage st on st.id = o.stage_id
          join customer c on c.id = o.customer_id
          left join app_user u on u.id = o.owner_id
          where o.deleted_at is null and c.deleted_at is null and st.kind in ('won', 'lost')",
    );
    push_days(sql, "o.closed_at", days);
    push_filter(sql, &DEALS, scope, &filter.query.narrowing.as_filter());
    if let Some(outcome) = filter.outcome {
        sql.push(" and st.kind = ").push_bind(outcome.as_str());
    }
    if let Some(reason) = &filter.reason {
        sql.push(" and coalesce(btrim(o.lost_reason), '') = ").push_bind(reason.trim().to_owned());
    }
}

#[derive(sqlx::FromRow)]
struct Grouped {
    /// 1 on the company-wide rows of the grouping sets, 0 on a rep's.
    total_row: i32,
    owner_id: Option<i64>,
    name: Option<String>,
    kind: String,
    count: i64,
    amount: i64,
    median_days: Option<f64>,
}

/// Won against lost on company days `days`, company-wide rows first and, `by_rep`, each rep's.
async fn grouped(
    pool: &PgPool,
    scope: Option<&[i64]>,
    filter: &DealFilter,
    days: (NaiveDate, NaiveDate),
    by_rep: bool,
) -> Result<Vec<Grouped>, AppError> {
    let (rep, grouping) = if by_rep {
        (
            "grouping(o.owner_id) as total_row, o.owner_id, u.display_name as name",
            " group by grouping sets ((o.owner_id, u.display_name, st.kind), (st.kind))",
        )
    } else {
        ("1 as total_row, null::bigint as owner_id, null::text as name", " group by st.kind")
    };
    let mut grouped = QueryBuilder::<Postgres>::new(format!(
        "select {rep}, st.kind, count(*) as count,
                coalesce(sum(o.amount_minor), 0)::bigint as amount,
                percentile_cont(0.5) within group
                    (order by extract(epoch from o.closed_at - o.created_at)::float8 / 86400) as median_days"
    ));
    push_closed(&mut grouped, scope, filter, days);
    grouped.push(grouping);
    Ok(grouped.build_query_as().fetch_all(pool).await?)
}

/// The company-wide rows as won against lost.
fn totals(rows: &[Grouped]) -> WinLoss {
    let mut total = WinLoss::default();
    for row in rows.iter().filter(|row| row.total_row == 1) {
        let figures = DealFigures {
            count: row.count,
            amount_minor: row.amount,
            median_days: row.median_days,
        };
        match Outcome::parse(&row.kind) {
            Ok(Outcome::Won) => total.won = figures,
            _ => total.lost = figures,
        }
    }
    total
}

/// Won against lost in the caller's scope, by rep and lost reason, and won against lost over
/// the compared range when asked.
///
/// Errors: `Validation` (`to`: reversed or too long a range).
pub async fn deal_report(
    pool: &PgPool,
    caller: &Authenticated,
    query: &DealQuery,
) -> Result<DealReport, AppError> {
    let (from, to) = days_of(pool, &query.as_filter()).await?;
    let scope = caller.scope.visible_owners();
    let filter = DealFilter { query: query.clone(), ..Default::default() };
    let compared_days = compared_range(query.comparison, from, to);
    let (rows, compared_rows) =
        tokio::try_join!(grouped(pool, scope.as_deref(), &filter, (from, to), true), async {
            match compared_days {
                Some(days) => grouped(pool, scope.as_deref(), &filter, days, false).await.map(Some),
                None => Ok(None),
            }
        },)?;
    let compared = compared_days.zip(compared_rows).map(|((from, to), rows)| Compared {
        from,
        to,
        figures: totals(&rows),
    });

    let mut lost = QueryBuilder::<Postgres>::new(
        "select coalesce(btrim(o.lost_reason), '') as reason, count(*) as count,
                coalesce(sum(o.amount_minor), 0)::bigint as amount",
    );
    let lost_filter = DealFilter { outcome: Some(Outcome::Lost), ..filter };
    push_closed(&mut lost, scope.as_deref(), &lost_filter, (from, to));
    lost.push(" group by 1 order by 2 desc, 3 desc, 1");
    let reasons: Vec<(String, i64, i64)> = lost.build_query_as().fetch_all(pool).await?;

    let total = totals(&rows);
    let mut reps: Vec<RepRecord> = Vec::new();
    for row in rows.into_iter().filter(|row| row.total_row == 0) {
        let figures = DealFigures {
            count: row.count,
            amount_minor: row.amount,
            median_days: row.median_days,
        };
        let at = match reps.iter().position(|rep| rep.owner == row.owner_id) {
            Some(at) => at,
            None => {
                reps.push(RepRecord {
                    owner: row.owner_id,
                    name: row.name,
                    record: WinLoss::default(),
                });
                reps.len() - 1
            }
        };
        let record = &mut reps[at].record;
        match Outcome::parse(&row.kind) {
            Ok(Outcome::Won) => record.won = figures,
            _ => record.lost = figures,
        }
    }
    reps.sort_by(|a, b| {
        let closed = |rep: &RepRecord| rep.record.won.count + rep.record.lost.count;
        closed(b).cmp(&closed(a)).then_with(|| a.name.cmp(&b.name))
    });
    Ok(DealReport { from, to, total, compared, reasons: listed_reasons(reasons), reps })
}

#[derive(sqlx::FromRow)]
struct DealRow {
    id: i64,
    title: String,
    customer_id: i64,
    customer_name: String,
    owner_name: Option<String>,
    amount_minor: i64,
    currency: String,
    kind: String,
    lost_reason: Option<String>,
    created_at: DateTime<Utc>,
    closed_at: DateTime<Utc>,
}

/// The deals behind a figure, latest closed first, `limit` a page.
///
/// Errors: `Validation` (`to`).
pub async fn closed_deals(
    pool: &PgPool,
    caller: &Authenticated,
    filter: &DealFilter,
    after: Option<DealCursor>,
    limit: i64,
) -> Result<Page<ClosedDeal, DealCursor>, AppError> {
    let days = days_of(pool, &filter.query.as_filter()).await?;
    let scope = caller.scope.visible_owners();
    let mut sql = QueryBuilder::<Postgres>::new(
        "select o.id, o.title, o.customer_id, c.name as customer_name, u.display_name as owner_name,
                o.amount_minor, o.currency, st.kind, o.lost_reason, o.created_at, o.closed_at",
    );
    push_closed(&mut sql, scope.as_deref(), filter, days);
    push_after(&mut sql, ("o.closed_at", "o.id"), after.map(|a| (a.at, a.id)));
    sql.push(" order by o.closed_at desc, o.id desc limit ").push_bind(limit + 1);
    let rows: Vec<DealRow> = sql.build_query_as().fetch_all(pool).await?;
    let deals = rows
        .into_iter()
        .map(|r| ClosedDeal {
            id: r.id,
            title: r.title,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            owner_name: r.owner_name,
            amount_minor: r.amount_minor,
            currency: r.currency,
            // The statement reads won and lost stages only.
            outcome: Outcome::parse(&r.kind).unwrap_or(Outcome::Lost),
            lost_reason: r.lost_reason,
            created_at: r.created_at,
            closed_at: r.closed_at,
        })
        .collect();
    Ok(Page::from_overfetch(deals, limit, |deal| DealCursor { at: deal.closed_at, id: deal.id }))
}
