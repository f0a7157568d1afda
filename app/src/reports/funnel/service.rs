//! The funnel's reads: the leads created on a range of company days, within the caller's scope
//! (by the lead's owner) and the narrowing, followed to their opportunities and the orders of
//! the customers they became, counted by source and in all in one statement.

use super::model::{
    FunnelCounts, FunnelLead, FunnelLeadCursor, FunnelLeadFilter, FunnelQuery, FunnelReport,
    FunnelStep, SourceFunnel,
};
use crate::{
    auth::server::Authenticated,
    error::AppError,
    leads::model::{LeadSource, LeadStatus},
    paging::Page,
    reports::{
        model::{Compared, compared_range},
        service::{LEADS, days_of, push_after, push_days, push_filter},
    },
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

/// `from ... where ...` of the leads `query` follows, created on company days `days`, within
/// `scope`: each with its opportunity `o` (if converted and not deleted), that deal's stage
/// `st` and the lead's owner `u`.
fn push_cohort(
    sql: &mut QueryBuilder<'_, Postgres>,
    scope: Option<&[i64]>,
    query: &FunnelQuery,
    days: (NaiveDate, NaiveDate),
) {
    sql.push(
        " from lead l
          left join opportunity o on o.id = l.opportunity_id and o.deleted_at is null
          left join pipeline_stage st on st.id = o.stage_id
          left join app_user u on u.id = l.owner_id
          where l.deleted_at is null",
    );
    push_days(sql, "l.created_at", days);
    push_filter(sql, &LEADS, scope, &query.narrowing.as_filter());
    if let Some(source) = query.source {
        sql.push(" and l.source = ").push_bind(source.as_str());
    }
}

/// `and ...`: the leads of the cohort that reached `step`.
fn push_step(sql: &mut QueryBuilder<'_, Postgres>, step: FunnelStep) {
    sql.push(match step {
        FunnelStep::Created => "",
        FunnelStep::Contacted => " and l.first_contacted_at is not null",
        FunnelStep::Converted => " and l.opportunity_id is not null",
        FunnelStep::Won => " and st.kind = 'won'",
        FunnelStep::Disqualified => " and l.status = 'disqualified'",
    });
}

#[derive(sqlx::FromRow)]
struct Counted {
    /// 1 on the row over every source, 0 on a source's.
    total_row: i32,
    source: Option<String>,
    created: i64,
    contacted: i64,
    converted: i64,
    won: i64,
    disqualified: i64,
    won_amount: i64,
    days_to_contact: Option<f64>,
    days_to_convert: Option<f64>,
    days_to_win: Option<f64>,
    days_lead_to_win: Option<f64>,
    orders: i64,
    revenue: i64,
}

impl Counted {
    fn counts(&self) -> FunnelCounts {
        FunnelCounts {
            created: self.created,
            contacted: self.contacted,
            converted: self.converted,
            won: self.won,
            disqualified: self.disqualified,
            won_amount_minor: self.won_amount,
            days_to_contact: self.days_to_contact,
            days_to_convert: self.days_to_convert,
            days_to_win: self.days_to_win,
            days_lead_to_win: self.days_lead_to_win,
            orders: self.orders,
            revenue_minor: self.revenue,
        }
    }
}

/// Days between two instants, for the medians.
const DAYS: &str = "::float8 / 86400";

/// The leads created in the range, step by step, in all and by source, within the caller's
/// scope.
///
/// Revenue: the placed orders (less refunds) of each converted lead's customer from the moment
/// it converted, each order counted once, for the latest lead that customer converted from
/// before the order (a customer who came back through a second lead brings the later orders to
/// that lead's source).
///
/// With a comparison, the same counts in all for the leads created over the compared range.
///
/// Errors: `Validation` (`to`: reversed or too long a range).
pub async fn funnel_report(
    pool: &PgPool,
    caller: &Authenticated,
    query: &FunnelQuery,
) -> Result<FunnelReport, AppError> {
    let (from, to) = days_of(pool, &query.as_filter()).await?;
    let scope = caller.scope.visible_owners();
    let compared_days = compared_range(query.comparison, from, to);
    let (rows, compared_rows) =
        tokio::try_join!(counted(pool, scope.as_deref(), query, (from, to)), async {
            match compared_days {
                Some(days) => counted(pool, scope.as_deref(), query, days).await.map(Some),
                None => Ok(None),
            }
        },)?;
    let compared = compared_days.zip(compared_rows).map(|((from, to), rows)| Compared {
        from,
        to,
        figures: rows.iter().find(|r| r.total_row == 1).map(Counted::counts).unwrap_or_default(),
    });
    let mut total = FunnelCounts::default();
    let mut sources = Vec::new();
    for row in rows {
        if row.total_row == 1 {
            total = row.counts();
        } else if let Some(source) = row.source.as_deref().and_then(|s| LeadSource::parse(s).ok()) {
            sources.push(SourceFunnel { source, counts: row.counts() });
        }
    }
    sources.sort_by(|a, b| {
        (b.counts.revenue_minor, b.counts.created).cmp(&(a.counts.revenue_minor, a.counts.created))
    });
    Ok(FunnelReport { from, to, total, compared, sources })
}

/// The leads created on company days `days` followed through the funnel, by source and in all
/// (`total_row` 1).
async fn counted(
    pool: &PgPool,
    scope: Option<&[i64]>,
    query: &FunnelQuery,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Vec<Counted>, AppError> {
    let mut sql = QueryBuilder::<Postgres>::new(
        "with cohort as (
            select l.id, l.source, l.status, l.created_at, l.first_contacted_at, l.customer_id,
                   l.opportunity_id, o.created_at as converted_at, st.kind, o.amount_minor,
                   o.closed_at",
    );
    push_cohort(&mut sql, scope, query, (from, to));
    sql.push(format!(
        "), attributed as (
            select c.id as lead_id, count(*) as orders,
                   sum(so.total_minor - so.refunded_minor) as revenue
            from cohort c
            join customer cu on cu.id = c.customer_id and cu.deleted_at is null
            join sales_order so on so.customer_id = c.customer_id and so.status = 'placed'
                 and so.ordered_at >= c.converted_at
            where not exists (
                select 1 from lead later
                join opportunity lo on lo.id = later.opportunity_id and lo.deleted_at is null
                where later.customer_id = c.customer_id and later.deleted_at is null
                  and later.id <> c.id and lo.created_at > c.converted_at
                  and lo.created_at <= so.ordered_at)
            group by c.id
        )
        select grouping(c.source) as total_row, c.source,
               count(*) as created,
               count(*) filter (where c.first_contacted_at is not null) as contacted,
               count(c.opportunity_id) as converted,
               count(*) filter (where c.kind = 'won') as won,
               count(*) filter (where c.status = 'disqualified') as disqualified,
               coalesce(sum(c.amount_minor) filter (where c.kind = 'won'), 0)::bigint as won_amount,
               percentile_cont(0.5) within group
                   (order by extract(epoch from c.first_contacted_at - c.created_at){DAYS})
                   as days_to_contact,
               percentile_cont(0.5) within group
                   (order by extract(epoch from c.converted_at - c.created_at){DAYS})
                   as days_to_convert,
               percentile_cont(0.5) within group
                   (order by case when c.kind = 'won'
                        then extract(epoch from c.closed_at - c.converted_at){DAYS} end)
                   as days_to_win,
               percentile_cont(0.5) within group
                   (order by case when c.kind = 'won'
                        then extract(epoch from c.closed_at - c.created_at){DAYS} end)
                   as days_lead_to_win,
               coalesce(sum(a.orders), 0)::bigint as orders,
               coalesce(sum(a.revenue), 0)::bigint as revenue
        from cohort c left join attributed a on a.lead_id = c.id
        group by grouping sets ((c.source), ())"
    ));
    Ok(sql.build_query_as().fetch_all(pool).await?)
}

#[derive(sqlx::FromRow)]
struct LeadRow {
    id: i64,
    name: String,
    company: Option<String>,
    source: String,
    status: String,
    owner_name: Option<String>,
    created_at: DateTime<Utc>,
    first_contacted_at: Option<DateTime<Utc>>,
    opportunity_id: Option<i64>,
    opportunity_title: Option<String>,
    deal_kind: Option<String>,
    amount_minor: Option<i64>,
    currency: Option<String>,
}

/// The leads behind a figure, newest first, `limit` a page.
///
/// Errors: `Validation` (`to`).
pub async fn funnel_leads(
    pool: &PgPool,
    caller: &Authenticated,
    filter: &FunnelLeadFilter,
    after: Option<FunnelLeadCursor>,
    limit: i64,
) -> Result<Page<FunnelLead, FunnelLeadCursor>, AppError> {
    let days = days_of(pool, &filter.query.as_filter()).await?;
    let scope = caller.scope.visible_owners();
    let mut sql = QueryBuilder::<Postgres>::new(
        "select l.id, l.name, l.company, l.source, l.status, u.display_name as owner_name,
                l.created_at, l.first_contacted_at, o.id as opportunity_id,
                o.title as opportunity_title, st.kind as deal_kind, o.amount_minor, o.currency",
    );
    push_cohort(&mut sql, scope.as_deref(), &filter.query, days);
    if let Some(step) = filter.step {
        push_step(&mut sql, step);
    }
    push_after(&mut sql, ("l.created_at", "l.id"), after.map(|a| (a.at, a.id)));
    sql.push(" order by l.created_at desc, l.id desc limit ").push_bind(limit + 1);
    let rows: Vec<LeadRow> = sql.build_query_as().fetch_all(pool).await?;
    let leads = rows
        .into_iter()
        .map(|r| FunnelLead {
            id: r.id,
            name: r.name,
            company: r.company,
            source: LeadSource::parse(&r.source).unwrap_or_default(),
            status: LeadStatus::parse(&r.status).unwrap_or_default(),
            owner_name: r.owner_name,
            created_at: r.created_at,
            first_contacted_at: r.first_contacted_at,
            opportunity_id: r.opportunity_id,
            opportunity_title: r.opportunity_title,
            deal_kind: r.deal_kind,
            amount_minor: r.amount_minor,
            currency: r.currency,
        })
        .collect();
    Ok(Page::from_overfetch(leads, limit, |lead| FunnelLeadCursor {
        at: lead.created_at,
        id: lead.id,
    }))
}
