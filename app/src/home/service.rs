//! The dashboard's reads, one statement or two per tile, each limited to the caller's data
//! scope, and the per-user tile order.
//!
//! Tiles read indexed ranges (this month's rows, open records, the caller's tasks) or the daily
//! sales summary, never a whole table, so a tile answers in milliseconds at a million customers
//! (`cargo bench -p server --bench dashboard`).

use super::model::{
    DashboardLayout, StoredLayout, Target, Tile, TileBar, TileData, TileId, TileItem, TileKind,
    check_layout, quarter_start,
};
use crate::{
    auth::server::Authenticated,
    customers::repo::LAST_ORDER_KEY,
    error::AppError,
    leads::service::NOT_FOLLOWED_UP,
    reports::{model::SalesFigures, saved::service::of_user as saved_reports},
    tickets::service::TicketScope,
};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

/// Items a list tile shows; the count says how many more the link opens.
const TILE_ITEMS: i64 = 5;
/// Bars a rep tile shows (the best ones).
const TILE_BARS: i64 = 8;
/// How close to its deadline an open ticket counts as about to breach.
const NEAR_BREACH_HOURS: i32 = 4;

/// A list tile from rows that each carry the count of every matching row (`count(*) over ()`),
/// the first few of which it shows.
fn listed<R>(
    rows: Vec<R>,
    total: impl Fn(&R) -> i64,
    item: impl FnMut(R) -> TileItem,
    href: String,
) -> TileData {
    let count = rows.first().map(total).unwrap_or(0);
    TileData::Items { count, items: rows.into_iter().map(item).collect(), href }
}

/// The caller's tile order, or their role's defaults before they saved one, with their saved
/// reports.
pub async fn layout(pool: &PgPool, caller: &Authenticated) -> Result<DashboardLayout, AppError> {
    let (stored, reports) = tokio::try_join!(
        async {
            Ok::<_, AppError>(
                sqlx::query_as!(
                    StoredLayout,
                    r#"select tiles, version, updated_at as "saved_at: DateTime<Utc>"
                       from dashboard_layout where user_id = $1"#,
                    caller.id().0
                )
                .fetch_optional(pool)
                .await?,
            )
        },
        saved_reports(pool, caller.id().0),
    )?;
    Ok(DashboardLayout::for_role(caller.role(), stored, reports))
}

/// Saves the caller's tile order (the tiles left out are hidden) and returns it as read back.
///
/// Errors: `Validation` (`tiles.N`: a tile above the caller's role, a report they did not save,
/// or a tile twice), `Conflict` (saved from another page since `version` was read).
pub async fn save_layout(
    pool: &PgPool,
    caller: &Authenticated,
    shown: &[TileId],
    version: i32,
) -> Result<DashboardLayout, AppError> {
    let reports = saved_reports(pool, caller.id().0).await?;
    let report_ids: Vec<i64> = reports.iter().map(|report| report.id).collect();
    check_layout(caller.role(), shown, &report_ids)?;
    let names: Vec<String> = shown.iter().map(|tile| tile.key()).collect();
    // Version 0 is "never saved": only a first save may follow it; any other must match.
    let saved = if version == 0 {
        sqlx::query_as!(
            StoredLayout,
            r#"insert into dashboard_layout (user_id, tiles) values ($1, $2)
               on conflict (user_id) do nothing returning tiles, version, updated_at as "saved_at: DateTime<Utc>""#,
            caller.id().0,
            &names as &[String],
        )
        .fetch_optional(pool)
        .await?
    } else {
        sqlx::query_as!(
            StoredLayout,
            r#"update dashboard_layout set tiles = $2, version = version + 1, updated_at = now()
               where user_id = $1 and version = $3
               returning tiles, version, updated_at as "saved_at: DateTime<Utc>""#,
            caller.id().0,
            &names as &[String],
            version,
        )
        .fetch_optional(pool)
        .await?
    };
    match saved {
        Some(stored) => Ok(DashboardLayout::for_role(caller.role(), Some(stored), reports)),
        None => Err(AppError::Conflict),
    }
}

/// One tile's figures for the caller, with `today` the company's date.
///
/// Errors: `Forbidden` (a tile above the caller's role).
pub async fn tile(
    pool: &PgPool,
    caller: &Authenticated,
    kind: TileKind,
    today: NaiveDate,
) -> Result<Tile, AppError> {
    if !caller.role().includes(kind.least_role()) {
        return Err(AppError::Forbidden);
    }
    let scope = caller.scope.visible_owners();
    let scope = scope.as_deref();
    let month_start = today.with_day(1).unwrap_or(today);
    let data = match kind {
        TileKind::MyTasks => my_tasks(pool, caller, today).await?,
        TileKind::OpenPipeline => open_pipeline(pool, scope).await?,
        TileKind::TicketsNearBreach => tickets_near_breach(pool, caller).await?,
        TileKind::TurnedSilent => turned_silent(pool, scope, month_start, today).await?,
        TileKind::LeadsWaiting => leads_waiting(pool, scope).await?,
        TileKind::ForecastVsQuota => forecast_vs_quota(pool, scope, month_start, today).await?,
        TileKind::WonByRep => won_by_rep(pool, scope, month_start).await?,
        TileKind::SlaAttainment => sla_attainment(pool, scope, month_start).await?,
        TileKind::TierDrops => tier_drops(pool, scope, month_start).await?,
        TileKind::Revenue => revenue(pool, scope, month_start, today).await?,
        TileKind::CustomerGains => customer_gains(pool, scope, month_start).await?,
        TileKind::TierShare => tier_share(pool, scope).await?,
        TileKind::JobHealth => job_health(pool).await?,
    };
    Ok(Tile { kind, data })
}

/// The caller's open tasks due before tomorrow in the company's zone.
async fn my_tasks(
    pool: &PgPool,
    caller: &Authenticated,
    today: NaiveDate,
) -> Result<TileData, AppError> {
    let rows = sqlx::query!(
        r#"select t.id, t.title, t.due_at as "due_at: DateTime<Utc>", c.name as "customer?",
                  count(*) filter (where t.due_at < now()) over () as "overdue!",
                  count(*) over () as "due!"
           from task t left join customer c on c.id = t.customer_id
           where t.assignee_id = $1 and t.done_at is null and t.deleted_at is null
             and t.due_at < ($2::date + 1)::timestamp at time zone company_time_zone()
           order by t.due_at, t.id limit $3"#,
        caller.id().0,
        today as _,
        TILE_ITEMS,
    )
    .fetch_all(pool)
    .await?;
    let (overdue, due) = rows.first().map(|r| (r.overdue, r.due)).unwrap_or_default();
    let items = rows
        .into_iter()
        .map(|r| TileItem::plain(r.title, r.customer.unwrap_or_default(), Some(r.due_at), "/tasks"))
        .collect();
    Ok(TileData::Tasks { overdue, due_today: due - overdue, items })
}

/// Open opportunities in scope per stage, in pipeline order.
async fn open_pipeline(pool: &PgPool, scope: Option<&[i64]>) -> Result<TileData, AppError> {
    let bars = sqlx::query!(
        r#"select s.name_zh, s.name_en, s.color, count(*) as "count!",
                  sum(o.amount_minor)::bigint as "amount!"
           from opportunity o join pipeline_stage s on s.id = o.stage_id
           where o.closed_at is null and o.deleted_at is null
             and ($1::bigint[] is null or o.owner_id = any($1))
           group by s.id order by s.pipeline_id, s.position"#,
        scope as _,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| TileBar {
        name_zh: r.name_zh,
        name_en: r.name_en,
        count: r.count,
        amount_minor: r.amount,
        color: Some(r.color),
        href: "/pipeline".into(),
    })
    .collect();
    Ok(TileData::Bars { bars, href: "/pipeline".into() })
}

/// Open tickets the caller's queues show that are late or due within a few hours.
async fn tickets_near_breach(pool: &PgPool, caller: &Authenticated) -> Result<TileData, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        subject: String,
        customer: String,
        sla_due_at: DateTime<Utc>,
        total: i64,
    }
    let mut query = QueryBuilder::<Postgres>::new(
        "select t.id, t.subject, c.name as customer, t.sla_due_at, count(*) over () as total
         from ticket t join customer c on c.id = t.customer_id
         where t.deleted_at is null and t.sla_due_at < now() + make_interval(hours => ",
    );
    query.push_bind(NEAR_BREACH_HOURS).push(")");
    TicketScope::of(caller).push(&mut query);
    query.push(" order by t.sla_due_at, t.id limit ").push_bind(TILE_ITEMS);
    let rows: Vec<Row> = query.build_query_as().fetch_all(pool).await?;
    let item = |r: Row| {
        let href = format!("/tickets/{}", r.id);
        TileItem::plain(format!("#{} {}", r.id, r.subject), r.customer, Some(r.sla_due_at), href)
    };
    Ok(listed(rows, |r| r.total, item, "/tickets".into()))
}

/// Customers whose last order left the active window this month: their last order fell on a day
/// from which the window ended between the first of the month and today.
async fn turned_silent(
    pool: &PgPool,
    scope: Option<&[i64]>,
    month_start: NaiveDate,
    today: NaiveDate,
) -> Result<TileData, AppError> {
    let settings = crate::customers::repo::settings(pool).await?;
    // Silent from the day after the window's last day: a last order on day d leaves the window
    // on d + window + 1.
    let window = Duration::days(i64::from(settings.active_window_days) + 1);
    let (first, last) = (month_start - window, today - window);
    let sql = format!(
        "select c.id, c.name, c.last_order_at, count(*) over () as total
         from customer c
         where c.deleted_at is null
           and {LAST_ORDER_KEY} >= ($1::date)::timestamp at time zone company_time_zone()
           and {LAST_ORDER_KEY} < ($2::date + 1)::timestamp at time zone company_time_zone()
           and ($3::bigint[] is null or c.owner_id = any($3))
         order by {LAST_ORDER_KEY} desc, c.id desc limit $4"
    );
    let rows: Vec<(i64, String, Option<DateTime<Utc>>, i64)> = sqlx::query_as(&sql)
        .bind(first)
        .bind(last)
        .bind(scope)
        .bind(TILE_ITEMS)
        .fetch_all(pool)
        .await?;
    let item = |(id, name, last_order_at, _): (i64, String, Option<DateTime<Utc>>, i64)| {
        TileItem::plain(name, String::new(), last_order_at, format!("/customers/{id}"))
    };
    let href = format!("/customers?status=silent&last_from={first}&last_to={last}");
    Ok(listed(rows, |r| r.3, item, href))
}

/// New leads never contacted within the follow-up time (the leads list's rule), oldest first.
async fn leads_waiting(pool: &PgPool, scope: Option<&[i64]>) -> Result<TileData, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        name: String,
        company: Option<String>,
        created_at: DateTime<Utc>,
        total: i64,
    }
    let sql = format!(
        "select l.id, l.name, l.company, l.created_at, count(*) over () as total
         from lead l cross join lead_routing r
         where l.deleted_at is null and {NOT_FOLLOWED_UP}
           and ($1::bigint[] is null or l.owner_id = any($1))
         order by l.created_at, l.id limit $2"
    );
    let rows: Vec<Row> = sqlx::query_as(&sql).bind(scope).bind(TILE_ITEMS).fetch_all(pool).await?;
    let item = |r: Row| {
        let href = format!("/leads/{}", r.id);
        TileItem::plain(r.name, r.company.unwrap_or_default(), Some(r.created_at), href)
    };
    Ok(listed(rows, |r| r.total, item, "/leads?overdue=1".into()))
}

/// Won, weighted open pipeline and quota of this month and this quarter.
async fn forecast_vs_quota(
    pool: &PgPool,
    scope: Option<&[i64]>,
    month_start: NaiveDate,
    today: NaiveDate,
) -> Result<TileData, AppError> {
    let next_month = month_start + Months::new(1);
    let quarter = quarter_start(today);
    let next_quarter = quarter + Months::new(3);
    let row = sqlx::query!(
        r#"
        with won as (
            select coalesce(sum(o.amount_minor) filter (where o.closed_at >= ($2::date)::timestamp at time zone company_time_zone()), 0)::bigint as month,
                   coalesce(sum(o.amount_minor), 0)::bigint as quarter
            from opportunity o join pipeline_stage s on s.id = o.stage_id and s.kind = 'won'
            where o.deleted_at is null
              and o.closed_at >= ($4::date)::timestamp at time zone company_time_zone()
              and o.closed_at < ($5::date)::timestamp at time zone company_time_zone()
              and ($1::bigint[] is null or o.owner_id = any($1))
        ), open as (
            -- Per row, as the forecast weighs each opportunity (integer minor units).
            select coalesce(sum(o.amount_minor * s.probability / 100) filter (where o.expected_close < $3), 0)::bigint as month,
                   coalesce(sum(o.amount_minor * s.probability / 100), 0)::bigint as quarter
            from opportunity o join pipeline_stage s on s.id = o.stage_id
            where o.closed_at is null and o.deleted_at is null
              and o.expected_close >= $2 and o.expected_close < $5
              and ($1::bigint[] is null or o.owner_id = any($1))
        ), quota as (
            select coalesce(sum(q.amount_minor) filter (where q.month = $2), 0)::bigint as month,
                   coalesce(sum(q.amount_minor), 0)::bigint as quarter
            from quota q
            where q.month >= $4 and q.month < $5 and ($1::bigint[] is null or q.owner_id = any($1))
        )
        select won.month as "won_month!", won.quarter as "won_quarter!",
               open.month as "open_month!", open.quarter as "open_quarter!",
               quota.month as "quota_month!", quota.quarter as "quota_quarter!"
        from won, open, quota
        "#,
        scope as _,
        month_start as _,
        next_month as _,
        quarter as _,
        next_quarter as _,
    )
    .fetch_one(pool)
    .await?;
    Ok(TileData::Forecast {
        month: Target {
            won_minor: row.won_month,
            weighted_minor: row.open_month,
            quota_minor: row.quota_month,
        },
        quarter: Target {
            won_minor: row.won_quarter,
            weighted_minor: row.open_quarter,
            quota_minor: row.quota_quarter,
        },
        month_start,
        quarter_start: quarter,
    })
}

/// Opportunities won this month per rep, the best first.
async fn won_by_rep(
    pool: &PgPool,
    scope: Option<&[i64]>,
    month_start: NaiveDate,
) -> Result<TileData, AppError> {
    let bars = sqlx::query!(
        r#"select u.display_name as "name?", count(*) as "count!",
                  sum(o.amount_minor)::bigint as "amount!"
           from opportunity o join pipeline_stage s on s.id = o.stage_id and s.kind = 'won'
           left join app_user u on u.id = o.owner_id
           where o.deleted_at is null
             and o.closed_at >= ($2::date)::timestamp at time zone company_time_zone()
             and ($1::bigint[] is null or o.owner_id = any($1))
           group by o.owner_id, u.display_name order by 3 desc, 1 limit $3"#,
        scope as _,
        month_start as _,
        TILE_BARS,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        let name = r.name.unwrap_or_default();
        TileBar {
            name_zh: name.clone(),
            name_en: name,
            count: r.count,
            amount_minor: r.amount,
            color: None,
            href: "/forecast".into(),
        }
    })
    .collect();
    Ok(TileData::Bars { bars, href: "/forecast".into() })
}

/// This month's tickets whose resolution fell due (or came): how many met both deadlines, judged
/// from the times themselves so a late ticket the breach sweep has not reached yet is not "met";
/// and the open tickets already late. Scoped as the service report scopes.
async fn sla_attainment(
    pool: &PgPool,
    scope: Option<&[i64]>,
    month_start: NaiveDate,
) -> Result<TileData, AppError> {
    let row = sqlx::query!(
        r#"select count(*) filter (where t.resolved_at is not null or t.resolution_due < now()) as "due!",
                  count(*) filter (where t.resolved_at <= t.resolution_due
                                     and t.first_responded_at <= t.first_response_due
                                     and not t.first_response_breached and not t.resolution_breached) as "met!",
                  (select count(*) from ticket l join customer lc on lc.id = l.customer_id
                   where l.deleted_at is null and l.sla_due_at < now()
                     and ($1::bigint[] is null or l.assignee_id = any($1) or lc.owner_id = any($1))) as "late!"
           from ticket t join customer c on c.id = t.customer_id
           where t.deleted_at is null
             and t.created_at >= ($2::date)::timestamp at time zone company_time_zone()
             and ($1::bigint[] is null or t.assignee_id = any($1) or c.owner_id = any($1))"#,
        scope as _,
        month_start as _,
    )
    .fetch_one(pool)
    .await?;
    Ok(TileData::Sla { due: row.due, met: row.met, breached_open: row.late })
}

/// Customers moved to a lower tier (or out of every tier) this month, the latest first.
async fn tier_drops(
    pool: &PgPool,
    scope: Option<&[i64]>,
    month_start: NaiveDate,
) -> Result<TileData, AppError> {
    // Tiers are tried in position order, the first that matches wins: a higher position is a
    // lower tier.
    let rows = sqlx::query!(
        r#"select c.id, c.name, tc.at as "at: DateTime<Utc>", ft.name_zh as from_zh, ft.name_en as from_en,
                  tt.name_zh as "to_zh?", tt.name_en as "to_en?", count(*) over () as "total!"
           from tier_change tc join customer c on c.id = tc.customer_id
           join tier ft on ft.id = tc.from_tier_id
           left join tier tt on tt.id = tc.to_tier_id
           where tc.at >= ($2::date)::timestamp at time zone company_time_zone()
             and (tt.id is null or tt.position > ft.position)
             and c.deleted_at is null and ($1::bigint[] is null or c.owner_id = any($1))
           order by tc.at desc, tc.id desc limit $3"#,
        scope as _,
        month_start as _,
        TILE_ITEMS,
    )
    .fetch_all(pool)
    .await?;
    Ok(listed(
        rows,
        |r| r.total,
        |r| TileItem {
            label: r.name,
            detail_zh: format!("{} → {}", r.from_zh, r.to_zh.as_deref().unwrap_or("—")),
            detail_en: format!("{} → {}", r.from_en, r.to_en.as_deref().unwrap_or("—")),
            at: Some(r.at),
            href: format!("/customers/{}", r.id),
        },
        "/insights/customers".into(),
    ))
}

/// Revenue this month to date, and over the same days of last month and of last year, from the
/// daily summary.
async fn revenue(
    pool: &PgPool,
    scope: Option<&[i64]>,
    from: NaiveDate,
    today: NaiveDate,
) -> Result<TileData, AppError> {
    // Month arithmetic clamps to the month's end: the 31st against a 30-day month compares the
    // whole of it.
    let last_month = (from - Months::new(1), today - Months::new(1));
    let last_year = (from - Months::new(12), today - Months::new(12));
    let row = sqlx::query!(
        r#"select coalesce(sum(s.orders) filter (where s.day >= $2), 0)::bigint as "orders!",
                  coalesce(sum(s.revenue_minor) filter (where s.day >= $2), 0)::bigint as "revenue!",
                  coalesce(sum(s.orders) filter (where s.day between $4 and $5), 0)::bigint as "last_month_orders!",
                  coalesce(sum(s.revenue_minor) filter (where s.day between $4 and $5), 0)::bigint as "last_month_revenue!",
                  coalesce(sum(s.orders) filter (where s.day between $6 and $7), 0)::bigint as "last_year_orders!",
                  coalesce(sum(s.revenue_minor) filter (where s.day between $6 and $7), 0)::bigint as "last_year_revenue!"
           from sales_day s
           where (s.day between $2 and $3 or s.day between $4 and $5 or s.day between $6 and $7)
             and ($1::bigint[] is null or s.owner_id = any($1))"#,
        scope as _,
        from as _,
        today as _,
        last_month.0 as _,
        last_month.1 as _,
        last_year.0 as _,
        last_year.1 as _,
    )
    .fetch_one(pool)
    .await?;
    let figures =
        |orders: i64, revenue_minor: i64| SalesFigures { orders, revenue_minor, units: 0 };
    Ok(TileData::Revenue {
        this_month: figures(row.orders, row.revenue),
        last_month: figures(row.last_month_orders, row.last_month_revenue),
        last_year: figures(row.last_year_orders, row.last_year_revenue),
        from,
        to: today,
    })
}

/// Customers added this month, and customers marked former this month.
async fn customer_gains(
    pool: &PgPool,
    scope: Option<&[i64]>,
    month_start: NaiveDate,
) -> Result<TileData, AppError> {
    let row = sqlx::query!(
        r#"select
             (select count(*) from customer c where c.deleted_at is null
                and c.created_at >= ($2::date)::timestamp at time zone company_time_zone()
                and ($1::bigint[] is null or c.owner_id = any($1))) as "added!",
             (select count(*) from customer c where c.deleted_at is null and c.churned_at is not null
                and c.churned_at >= ($2::date)::timestamp at time zone company_time_zone()
                and c.customer_type = 'former'
                and ($1::bigint[] is null or c.owner_id = any($1))) as "lost!""#,
        scope as _,
        month_start as _,
    )
    .fetch_one(pool)
    .await?;
    Ok(TileData::Customers { added: row.added, lost: row.lost, month_start })
}

/// Customers per tier in force (an unexpired override, else the computed tier), in tier order,
/// from the counts kept by triggers (`tier_count`), never from the customers themselves.
async fn tier_share(pool: &PgPool, scope: Option<&[i64]>) -> Result<TileData, AppError> {
    let bars = sqlx::query!(
        r#"with counted as (
             select tier_in_force(t.computed_tier_id, t.override_tier_id, t.override_until)
                      as tier_id,
                    sum(t.customers)::bigint as n
             from tier_count t
             where ($1::bigint[] is null or t.owner_id = any($1))
             group by 1 having sum(t.customers) <> 0)
           select t.id as "id?", t.name_zh as "name_zh?", t.name_en as "name_en?",
                  t.color as "color?", counted.n as "count!"
           from counted left join tier t on t.id = counted.tier_id
           order by t.position nulls last"#,
        scope as _,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| TileBar {
        name_zh: r.name_zh.unwrap_or_default(),
        name_en: r.name_en.unwrap_or_default(),
        count: r.count,
        amount_minor: 0,
        color: r.color,
        href: match r.id {
            Some(id) => format!("/customers?tier={id}"),
            None => "/insights/customers".into(),
        },
    })
    .collect();
    Ok(TileData::Bars { bars, href: "/insights/customers".into() })
}

/// Jobs running and waiting, failures of the last seven days and the latest of them.
async fn job_health(pool: &PgPool) -> Result<TileData, AppError> {
    let row = sqlx::query!(
        r#"select count(*) filter (where status = 'running') as "running!",
                  count(*) filter (where status = 'queued') as "queued!",
                  (select count(*) from job f where f.status = 'failed'
                     and f.finished_at >= now() - interval '7 days') as "failed!"
           from job where status in ('queued', 'running')"#
    )
    .fetch_one(pool)
    .await?;
    let last_failure = sqlx::query!(
        r#"select id, kind, last_error, finished_at as "finished_at: DateTime<Utc>" from job
           where status = 'failed' and finished_at >= now() - interval '7 days'
           order by finished_at desc, id desc limit 1"#
    )
    .fetch_optional(pool)
    .await?
    .map(|r| TileItem::plain(r.kind, r.last_error.unwrap_or_default(), r.finished_at, "/jobs"));
    Ok(TileData::Jobs {
        running: row.running,
        queued: row.queued,
        failed_this_week: row.failed,
        last_failure,
    })
}
