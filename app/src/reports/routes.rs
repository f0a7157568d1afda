//! `GET /files/reports/{sales|cohorts|deals|funnel|churn|tiers|statuses|value}.xlsx?<the page's query>`: a report
//! as a workbook, read with the same query and the same data scope as the page (the link carries
//! the page's own address query, so the file is what the caller sees), and put on the audit log
//! like every export.

use super::{
    churn::{service as churn, workbook::churn_workbook},
    cohorts::{model::CohortQuery, service as cohorts, views::month_label},
    deals::{model::DealQuery, service as deals, workbook::deal_workbook},
    funnel::{model::FunnelQuery, service as funnel, workbook::funnel_workbook},
    model::{Narrowing, RangeQuery, SalesQuery, compared_range},
    moves::{service as moves, workbook::moves_workbook},
    service,
    statuses::{service as statuses, workbook::statuses_workbook},
    value::{model::ValueQuery, service as value, workbook::value_workbook},
    views::{comparison_label, grouping_label},
    workbook::{self, AskedLine},
};
use crate::{
    audit::repo::{Change, record},
    auth::server::{Authenticated, RequestContext},
    download::{attachment, refuse},
    error::AppError,
    exports::routes::XLSX_TYPE,
    i18n::{Locale, ReportText, Text, TierText},
    leads::views::source_label,
    orders::views::channel_label,
    state::AppState,
};
use axum::{
    Extension,
    body::Body,
    extract::{Path, Query},
    response::Response,
};
use sqlx::PgPool;
use std::collections::HashMap;

fn line(label: impl Text, value: impl Into<String>, locale: Locale) -> AskedLine {
    (label.text(locale).to_owned(), value.into())
}

/// The rep, team, region and tier a report was narrowed to, by name where the caller may see
/// them (an id outside their scope stays an id: the file never names what the page would not).
async fn narrowing_lines(
    pool: &PgPool,
    caller: &Authenticated,
    narrowing: &Narrowing,
    locale: Locale,
) -> Result<Vec<AskedLine>, AppError> {
    let names = service::narrowing_names(pool, caller, narrowing).await?;
    let named = |id: i64, name: Option<String>, none: ReportText| match id {
        0 => none.text(locale).to_owned(),
        id => name.unwrap_or_else(|| format!("#{id}")),
    };
    let mut lines = vec![];
    if let Some(id) = narrowing.owner {
        lines.push(line(ReportText::Owner, named(id, names.owner, ReportText::NoOwner), locale));
    }
    if let Some(id) = narrowing.team {
        lines.push(line(ReportText::Team, named(id, names.team, ReportText::NoTeam), locale));
    }
    match narrowing.region.as_deref() {
        Some("") => lines.push(line(ReportText::Region, ReportText::NoRegion.text(locale), locale)),
        Some(region) => lines.push(line(ReportText::Region, region, locale)),
        None => {}
    }
    if let Some(id) = narrowing.tier {
        let name = match (id, locale) {
            (0, _) => Some(TierText::NoTier.text(locale).to_owned()),
            (_, Locale::ZhCn) => names.tier_zh,
            (_, Locale::En) => names.tier_en,
        };
        lines.push(line(TierText::Tier, name.unwrap_or_else(|| format!("#{id}")), locale));
    }
    Ok(lines)
}

/// A file's name, what the audit log calls its report, and its bytes.
type Built = (String, &'static str, Vec<u8>);

async fn sales_file(
    pool: &PgPool,
    caller: &Authenticated,
    query: SalesQuery,
    exported: AskedLine,
    locale: Locale,
) -> Result<Built, AppError> {
    let narrowing = query.filter.narrowing();
    let (report, narrowed) = tokio::try_join!(
        service::sales_report(pool, caller, &query),
        narrowing_lines(pool, caller, &narrowing, locale)
    )?;
    let (from, to) = (report.from, report.to);
    let mut asked = vec![
        line(ReportText::DateRange, format!("{from} – {to}"), locale),
        line(ReportText::GroupBy, grouping_label(report.grouping).text(locale), locale),
    ];
    if let Some((before_from, before_to)) = compared_range(query.comparison, from, to) {
        let compared = comparison_label(query.comparison).text(locale);
        let value = format!("{compared} ({before_from} – {before_to})");
        asked.push(line(ReportText::Compare, value, locale));
    }
    asked.extend(narrowed);
    if let Some(channel) = query.filter.channel {
        asked.push(line(ReportText::Channel, channel_label(channel).text(locale), locale));
    }
    if let Some(product) = report.product_label() {
        asked.push(line(ReportText::Product, product, locale));
    }
    match query.filter.category.as_deref() {
        Some("") => {
            asked.push(line(ReportText::Category, ReportText::NoCategory.text(locale), locale))
        }
        Some(category) => asked.push(line(ReportText::Category, category, locale)),
        None => {}
    }
    asked.push(exported);
    let name = dated_name(ReportText::Sales, from, to, locale);
    Ok((name, "sales", workbook::sales_workbook(&report, &asked, locale)?))
}

async fn cohorts_file(
    pool: &PgPool,
    caller: &Authenticated,
    query: CohortQuery,
    exported: AskedLine,
    locale: Locale,
) -> Result<Built, AppError> {
    let (report, narrowed) = tokio::try_join!(
        cohorts::cohort_report(pool, caller, &query),
        narrowing_lines(pool, caller, &query.narrowing, locale)
    )?;
    let mut asked = vec![
        line(ReportText::FirstCohort, month_label(report.from, locale), locale),
        line(ReportText::LastCohort, month_label(report.to, locale), locale),
    ];
    asked.extend(narrowed);
    asked.push(exported);
    let title = ReportText::Cohorts.text(locale);
    let (from, to) = (report.from.format("%Y%m"), report.to.format("%Y%m"));
    let name = format!("{title}-{from}-{to}.xlsx");
    Ok((name, "cohorts", workbook::cohort_workbook(&report, &asked, locale)?))
}

/// "Report-20261101-20261130.xlsx": a report's name and the days it covers.
fn dated_name(
    title: ReportText,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    locale: Locale,
) -> String {
    let title = title.text(locale);
    format!("{title}-{}-{}.xlsx", from.format("%Y%m%d"), to.format("%Y%m%d"))
}

/// What a report over a range of days was asked, in words: the range, the narrowing, what else
/// narrowed it, and when it was exported.
fn range_asked(
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
    narrowed: Vec<AskedLine>,
    more: Option<AskedLine>,
    exported: AskedLine,
    locale: Locale,
) -> Vec<AskedLine> {
    let mut asked = vec![line(ReportText::DateRange, format!("{from} – {to}"), locale)];
    asked.extend(narrowed);
    asked.extend(more);
    asked.push(exported);
    asked
}

async fn deals_file(
    pool: &PgPool,
    caller: &Authenticated,
    query: DealQuery,
    exported: AskedLine,
    locale: Locale,
) -> Result<Built, AppError> {
    let (report, narrowed) = tokio::try_join!(
        deals::deal_report(pool, caller, &query),
        narrowing_lines(pool, caller, &query.narrowing, locale)
    )?;
    let asked = range_asked((report.from, report.to), narrowed, None, exported, locale);
    let name = dated_name(ReportText::WinLoss, report.from, report.to, locale);
    Ok((name, "win_loss", deal_workbook(&report, &asked, locale)?))
}

async fn funnel_file(
    pool: &PgPool,
    caller: &Authenticated,
    query: FunnelQuery,
    exported: AskedLine,
    locale: Locale,
) -> Result<Built, AppError> {
    let (report, narrowed) = tokio::try_join!(
        funnel::funnel_report(pool, caller, &query),
        narrowing_lines(pool, caller, &query.narrowing, locale)
    )?;
    let source =
        query.source.map(|s| line(ReportText::Source, source_label(s).text(locale), locale));
    let asked = range_asked((report.from, report.to), narrowed, source, exported, locale);
    let name = dated_name(ReportText::Funnel, report.from, report.to, locale);
    Ok((name, "funnel", funnel_workbook(&report, &asked, locale)?))
}

async fn churn_file(
    pool: &PgPool,
    caller: &Authenticated,
    query: RangeQuery,
    exported: AskedLine,
    locale: Locale,
) -> Result<Built, AppError> {
    let (report, narrowed) = tokio::try_join!(
        churn::churn_report(pool, caller, &query),
        narrowing_lines(pool, caller, &query.narrowing, locale)
    )?;
    let asked = range_asked((report.from, report.to), narrowed, None, exported, locale);
    let name = dated_name(ReportText::Churn, report.from, report.to, locale);
    Ok((name, "churn", churn_workbook(&report, &asked, locale)?))
}

async fn moves_file(
    pool: &PgPool,
    caller: &Authenticated,
    query: RangeQuery,
    exported: AskedLine,
    locale: Locale,
) -> Result<Built, AppError> {
    let (report, narrowed) = tokio::try_join!(
        moves::moves_report(pool, caller, &query),
        narrowing_lines(pool, caller, &query.narrowing, locale)
    )?;
    let asked = range_asked((report.from, report.to), narrowed, None, exported, locale);
    let name = dated_name(ReportText::TierMoves, report.from, report.to, locale);
    Ok((name, "tier_moves", moves_workbook(&report, &asked, locale)?))
}

async fn statuses_file(
    pool: &PgPool,
    caller: &Authenticated,
    query: RangeQuery,
    exported: AskedLine,
    locale: Locale,
) -> Result<Built, AppError> {
    let (report, narrowed) = tokio::try_join!(
        statuses::status_report(pool, caller, &query),
        narrowing_lines(pool, caller, &query.narrowing, locale)
    )?;
    let asked = range_asked((report.from, report.to), narrowed, None, exported, locale);
    let name = dated_name(ReportText::CustomerStatuses, report.from, report.to, locale);
    Ok((name, "statuses", statuses_workbook(&report, &asked, locale)?))
}

async fn value_file(
    pool: &PgPool,
    caller: &Authenticated,
    query: ValueQuery,
    exported: AskedLine,
    locale: Locale,
) -> Result<Built, AppError> {
    let (report, mut asked, today) = tokio::try_join!(
        value::value_report(pool, caller, &query),
        narrowing_lines(pool, caller, &query.narrowing, locale),
        service::company_today(pool)
    )?;
    asked.push(exported);
    let title = ReportText::CustomerValue.text(locale);
    let name = format!("{title}-{}.xlsx", today.format("%Y%m%d"));
    Ok((name, "value", value_workbook(&report, &asked, locale)?))
}

pub async fn download(
    Extension(state): Extension<AppState>,
    Extension(context): Extension<RequestContext>,
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(caller) = context.user.clone() else { return refuse(AppError::Unauthorized) };
    let locale = context.locale;
    let pool = &state.pool;
    let get = |key: &str| query.get(key).cloned();
    // The reports that offer no tier read an address without one: their files never name a
    // tier that a hand-made address carries.
    let untiered = |key: &str| if key == "tier" { None } else { get(key) };
    let now = chrono::Utc::now().with_timezone(&context.time_zone);
    let exported = line(ReportText::ExportedAt, now.format("%Y-%m-%d %H:%M").to_string(), locale);
    let built = match file.as_str() {
        "sales.xlsx" => {
            sales_file(pool, &caller, SalesQuery::from_query(untiered), exported, locale).await
        }
        "cohorts.xlsx" => {
            cohorts_file(pool, &caller, CohortQuery::from_query(untiered), exported, locale).await
        }
        "deals.xlsx" => {
            deals_file(pool, &caller, DealQuery::from_query(get), exported, locale).await
        }
        "funnel.xlsx" => {
            funnel_file(pool, &caller, FunnelQuery::from_query(untiered), exported, locale).await
        }
        "churn.xlsx" => {
            churn_file(pool, &caller, RangeQuery::from_query(get), exported, locale).await
        }
        "tiers.xlsx" => {
            moves_file(pool, &caller, RangeQuery::from_query(untiered), exported, locale).await
        }
        "statuses.xlsx" => {
            statuses_file(pool, &caller, RangeQuery::from_query(untiered), exported, locale).await
        }
        "value.xlsx" => {
            value_file(pool, &caller, ValueQuery::from_query(get), exported, locale).await
        }
        _ => Err(AppError::NotFound),
    };
    let (name, report, bytes) = match built {
        Ok(built) => built,
        Err(error) => return refuse(error),
    };
    let change = Change::new("export", "report", report).after(&serde_json::json!({
        "query": query,
        "bytes": bytes.len(),
    }));
    if let Err(error) = record(pool, caller.actor(), change).await {
        tracing::warn!(%error, "recording a report export failed");
    }
    attachment(&name, XLSX_TYPE, Body::from(bytes))
}
