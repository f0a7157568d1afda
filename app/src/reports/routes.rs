//! `GET /files/reports/{sales|cohorts}.xlsx?<the page's query>`: a report as a workbook, read
//! with the same query and the same data scope as the page (the link carries the page's own
//! address query, so the file is what the caller sees), and put on the audit log like every
//! export.

use super::{
    cohorts::{model::CohortQuery, service as cohorts, views::month_label},
    model::{FilterChoices, Narrowing, SalesQuery, compared_range},
    service,
    views::{comparison_label, grouping_label},
    workbook::{self, AskedLine},
};
use crate::{
    audit::repo::{Change, record},
    auth::server::RequestContext,
    download::{attachment, refuse},
    error::AppError,
    exports::routes::XLSX_TYPE,
    i18n::{Locale, ReportText, Text},
    orders::views::channel_label,
    state::AppState,
};
use axum::{
    Extension,
    body::Body,
    extract::{Path, Query},
    response::Response,
};
use std::collections::HashMap;

/// The rep, team and region a report was narrowed to, by name where the caller may see it.
fn narrowing_lines(
    narrowing: &Narrowing,
    choices: &FilterChoices,
    locale: Locale,
) -> Vec<AskedLine> {
    let named = |list: &[(i64, String)], id: i64| {
        list.iter()
            .find(|(known, _)| *known == id)
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let mut lines = vec![];
    let mut line = |label: ReportText, value: String| {
        lines.push((label.text(locale).to_owned(), value));
    };
    match narrowing.owner {
        Some(0) => line(ReportText::Owner, ReportText::NoOwner.text(locale).to_owned()),
        Some(id) => line(ReportText::Owner, named(&choices.owners, id)),
        None => {}
    }
    match narrowing.team {
        Some(0) => line(ReportText::Team, ReportText::NoTeam.text(locale).to_owned()),
        Some(id) => line(ReportText::Team, named(&choices.teams, id)),
        None => {}
    }
    match narrowing.region.as_deref() {
        Some("") => line(ReportText::Region, ReportText::NoRegion.text(locale).to_owned()),
        Some(region) => line(ReportText::Region, region.to_owned()),
        None => {}
    }
    lines
}

pub async fn download(
    Extension(state): Extension<AppState>,
    Extension(context): Extension<RequestContext>,
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(caller) = context.user.clone() else { return refuse(AppError::Unauthorized) };
    if !matches!(file.as_str(), "sales.xlsx" | "cohorts.xlsx") {
        return refuse(AppError::NotFound);
    }
    let locale = context.locale;
    let pool = &state.pool;
    let get = |key: &str| query.get(key).cloned();
    let exported_at = chrono::Utc::now().with_timezone(&context.time_zone);
    let exported = (
        ReportText::ExportedAt.text(locale).to_owned(),
        exported_at.format("%Y-%m-%d %H:%M").to_string(),
    );
    let built = async {
        let choices = service::filter_choices(pool, &caller).await?;
        match file.as_str() {
            "sales.xlsx" => {
                let query = SalesQuery::from_query(get);
                let report = service::sales_report(pool, &caller, &query).await?;
                let filter = &query.filter;
                let mut asked = vec![
                    (
                        ReportText::DateRange.text(locale).to_owned(),
                        format!("{} – {}", report.from, report.to),
                    ),
                    (
                        ReportText::GroupBy.text(locale).to_owned(),
                        grouping_label(report.grouping).text(locale).to_owned(),
                    ),
                ];
                if let Some((from, to)) = compared_range(query.comparison, report.from, report.to) {
                    asked.push((
                        ReportText::Compare.text(locale).to_owned(),
                        format!(
                            "{} ({from} – {to})",
                            comparison_label(query.comparison).text(locale)
                        ),
                    ));
                }
                let narrowing = Narrowing {
                    owner: filter.owner,
                    team: filter.team,
                    region: filter.region.clone(),
                };
                asked.extend(narrowing_lines(&narrowing, &choices, locale));
                if let Some(channel) = filter.channel {
                    asked.push((
                        ReportText::Channel.text(locale).to_owned(),
                        channel_label(channel).text(locale).to_owned(),
                    ));
                }
                asked.push(exported.clone());
                let name = format!(
                    "{}-{}-{}.xlsx",
                    ReportText::Sales.text(locale),
                    report.from.format("%Y%m%d"),
                    report.to.format("%Y%m%d")
                );
                Ok(("sales", name, workbook::sales_workbook(&report, &asked, locale)?))
            }
            "cohorts.xlsx" => {
                let query = CohortQuery::from_query(get);
                let report = cohorts::cohort_report(pool, &caller, &query).await?;
                let mut asked = vec![
                    (
                        ReportText::FirstCohort.text(locale).to_owned(),
                        month_label(report.from, locale),
                    ),
                    (
                        ReportText::LastCohort.text(locale).to_owned(),
                        month_label(report.to, locale),
                    ),
                ];
                asked.extend(narrowing_lines(&query.narrowing, &choices, locale));
                asked.push(exported.clone());
                let name = format!(
                    "{}-{}-{}.xlsx",
                    ReportText::Cohorts.text(locale),
                    report.from.format("%Y%m"),
                    report.to.format("%Y%m")
                );
                Ok(("cohorts", name, workbook::cohort_workbook(&report, &asked, locale)?))
            }
            _ => Err(AppError::NotFound),
        }
    };
    let (report, name, bytes): (&str, String, Vec<u8>) = match built.await {
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
