//! The tier moves report's reads: the moves `tier_change` recorded on a range of company days
//! (through `tier_change_at_idx`) of live customers, within the caller's scope (by the
//! customer's owner) and the narrowing, by month in one statement and by path in another.

use super::model::{
    CustomerMove, Direction, MoveCursor, MoveMonth, MovesFilter, MovesReport, TierName, TierPath,
};
use crate::{
    auth::server::Authenticated,
    error::AppError,
    paging::Page,
    reports::{
        cohorts::model::{month_days, month_starts},
        model::RangeQuery,
        service::{CUSTOMERS_ANY_TIER, days_of, push_after, push_days, push_filter},
    },
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

/// A move up reaches a tier placed before the one it left; any other move is down (to a tier
/// after it, or out of every tier, where the comparison is null).
const MOVED_UP: &str = "coalesce(tt.position < ft.position, false)";

/// `from ... where ...` of the moves `filter` names on company days `days`, within `scope`:
/// the move `tc`, its customer `c` and owner `u`, the tier left `ft` and reached `tt`.
fn push_moves(
    sql: &mut QueryBuilder<'_, Postgres>,
    scope: Option<&[i64]>,
    filter: &MovesFilter,
    days: (NaiveDate, NaiveDate),
) {
    sql.push(
        " from tier_change tc
          join customer c on c.id = tc.customer_id
          left join app_user u on u.id = c.owner_id
          join tier ft on ft.id = tc.from_tier_id
          left join tier tt on tt.id = tc.to_tier_id
          where c.deleted_at is null",
    );
    push_days(sql, "tc.at", days);
    push_filter(sql, &CUSTOMERS_ANY_TIER, scope, &filter.query.narrowing.as_filter());
    match filter.direction {
        Some(Direction::Up) => {
            sql.push(format!(" and {MOVED_UP}"));
        }
        Some(Direction::Down) => {
            sql.push(format!(" and not {MOVED_UP}"));
        }
        None => {}
    }
    if let Some(month) = filter.month {
        push_days(sql, "tc.at", month_days(month));
    }
    if let Some(tier) = filter.from_tier {
        sql.push(" and tc.from_tier_id = ").push_bind(tier);
    }
    match filter.to_tier {
        Some(0) => {
            sql.push(" and tc.to_tier_id is null");
        }
        Some(tier) => {
            sql.push(" and tc.to_tier_id = ").push_bind(tier);
        }
        None => {}
    }
}

fn direction(up: bool) -> Direction {
    if up { Direction::Up } else { Direction::Down }
}

#[derive(sqlx::FromRow)]
struct PathRow {
    from_id: i64,
    from_zh: String,
    from_en: String,
    to_id: Option<i64>,
    to_zh: Option<String>,
    to_en: Option<String>,
    up: bool,
    moves: i64,
}

/// The tier moves in the range, by month and by path, within the caller's scope.
///
/// Errors: `Validation` (`to`: reversed or too long a range).
pub async fn moves_report(
    pool: &PgPool,
    caller: &Authenticated,
    query: &RangeQuery,
) -> Result<MovesReport, AppError> {
    let (from, to) = days_of(pool, &query.as_filter()).await?;
    let scope = caller.scope.visible_owners();
    let filter = MovesFilter { query: query.clone(), ..Default::default() };

    let mut monthly = QueryBuilder::<Postgres>::new(format!(
        "select date_trunc('month', tc.at at time zone company_time_zone())::date as month,
                count(*) filter (where {MOVED_UP}) as up,
                count(*) filter (where not {MOVED_UP}) as down"
    ));
    push_moves(&mut monthly, scope.as_deref(), &filter, (from, to));
    monthly.push(" group by 1 order by 1");
    let counted: Vec<(NaiveDate, i64, i64)> = monthly.build_query_as().fetch_all(pool).await?;

    let mut by_path = QueryBuilder::<Postgres>::new(format!(
        "select ft.id as from_id, ft.name_zh as from_zh, ft.name_en as from_en,
                tt.id as to_id, tt.name_zh as to_zh, tt.name_en as to_en,
                {MOVED_UP} as up, count(*) as moves"
    ));
    push_moves(&mut by_path, scope.as_deref(), &filter, (from, to));
    by_path.push(
        " group by ft.id, tt.id order by count(*) desc, min(ft.position), min(tt.position) nulls last",
    );
    let paths: Vec<PathRow> = by_path.build_query_as().fetch_all(pool).await?;

    let months = month_starts(from, to)
        .into_iter()
        .map(|month| {
            let found = counted.iter().find(|(m, _, _)| *m == month);
            let (up, down) = found.map(|(_, up, down)| (*up, *down)).unwrap_or((0, 0));
            MoveMonth { month, up, down }
        })
        .collect();
    Ok(MovesReport {
        from,
        to,
        up: counted.iter().map(|(_, up, _)| up).sum(),
        down: counted.iter().map(|(_, _, down)| down).sum(),
        months,
        paths: paths
            .into_iter()
            .map(|p| TierPath {
                from: TierName { id: p.from_id, name_zh: p.from_zh, name_en: p.from_en },
                to: TierName::of(p.to_id, p.to_zh, p.to_en),
                direction: direction(p.up),
                moves: p.moves,
            })
            .collect(),
    })
}

#[derive(sqlx::FromRow)]
struct MoveRow {
    id: i64,
    customer_id: i64,
    customer_name: String,
    owner_name: Option<String>,
    region: Option<String>,
    at: DateTime<Utc>,
    from_id: i64,
    from_zh: String,
    from_en: String,
    to_id: Option<i64>,
    to_zh: Option<String>,
    to_en: Option<String>,
    up: bool,
}

/// The moves behind a figure, latest first, `limit` a page.
///
/// Errors: `Validation` (`to`).
pub async fn customer_moves(
    pool: &PgPool,
    caller: &Authenticated,
    filter: &MovesFilter,
    after: Option<MoveCursor>,
    limit: i64,
) -> Result<Page<CustomerMove, MoveCursor>, AppError> {
    let days = days_of(pool, &filter.query.as_filter()).await?;
    let scope = caller.scope.visible_owners();
    let mut sql = QueryBuilder::<Postgres>::new(format!(
        "select tc.id, c.id as customer_id, c.name as customer_name,
                u.display_name as owner_name, c.region, tc.at,
                ft.id as from_id, ft.name_zh as from_zh, ft.name_en as from_en,
                tt.id as to_id, tt.name_zh as to_zh, tt.name_en as to_en,
                {MOVED_UP} as up"
    ));
    push_moves(&mut sql, scope.as_deref(), filter, days);
    push_after(&mut sql, ("tc.at", "tc.id"), after.map(|a| (a.at, a.id)));
    sql.push(" order by tc.at desc, tc.id desc limit ").push_bind(limit + 1);
    let rows: Vec<MoveRow> = sql.build_query_as().fetch_all(pool).await?;
    let moves = rows
        .into_iter()
        .map(|r| CustomerMove {
            id: r.id,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            owner_name: r.owner_name,
            region: r.region,
            at: r.at,
            from: TierName { id: r.from_id, name_zh: r.from_zh, name_en: r.from_en },
            to: TierName::of(r.to_id, r.to_zh, r.to_en),
            direction: direction(r.up),
        })
        .collect();
    Ok(Page::from_overfetch(moves, limit, |m| MoveCursor { at: m.at, id: m.id }))
}
