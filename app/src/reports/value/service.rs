//! The customer value report's reads: the grid and the revenue by tier from `rfm_cell` (graded
//! customers summed by owner, region, scores and tier, kept by triggers), the top spenders
//! through `customer_spend_idx`, and the customers behind a cell through `customer_score_rf_idx`,
//! all within the caller's scope (by the customer's owner) and the narrowing.

use super::model::{
    RfmCell, TOP_CUSTOMERS, TierRevenue, TopCustomer, ValueCustomer, ValueFilter, ValueQuery,
    ValueReport,
};
use crate::{
    auth::server::Authenticated,
    error::AppError,
    paging::Page,
    reports::{
        moves::model::TierName,
        service::{CELLS, GRADED, in_force, push_filter},
    },
};
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

#[derive(sqlx::FromRow)]
struct CellRow {
    r: i16,
    f: i16,
    tier_id: Option<i64>,
    customers: i64,
    m_total: i64,
    monetary_minor: i64,
}

#[derive(sqlx::FromRow)]
struct TierRow {
    id: i64,
    name_zh: String,
    name_en: String,
    color: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TopRow {
    id: i64,
    name: String,
    owner_name: Option<String>,
    total_spend_minor: i64,
    order_count: i32,
    last_order_at: Option<DateTime<Utc>>,
    r: Option<i16>,
    f: Option<i16>,
    m: Option<i16>,
    tier_id: Option<i64>,
    tier_zh: Option<String>,
    tier_en: Option<String>,
}

/// The graded customers as they stand, within the caller's scope: the grid, revenue in the
/// scoring window by tier in force, and the customers who spent most.
pub async fn value_report(
    pool: &PgPool,
    caller: &Authenticated,
    query: &ValueQuery,
) -> Result<ValueReport, AppError> {
    let scope = caller.scope.visible_owners();
    let filter = query.narrowing.as_filter();

    // One pass over the summary: by cell and tier, summed both ways below.
    let mut cells = QueryBuilder::<Postgres>::new("select s.r, s.f, ");
    cells.push(in_force("s"));
    cells.push(
        " as tier_id, sum(s.customers)::bigint as customers,
                 sum(s.customers * s.m)::bigint as m_total,
                 sum(s.monetary_minor)::bigint as monetary_minor
          from rfm_cell s where true",
    );
    push_filter(&mut cells, &CELLS, scope.as_deref(), &filter);
    cells.push(" group by 1, 2, 3 having sum(s.customers) <> 0");

    let mut top = QueryBuilder::<Postgres>::new(
        "select c.id, c.name, u.display_name as owner_name, c.total_spend_minor, c.order_count,
                c.last_order_at, s.r, s.f, s.m, t.id as tier_id, t.name_zh as tier_zh,
                t.name_en as tier_en
         from customer c
         left join customer_score s on s.customer_id = c.id
         left join app_user u on u.id = c.owner_id
         left join tier t on t.id = ",
    );
    top.push(in_force("s"));
    top.push(" where c.deleted_at is null and c.total_spend_minor > 0");
    push_filter(&mut top, &GRADED, scope.as_deref(), &filter);
    top.push(" order by c.total_spend_minor desc, c.id desc limit ").push_bind(TOP_CUSTOMERS);

    let (rows, top, settings, tiers): (Vec<CellRow>, Vec<TopRow>, _, Vec<TierRow>) = tokio::try_join!(
        async { Ok::<_, AppError>(cells.build_query_as().fetch_all(pool).await?) },
        async { Ok(top.build_query_as().fetch_all(pool).await?) },
        crate::tiers::service::settings(pool),
        async {
            Ok(sqlx::query_as("select id, name_zh, name_en, color from tier order by position")
                .fetch_all(pool)
                .await?)
        },
    )?;

    let mut grid: Vec<RfmCell> = vec![];
    for row in &rows {
        match grid.iter_mut().find(|c| c.r == row.r && c.f == row.f) {
            Some(cell) => {
                cell.customers += row.customers;
                cell.m_total += row.m_total;
                cell.monetary_minor += row.monetary_minor;
            }
            None => grid.push(RfmCell {
                r: row.r,
                f: row.f,
                customers: row.customers,
                m_total: row.m_total,
                monetary_minor: row.monetary_minor,
            }),
        }
    }
    grid.sort_by_key(|c| (std::cmp::Reverse(c.r), std::cmp::Reverse(c.f)));

    // Tiers in their order, then customers whose tier no longer exists or who have none.
    let sum_of = |pick: &dyn Fn(&CellRow) -> bool| {
        rows.iter()
            .filter(|r| pick(r))
            .fold((0, 0), |(n, m), r| (n + r.customers, m + r.monetary_minor))
    };
    let mut by_tier: Vec<TierRevenue> = tiers
        .into_iter()
        .filter_map(|t| {
            let (customers, monetary_minor) = sum_of(&|r| r.tier_id == Some(t.id));
            (customers != 0).then_some(TierRevenue {
                tier: Some(TierName { id: t.id, name_zh: t.name_zh, name_en: t.name_en }),
                color: t.color,
                customers,
                monetary_minor,
            })
        })
        .collect();
    let named: Vec<i64> = by_tier.iter().filter_map(|t| t.tier.as_ref().map(|t| t.id)).collect();
    let (customers, monetary_minor) = sum_of(&|r| r.tier_id.is_none_or(|id| !named.contains(&id)));
    if customers != 0 {
        by_tier.push(TierRevenue { tier: None, color: None, customers, monetary_minor });
    }

    Ok(ValueReport {
        window_days: settings.window_days,
        customers: grid.iter().map(|c| c.customers).sum(),
        monetary_minor: grid.iter().map(|c| c.monetary_minor).sum(),
        cells: grid,
        tiers: by_tier,
        top: top
            .into_iter()
            .map(|r| TopCustomer {
                id: r.id,
                name: r.name,
                owner_name: r.owner_name,
                tier: TierName::of(r.tier_id, r.tier_zh, r.tier_en),
                total_spend_minor: r.total_spend_minor,
                order_count: r.order_count,
                last_order_at: r.last_order_at,
                scores: r.r.zip(r.f).zip(r.m).map(|((r, f), m)| (r, f, m)),
            })
            .collect(),
    })
}

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: i64,
    name: String,
    owner_name: Option<String>,
    region: Option<String>,
    r: i16,
    f: i16,
    m: i16,
    monetary_minor: i64,
    tier_id: Option<i64>,
    tier_zh: Option<String>,
    tier_en: Option<String>,
}

/// The graded customers behind a figure, by id, `limit` a page.
pub async fn value_customers(
    pool: &PgPool,
    caller: &Authenticated,
    filter: &ValueFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Page<ValueCustomer, i64>, AppError> {
    let scope = caller.scope.visible_owners();
    let mut sql = QueryBuilder::<Postgres>::new(
        "select c.id, c.name, u.display_name as owner_name, c.region, s.r, s.f, s.m,
                s.monetary_minor, t.id as tier_id, t.name_zh as tier_zh, t.name_en as tier_en
         from customer_score s
         join customer c on c.id = s.customer_id
         left join app_user u on u.id = c.owner_id
         left join tier t on t.id = ",
    );
    sql.push(in_force("s"));
    sql.push(" where c.deleted_at is null");
    if let Some(r) = filter.r {
        sql.push(" and s.r = ").push_bind(r);
    }
    if let Some(f) = filter.f {
        sql.push(" and s.f = ").push_bind(f);
    }
    push_filter(&mut sql, &GRADED, scope.as_deref(), &filter.query.narrowing.as_filter());
    if let Some(after) = after {
        sql.push(" and s.customer_id > ").push_bind(after);
    }
    sql.push(" order by s.customer_id limit ").push_bind(limit + 1);
    let rows: Vec<CustomerRow> = sql.build_query_as().fetch_all(pool).await?;
    let customers = rows
        .into_iter()
        .map(|r| ValueCustomer {
            id: r.id,
            name: r.name,
            owner_name: r.owner_name,
            region: r.region,
            tier: TierName::of(r.tier_id, r.tier_zh, r.tier_en),
            r: r.r,
            f: r.f,
            m: r.m,
            monetary_minor: r.monetary_minor,
        })
        .collect();
    Ok(Page::from_overfetch(customers, limit, |c| c.id))
}
