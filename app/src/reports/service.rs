//! The sales report's reads: sums over the daily summary (`sales_day`, kept by triggers in the
//! transaction of every order and customer write), never over the orders themselves; and the
//! orders behind a figure, newest first through `sales_order_ordered_idx`.
//!
//! Every statement is limited to the caller's data scope (the owners they may see), and a
//! filter only narrows it: asking for another member's sales finds nothing.

use super::model::{
    BarKey, FilterChoices, Grouping, LostReason, MAX_DAY_BARS, Narrowing, OrderCursor,
    REASONS_LISTED, ReportOrder, SalesBar, SalesFigures, SalesFilter, SalesQuery, SalesReport,
    compared_range,
};
use crate::{
    auth::server::Authenticated,
    error::{AppError, FieldError, FieldErrors},
    orders::model::Channel,
    paging::Page,
};
use chrono::{Datelike, NaiveDate};
use sqlx::{PgPool, Postgres, QueryBuilder};
use std::collections::HashMap;

/// Today in the company's time zone.
pub(crate) async fn company_today(pool: &PgPool) -> Result<NaiveDate, AppError> {
    Ok(crate::clock::today(crate::clock::time_zone(pool).await?))
}

/// The company days `filter` covers, counted from today in the company's zone.
///
/// Errors: `Validation` (`to`: reversed or too long a range).
pub(crate) async fn days_of(
    pool: &PgPool,
    filter: &SalesFilter,
) -> Result<(NaiveDate, NaiveDate), AppError> {
    filter.range(company_today(pool).await?).map_err(AppError::Validation)
}

/// Where a statement finds what a filter narrows by: the summary's columns, or the orders'
/// and their customers'.
pub(crate) struct FilterColumns {
    owner: &'static str,
    region: &'static str,
    /// None where rows have no channel (deals): a channel in the filter is then ignored.
    channel: Option<&'static str>,
    /// How rows name products, where they do: a product or category in the filter is ignored
    /// elsewhere.
    products: Option<ProductColumn>,
    /// Where rows have a value tier: a tier in the filter is ignored elsewhere (`sales_day`,
    /// `cohort_month` and the product summaries have none: the sales and cohort reports read
    /// `sales_tier_day` and `cohort_tier_month` when narrowed to a tier, and products refuse one).
    tier: Option<TierColumn>,
}

/// Where a statement finds the tier a customer is in now.
#[derive(Clone, Copy)]
pub(crate) enum TierColumn {
    /// A row with the tier columns of `customer_score` (a score, or an `rfm_cell`), by alias;
    /// null columns (no score joined) are in no tier.
    Scored(&'static str),
    /// The row's customer id: its score is looked up by its key.
    Customer(&'static str),
}

/// The tier in force of the row `alias` (a score or a cell): `tier_in_force()`, which the
/// planner inlines.
pub(crate) fn in_force(alias: &str) -> String {
    format!(
        "tier_in_force({alias}.computed_tier_id, {alias}.override_tier_id, {alias}.override_until)"
    )
}

/// Where a statement finds the products a filter narrows to.
#[derive(Clone, Copy)]
enum ProductColumn {
    /// The row is one product's (`s.product_id` of `product_day`).
    Summary,
    /// The row is an order `o`, which holds the product in one of its lines.
    OrderLines,
}

/// The daily sales summary `sales_day` aliased `s`, or the cohorts' `cohort_month`.
pub(crate) const SUMMARY: FilterColumns = FilterColumns {
    owner: "s.owner_id",
    region: "s.region",
    channel: Some("s.channel"),
    products: None,
    tier: None,
};
/// The summaries with tiers `sales_tier_day` and `cohort_tier_month` aliased `s`.
pub(crate) const TIER_SUMMARY: FilterColumns =
    FilterColumns { tier: Some(TierColumn::Scored("s")), ..SUMMARY };
/// The daily product summary `product_day` aliased `s`.
pub(crate) const PRODUCT_SUMMARY: FilterColumns =
    FilterColumns { products: Some(ProductColumn::Summary), ..SUMMARY };
/// Orders `o` and their customers `c`.
pub(crate) const ORDERS: FilterColumns = FilterColumns {
    owner: "c.owner_id",
    region: "coalesce(c.region, '')",
    channel: Some("o.channel"),
    products: Some(ProductColumn::OrderLines),
    tier: Some(TierColumn::Customer("c.id")),
};
/// Opportunities `o` (owned by their rep) and their customers `c`.
pub(crate) const DEALS: FilterColumns = FilterColumns {
    owner: "o.owner_id",
    region: "coalesce(c.region, '')",
    channel: None,
    products: None,
    tier: Some(TierColumn::Customer("c.id")),
};
/// Customers `c`: their owner, region and tier.
pub(crate) const CUSTOMERS: FilterColumns = FilterColumns { owner: "c.owner_id", ..DEALS };
/// Customers `c` with their score `s` joined: its tier columns answer the tier.
pub(crate) const GRADED: FilterColumns =
    FilterColumns { tier: Some(TierColumn::Scored("s")), ..CUSTOMERS };
/// Customers `c` where the tier a customer is in now does not narrow (tier moves, timelines).
pub(crate) const CUSTOMERS_ANY_TIER: FilterColumns = FilterColumns { tier: None, ..CUSTOMERS };
/// The graded customers' summary `rfm_cell` aliased `s`, which carries the tier columns.
pub(crate) const CELLS: FilterColumns = FilterColumns {
    owner: "s.owner_id",
    region: "coalesce(s.region, '')",
    tier: Some(TierColumn::Scored("s")),
    ..DEALS
};
/// Leads `l`: their owner, and the region written on the lead.
pub(crate) const LEADS: FilterColumns =
    FilterColumns { owner: "l.owner_id", region: "coalesce(l.region, '')", tier: None, ..DEALS };

/// ` and <column> = <product> and <column> in <category's products>`, as the filter asks.
fn push_products(query: &mut QueryBuilder<'_, Postgres>, column: &str, filter: &SalesFilter) {
    if let Some(product) = filter.product {
        query.push(format!(" and {column} = ")).push_bind(product);
    }
    if let Some(category) = &filter.category {
        query
            .push(format!(
                " and {column} in (select id from product where coalesce(category, '') = "
            ))
            .push_bind(category.clone())
            .push(")");
    }
}

/// ` and <column> within company days from..=to`: from the first day's midnight in the
/// company's zone to the midnight after the last day, so an index on `column` serves it.
pub(crate) fn push_days(
    sql: &mut QueryBuilder<'_, Postgres>,
    column: &str,
    (from, to): (NaiveDate, NaiveDate),
) {
    sql.push(format!(" and {column} >= "))
        .push_bind(from)
        .push(format!("::timestamp at time zone company_time_zone() and {column} < ("))
        .push_bind(to)
        .push("::date + 1)::timestamp at time zone company_time_zone()");
}

/// ` and (<at>, <id>) < (after)`: the rest of a list ordered newest first, after a page's last
/// row.
pub(crate) fn push_after(
    sql: &mut QueryBuilder<'_, Postgres>,
    (at_column, id_column): (&str, &str),
    after: Option<(chrono::DateTime<chrono::Utc>, i64)>,
) {
    if let Some((at, id)) = after {
        sql.push(format!(" and ({at_column}, {id_column}) < ("))
            .push_bind(at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
}

/// The caller's scope and the filter's owner, team, region, channel, products and tier, as
/// `and ...` conditions: the same narrowing for the report's figures and for the rows behind
/// them.
pub(crate) fn push_filter(
    query: &mut QueryBuilder<'_, Postgres>,
    columns: &FilterColumns,
    scope: Option<&[i64]>,
    filter: &SalesFilter,
) {
    let owner = columns.owner;
    if let Some(scope) = scope {
        query.push(format!(" and {owner} = any(")).push_bind(scope.to_vec()).push(")");
    }
    match filter.owner {
        Some(0) => {
            query.push(format!(" and {owner} is null"));
        }
        Some(id) => {
            query.push(format!(" and {owner} = ")).push_bind(id);
        }
        None => {}
    }
    match filter.team {
        // No team: owners outside every team, and customers without an owner.
        Some(0) => {
            query.push(format!(
                " and ({owner} is null or {owner} in (select id from app_user where team_id is null))"
            ));
        }
        Some(team) => {
            query
                .push(format!(" and {owner} in (select id from app_user where team_id = "))
                .push_bind(team)
                .push(")");
        }
        None => {}
    }
    if let Some(region) = &filter.region {
        query.push(format!(" and {} = ", columns.region)).push_bind(region.clone());
    }
    if let (Some(channel), Some(column)) = (filter.channel, columns.channel) {
        query.push(format!(" and {column} = ")).push_bind(channel.as_str());
    }
    match columns.products {
        Some(ProductColumn::Summary) => push_products(query, "s.product_id", filter),
        Some(ProductColumn::OrderLines) if filter.names_products() => {
            query.push(" and exists (select 1 from order_line l where l.order_id = o.id");
            push_products(query, "l.product_id", filter);
            query.push(")");
        }
        _ => {}
    }
    let Some((tier, column)) = filter.tier.zip(columns.tier) else { return };
    // 0: in no tier (a customer without a score is in none). On a row with the tier columns,
    // `tier_in_force()`'s rule is spelled out over the columns: the planner estimates a condition
    // on a CASE expression at 0.5% of the rows whatever it is, and planned a year of
    // `cohort_tier_month` (250,000 rows) as 500 rows, sorting them on disk rather than hashing.
    let today = "(now() at time zone company_time_zone())::date";
    match (column, tier) {
        (TierColumn::Scored(alias), 0) => {
            query.push(format!(
                " and {alias}.computed_tier_id is null \
                 and ({alias}.override_tier_id is null or {alias}.override_until < {today})"
            ));
        }
        (TierColumn::Scored(alias), tier) => {
            query
                .push(format!(" and (({alias}.override_tier_id = "))
                .push_bind(tier)
                .push(format!(
                    " and ({alias}.override_until is null or {alias}.override_until >= {today})) \
                     or ({alias}.computed_tier_id = "
                ))
                .push_bind(tier)
                .push(format!(
                    " and ({alias}.override_tier_id is null or {alias}.override_until < {today})))"
                ));
        }
        (TierColumn::Customer(id), 0) => {
            query.push(format!(
                " and not exists (select 1 from customer_score ts where ts.customer_id = {id} \
                 and {} is not null)",
                in_force("ts")
            ));
        }
        (TierColumn::Customer(id), tier) => {
            query
                .push(format!(
                    " and exists (select 1 from customer_score ts where ts.customer_id = {id} \
                     and {} = ",
                    in_force("ts")
                ))
                .push_bind(tier)
                .push(")");
        }
    }
}

#[derive(sqlx::FromRow)]
struct Summed {
    day: Option<NaiveDate>,
    id: Option<i64>,
    name: Option<String>,
    text: Option<String>,
    /// A product's SKU.
    code: Option<String>,
    orders: i64,
    revenue_minor: i64,
    units: i64,
}

/// The summary's sums over `range`, one row per group of `grouping`: `product_day`'s where
/// the report is of products (grouped by or narrowed to them), `sales_tier_day`'s where it is
/// narrowed to a tier, `sales_day`'s otherwise.
async fn summed(
    pool: &PgPool,
    scope: Option<&[i64]>,
    query: &SalesQuery,
    range: (NaiveDate, NaiveDate),
) -> Result<Vec<Summed>, AppError> {
    let (filter, grouping) = (&query.filter, query.grouping);
    // Periods group by their first day (`date_trunc` weeks start on Monday too); categories by
    // an id and name (owners, teams, products) or a text (regions, channels, categories).
    let (day, id, name, text, join) = match grouping {
        Grouping::Day => ("s.day", "null::bigint", "null::text", "null::text", ""),
        Grouping::Week => ("date_trunc('week', s.day)::date", "null", "null", "null", ""),
        Grouping::Month => ("date_trunc('month', s.day)::date", "null", "null", "null", ""),
        Grouping::Quarter => ("date_trunc('quarter', s.day)::date", "null", "null", "null", ""),
        Grouping::Owner => (
            "null::date",
            "s.owner_id",
            "u.display_name",
            "null",
            " left join app_user u on u.id = s.owner_id",
        ),
        Grouping::Team => (
            "null::date",
            "t.id",
            "t.name",
            "null",
            " left join app_user u on u.id = s.owner_id left join team t on t.id = u.team_id",
        ),
        Grouping::Region => ("null::date", "null", "null", "s.region", ""),
        Grouping::Channel => ("null::date", "null", "null", "s.channel", ""),
        Grouping::Product => {
            ("null::date", "p.id", "p.name", "p.sku", " join product p on p.id = s.product_id")
        }
        Grouping::Category => (
            "null::date",
            "null",
            "null",
            "coalesce(p.category, '')",
            " join product p on p.id = s.product_id",
        ),
    };
    let products = query.by_product();
    let tiered = filter.tier.is_some();
    let (units, columns) = match (products, tiered) {
        (true, _) => ("sum(s.units)", &PRODUCT_SUMMARY),
        (false, true) => ("0", &TIER_SUMMARY),
        (false, false) => ("0", &SUMMARY),
    };
    let code = if grouping == Grouping::Product { "p.sku" } else { "null" };
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "select {day} as day, {id}::bigint as id, {name}::text as name, {text}::text as text,
                {code}::text as code, sum(s.orders)::bigint as orders,
                sum(s.revenue_minor)::bigint as revenue_minor, {units}::bigint as units
         from "
    ));
    // Products by month or coarser read the range's whole months from `product_month` and
    // only the days of its partial months from `product_day` (a year at a million customers:
    // 200,000 rows, not 1.5 M).
    let months = whole_months(range).filter(|_| grouping_by_month(grouping));
    match (products, months) {
        (true, Some((first, last))) => {
            query
                .push(
                    "(select m.month as day, m.product_id, m.owner_id, m.region, m.channel,
                             m.orders, m.units, m.revenue_minor
                      from product_month m where m.month between ",
                )
                .push_bind(first)
                .push(" and ")
                .push_bind(last);
            // Each partial month's days as a range of its own, so each is one index range
            // (one condition around the whole range read all of its days).
            let after_last = last.checked_add_months(chrono::Months::new(1)).unwrap_or(last);
            let edges = [(range.0, first.pred_opt()), (after_last, Some(range.1))];
            for (from, to) in edges {
                let Some(to) = to.filter(|to| *to >= from) else { continue };
                query
                    .push(
                        " union all
                          select d.day, d.product_id, d.owner_id, d.region, d.channel, d.orders,
                                 d.units, d.revenue_minor
                          from product_day d where d.day between ",
                    )
                    .push_bind(from)
                    .push(" and ")
                    .push_bind(to);
            }
            query.push(") s");
        }
        (true, None) => {
            query.push("product_day s");
        }
        (false, _) => {
            query.push(if tiered { "sales_tier_day s" } else { "sales_day s" });
        }
    }
    query
        .push(join)
        .push(" where s.day between ")
        .push_bind(range.0)
        .push(" and ")
        .push_bind(range.1);
    push_filter(&mut query, columns, scope, filter);
    query.push(" group by 1, 2, 3, 4, 5 having sum(s.orders) <> 0 or sum(s.revenue_minor) <> 0");
    Ok(query.build_query_as::<Summed>().fetch_all(pool).await?)
}

/// Whether a grouping's periods are made of whole months (or it has no periods at all).
fn grouping_by_month(grouping: Grouping) -> bool {
    !matches!(grouping, Grouping::Day | Grouping::Week)
}

/// The first days of the first and last months that lie wholly within `from..=to`, if any.
fn whole_months((from, to): (NaiveDate, NaiveDate)) -> Option<(NaiveDate, NaiveDate)> {
    let start = |day: NaiveDate| day.with_day(1).unwrap_or(day);
    let next = |month: NaiveDate| month.checked_add_months(chrono::Months::new(1));
    let first = if from.day() == 1 { from } else { next(start(from))? };
    let after_last = next(start(to))?;
    let last = if after_last - chrono::Duration::days(1) == to {
        start(to)
    } else {
        start(to).checked_sub_months(chrono::Months::new(1))?
    };
    (first <= last).then_some((first, last))
}

fn figures(row: &Summed) -> SalesFigures {
    SalesFigures { orders: row.orders, revenue_minor: row.revenue_minor, units: row.units }
}

fn total(rows: &[Summed]) -> SalesFigures {
    rows.iter().fold(SalesFigures::default(), |sum, row| SalesFigures {
        orders: sum.orders + row.orders,
        revenue_minor: sum.revenue_minor + row.revenue_minor,
        units: sum.units + row.units,
    })
}

/// A categorical row's key, and the drill-down filter that narrows to it.
fn category(grouping: Grouping, row: &Summed, filter: &SalesFilter) -> (BarKey, SalesFilter) {
    let mut drill = filter.clone();
    let key = match grouping {
        Grouping::Owner => {
            drill.owner = Some(row.id.unwrap_or(0));
            BarKey::Owner(row.id, row.name.clone())
        }
        Grouping::Team => {
            drill.team = Some(row.id.unwrap_or(0));
            BarKey::Team(row.id, row.name.clone())
        }
        Grouping::Region => {
            let region = row.text.clone().unwrap_or_default();
            drill.region = Some(region.clone());
            BarKey::Region(region)
        }
        Grouping::Product => {
            let id = row.id.unwrap_or(0);
            drill.product = Some(id);
            BarKey::Product(
                id,
                row.code.clone().unwrap_or_default(),
                row.name.clone().unwrap_or_default(),
            )
        }
        Grouping::Category => {
            let category = row.text.clone().unwrap_or_default();
            drill.category = Some(category.clone());
            BarKey::Category(category)
        }
        _ => {
            let channel =
                row.text.as_deref().and_then(|c| Channel::parse(c).ok()).unwrap_or_default();
            drill.channel = Some(channel);
            BarKey::Channel(channel)
        }
    };
    (key, drill)
}

/// The sales report the caller asked for, within their data scope.
pub async fn sales_report(
    pool: &PgPool,
    caller: &Authenticated,
    query: &SalesQuery,
) -> Result<SalesReport, AppError> {
    let (from, to) = days_of(pool, &query.filter).await?;
    if query.filter.tier.is_some() && query.by_product() {
        return Err(AppError::validation("tier", FieldError::TierWithProducts));
    }
    if query.grouping == Grouping::Day && (to - from).num_days() >= MAX_DAY_BARS {
        return Err(AppError::Validation(FieldErrors::single(
            "by",
            FieldError::OutOfRange { min: 1, max: MAX_DAY_BARS },
        )));
    }
    let scope = caller.scope.visible_owners();
    let scope = scope.as_deref();
    let filter = &query.filter;
    let compared = compared_range(query.comparison, from, to);
    let (rows, compared_rows, product) = tokio::try_join!(
        summed(pool, scope, query, (from, to)),
        async {
            match compared {
                Some(range) => summed(pool, scope, query, range).await.map(Some),
                None => Ok(None),
            }
        },
        async {
            let Some(id) = filter.product else { return Ok::<_, AppError>(None) };
            let named: Option<(String, String)> =
                sqlx::query_as("select sku, name from product where id = $1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
            Ok(named)
        },
    )?;

    let bars = if query.grouping.is_period() {
        // Every period of the range, empty ones too, each drilling into its days in the range.
        let by_start: HashMap<NaiveDate, SalesFigures> =
            rows.iter().filter_map(|r| Some((r.day?, figures(r)))).collect();
        let mut bars = vec![];
        let mut start = query.grouping.period_start(from);
        while start <= to {
            let next = query.grouping.next_period(start);
            let drill = SalesFilter {
                from: Some(start.max(from)),
                to: Some((next - chrono::Duration::days(1)).min(to)),
                ..filter.clone()
            };
            bars.push(SalesBar {
                key: BarKey::Period(start),
                figures: by_start.get(&start).copied().unwrap_or_default(),
                compared: None,
                drill,
            });
            start = next;
        }
        bars
    } else {
        let before: HashMap<BarKey, SalesFigures> = compared_rows
            .iter()
            .flatten()
            .map(|r| (category(query.grouping, r, filter).0, figures(r)))
            .collect();
        let mut bars: Vec<SalesBar> = rows
            .iter()
            .map(|r| {
                let (key, drill) = category(query.grouping, r, filter);
                let compared =
                    compared_rows.as_ref().map(|_| before.get(&key).copied().unwrap_or_default());
                SalesBar {
                    drill: SalesFilter { from: Some(from), to: Some(to), ..drill },
                    key,
                    figures: figures(r),
                    compared,
                }
            })
            .collect();
        // Largest first, then by name, so the order does not change between two loads.
        bars.sort_by_cached_key(|b| {
            (std::cmp::Reverse(b.figures.revenue_minor), format!("{:?}", b.key))
        });
        bars
    };
    Ok(SalesReport {
        from,
        to,
        grouping: query.grouping,
        by_product: query.by_product(),
        product,
        compared_range: compared,
        total: total(&rows),
        compared_total: compared_rows.as_deref().map(total),
        bars,
    })
}

/// The owners and teams the caller may filter by (those in their scope), and the company's
/// regions.
pub async fn filter_choices(
    pool: &PgPool,
    caller: &Authenticated,
) -> Result<FilterChoices, AppError> {
    let scope = caller.scope.visible_owners();
    let owners: Vec<(i64, String)> = sqlx::query_as(
        "select id, display_name from app_user
         where $1::bigint[] is null or id = any($1)
         order by display_name, id",
    )
    .bind(scope.as_deref())
    .fetch_all(pool)
    .await?;
    let teams: Vec<(i64, String)> = sqlx::query_as(
        "select t.id, t.name from team t
         where $1::bigint[] is null
            or exists (select 1 from app_user u where u.team_id = t.id and u.id = any($1))
         order by t.name, t.id",
    )
    .bind(scope.as_deref())
    .fetch_all(pool)
    .await?;
    // Distinct regions by skipping through the customers' region index, one probe per region
    // (reading a million customers or the whole summary took 50 ms and more).
    let regions: Vec<String> = sqlx::query_scalar(
        "with recursive found (region) as (
             (select region from customer where deleted_at is null and region is not null
              order by region, id limit 1)
             union all
             select (select c.region from customer c
                     where c.deleted_at is null and c.region > found.region
                     order by c.region, c.id limit 1)
             from found where found.region is not null)
         select region from found where region is not null and region <> '' limit 200",
    )
    .fetch_all(pool)
    .await?;
    let categories: Vec<String> = sqlx::query_scalar(
        "select distinct category from product where category is not null and category <> ''
         order by 1 limit 200",
    )
    .fetch_all(pool)
    .await?;
    let tiers = crate::tiers::service::tiers(pool).await?.into_iter().map(|(t, _)| t).collect();
    Ok(FilterChoices { owners, sees_unowned: scope.is_none(), teams, regions, categories, tiers })
}

/// The names of the rep, team and tier `narrowing` picks, where the caller may see them (`None`
/// otherwise, and for "none" or no pick): one statement, for a report file's heading.
pub async fn narrowing_names(
    pool: &PgPool,
    caller: &Authenticated,
    narrowing: &Narrowing,
) -> Result<NarrowingNames, AppError> {
    let picked = |id: Option<i64>| id.filter(|id| *id > 0);
    let (owner, team, tier) =
        (picked(narrowing.owner), picked(narrowing.team), picked(narrowing.tier));
    if owner.is_none() && team.is_none() && tier.is_none() {
        return Ok(NarrowingNames::default());
    }
    let scope = caller.scope.visible_owners();
    // Tier names are the company's settings, which every user reads: not scoped.
    Ok(sqlx::query_as(
        "select (select display_name from app_user
                 where id = $1 and ($3::bigint[] is null or id = any($3))) as owner,
                (select t.name from team t
                 where t.id = $2 and ($3::bigint[] is null
                    or exists (select 1 from app_user u where u.team_id = t.id and u.id = any($3))))
                  as team,
                (select name_zh from tier where id = $4) as tier_zh,
                (select name_en from tier where id = $4) as tier_en",
    )
    .bind(owner)
    .bind(team)
    .bind(scope.as_deref())
    .bind(tier)
    .fetch_one(pool)
    .await?)
}

/// The names behind a narrowing's ids (none where the caller may not see them).
#[derive(Debug, Default, sqlx::FromRow)]
pub struct NarrowingNames {
    pub owner: Option<String>,
    pub team: Option<String>,
    pub tier_zh: Option<String>,
    pub tier_en: Option<String>,
}

/// The orders a figure of the report counts, newest first, `limit` at a time after `after`.
pub async fn report_orders(
    pool: &PgPool,
    caller: &Authenticated,
    filter: &SalesFilter,
    after: Option<OrderCursor>,
    limit: i64,
) -> Result<Page<ReportOrder, OrderCursor>, AppError> {
    let scope = caller.scope.visible_owners();
    let days = days_of(pool, filter).await?;
    orders_in_scope(pool, scope.as_deref(), filter, days, after, limit).await
}

/// The orders behind a figure placed on company days `days` (the filter's, resolved once, so
/// the pages of one export cover the same days even across midnight), for whoever may see the
/// owners in `scope` (everyone's when `None`): the page's list and its export.
pub async fn orders_in_scope(
    pool: &PgPool,
    scope: Option<&[i64]>,
    filter: &SalesFilter,
    days: (NaiveDate, NaiveDate),
    after: Option<OrderCursor>,
    limit: i64,
) -> Result<Page<ReportOrder, OrderCursor>, AppError> {
    // Narrowed to some products, an order counts for their lines only, as in `product_day`.
    let mut query =
        QueryBuilder::<Postgres>::new("select o.id, o.order_no, o.ordered_at, o.channel, ");
    if filter.names_products() {
        query.push(
            "(select coalesce(sum(order_line_net(l.line_total_minor, o.total_minor,
                                                 o.refunded_minor)), 0)
              from order_line l where l.order_id = o.id",
        );
        push_products(&mut query, "l.product_id", filter);
        query.push(")::bigint");
    } else {
        query.push("o.total_minor - o.refunded_minor");
    }
    query.push(
        " as net_minor,
                o.currency, c.id as customer_id, c.name as customer_name,
                u.display_name as owner_name, c.region
         from sales_order o
         join customer c on c.id = o.customer_id
         left join app_user u on u.id = c.owner_id
         where o.status = 'placed' and c.deleted_at is null",
    );
    push_days(&mut query, "o.ordered_at", days);
    push_filter(&mut query, &ORDERS, scope, filter);
    push_after(&mut query, ("o.ordered_at", "o.id"), after.map(|a| (a.at, a.id)));
    query.push(" order by o.ordered_at desc, o.id desc limit ").push_bind(limit + 1);

    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        order_no: String,
        ordered_at: chrono::DateTime<chrono::Utc>,
        channel: String,
        net_minor: i64,
        currency: String,
        customer_id: i64,
        customer_name: String,
        owner_name: Option<String>,
        region: Option<String>,
    }
    let rows: Vec<Row> = query.build_query_as().fetch_all(pool).await?;
    let orders = rows
        .into_iter()
        .map(|r| {
            Ok(ReportOrder {
                id: r.id,
                order_no: r.order_no,
                ordered_at: r.ordered_at,
                channel: Channel::parse(&r.channel)
                    .map_err(|_| AppError::internal("unknown order channel"))?,
                net_minor: r.net_minor,
                currency: r.currency,
                customer_id: r.customer_id,
                customer_name: r.customer_name,
                owner_name: r.owner_name,
                region: r.region,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(Page::from_overfetch(orders, limit, |o| OrderCursor { at: o.ordered_at, id: o.id }))
}

/// The most frequent reasons one by one, and the rest summed as one row.
pub(crate) fn listed_reasons(rows: Vec<(String, i64, i64)>) -> Vec<LostReason> {
    let mut listed: Vec<LostReason> = Vec::new();
    let mut other: Option<LostReason> = None;
    for (n, (reason, count, amount_minor)) in rows.into_iter().enumerate() {
        if n < REASONS_LISTED {
            listed.push(LostReason { reason: Some(reason), count, amount_minor });
        } else {
            let rest = other.get_or_insert(LostReason { reason: None, count: 0, amount_minor: 0 });
            rest.count += count;
            rest.amount_minor += amount_minor;
        }
    }
    listed.extend(other);
    listed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn whole_months_are_those_inside_the_range() {
        assert_eq!(
            whole_months((day(2026, 1, 15), day(2026, 12, 10))),
            Some((day(2026, 2, 1), day(2026, 11, 1)))
        );
        assert_eq!(
            whole_months((day(2026, 1, 1), day(2026, 1, 31))),
            Some((day(2026, 1, 1), day(2026, 1, 1)))
        );
        assert_eq!(whole_months((day(2026, 1, 2), day(2026, 1, 31))), None);
        assert_eq!(whole_months((day(2026, 1, 1), day(2026, 1, 30))), None);
        assert_eq!(whole_months((day(2026, 1, 20), day(2026, 2, 10))), None);
        // Across a year end, and February's last day.
        assert_eq!(
            whole_months((day(2025, 12, 1), day(2026, 2, 28))),
            Some((day(2025, 12, 1), day(2026, 2, 1)))
        );
    }
}
