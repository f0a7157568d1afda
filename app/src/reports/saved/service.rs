//! Saved reports: kept per user, limited in number, and read with the reader's scope through the
//! same services as the report pages. Where a tile stands is the dashboard's business: a report
//! saved since its owner last arranged the dashboard is shown last.

use super::model::{
    MAX_QUERY_CHARS, MAX_SAVED_REPORTS, MAX_TITLE_CHARS, ReportFigures, ReportQuery, ReportTile,
    SavedDates, SavedReport, SavedReportKind,
};
use crate::{
    auth::server::Authenticated,
    error::{AppError, FieldError, FieldErrors},
    reports::{
        churn::service::churn_report, cohorts::service::cohort_report, deals::service::deal_report,
        funnel::service::funnel_report, moves::service::moves_report, service::sales_report,
        statuses::service::status_report,
    },
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use std::collections::HashMap;

struct Row {
    id: i64,
    report: String,
    title: String,
    query: String,
    dates: String,
    created_at: DateTime<Utc>,
}

impl Row {
    /// A stored row; a name this build does not know reads as the default rather than failing
    /// the whole dashboard.
    fn into_saved(self) -> SavedReport {
        SavedReport {
            id: self.id,
            report: SavedReportKind::parse(&self.report).unwrap_or_default(),
            title: self.title,
            query: self.query,
            dates: SavedDates::parse(&self.dates).unwrap_or_default(),
            saved_at: self.created_at,
        }
    }
}

/// The reports `user_id` saved, oldest first.
pub async fn of_user(pool: &PgPool, user_id: i64) -> Result<Vec<SavedReport>, AppError> {
    let rows = sqlx::query_as!(
        Row,
        r#"select id, report, title, query, dates, created_at as "created_at: DateTime<Utc>"
           from saved_report where user_id = $1 order by id"#,
        user_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Row::into_saved).collect())
}

/// An address query as its pairs (`a=1&b=x`, escaped as a browser escapes it).
fn parse_address(query: &str) -> Result<HashMap<String, String>, AppError> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::Validation(FieldErrors::single(
            "query",
            FieldError::TooLong { max: MAX_QUERY_CHARS as u32 },
        )));
    }
    serde_urlencoded::from_str::<Vec<(String, String)>>(query.trim_start_matches('?'))
        .map(|pairs| pairs.into_iter().collect())
        .map_err(|_| AppError::Validation(FieldErrors::single("query", FieldError::InvalidChoice)))
}

/// The question `query` (an address query) asks of `report`.
fn asked(report: SavedReportKind, query: &str) -> Result<ReportQuery, AppError> {
    let pairs = parse_address(query)?;
    Ok(ReportQuery::from_query(report, |key| pairs.get(key).cloned()))
}

/// The question a saved report asks on `today`: its query, with rolling dates counted anew.
pub fn question(saved: &SavedReport, today: NaiveDate) -> Result<ReportQuery, AppError> {
    let query = asked(saved.report, &saved.query)?;
    Ok(match saved.dates.days(today) {
        Some((from, to)) => query.with_dates(from, to),
        None => query,
    })
}

/// Saves a report page's query (`query`, its address query) under `title`; the dashboard shows
/// it last until its owner arranges it. Dates kept as saved are written out, so a query without dates
/// (the page's default range) stays on the days it showed.
///
/// Errors: `Validation` (`title`: empty or too long, or `MAX_SAVED_REPORTS` already saved;
/// `query`: not an address query; `to`: the report's own range errors).
pub async fn save(
    pool: &PgPool,
    caller: &Authenticated,
    report: SavedReportKind,
    title: &str,
    query: &str,
    dates: SavedDates,
    today: NaiveDate,
) -> Result<SavedReport, AppError> {
    let title = title.trim();
    let mut errors = FieldErrors::new();
    if title.is_empty() {
        errors.add("title", FieldError::Required);
    } else if title.chars().count() > MAX_TITLE_CHARS as usize {
        errors.add("title", FieldError::TooLong { max: MAX_TITLE_CHARS });
    }
    errors.into_result()?;
    let asked = asked(report, query)?;
    let (from, to) = asked.range(today).map_err(AppError::Validation)?;
    let query = crate::reports::model::query_string(&asked.with_dates(from, to).query_pairs());

    let mut tx = pool.begin().await?;
    // One save at a time per user, so two tabs cannot both pass the limit.
    sqlx::query!("select id from app_user where id = $1 for update", caller.id().0)
        .fetch_one(&mut *tx)
        .await?;
    let saved = sqlx::query_scalar!(
        r#"select count(*) as "count!" from saved_report where user_id = $1"#,
        caller.id().0
    )
    .fetch_one(&mut *tx)
    .await?;
    if saved >= MAX_SAVED_REPORTS as i64 {
        return Err(AppError::Validation(FieldErrors::single(
            "title",
            FieldError::TooMany { max: MAX_SAVED_REPORTS },
        )));
    }
    let saved = sqlx::query!(
        r#"insert into saved_report (user_id, report, title, query, dates)
           values ($1, $2, $3, $4, $5) returning id, created_at as "created_at: DateTime<Utc>""#,
        caller.id().0,
        report.as_str(),
        title,
        query,
        dates.as_str(),
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(SavedReport {
        id: saved.id,
        report,
        title: title.to_owned(),
        query,
        dates,
        saved_at: saved.created_at,
    })
}

/// Deletes one of the caller's saved reports (its tile leaves the dashboard with it: a layout
/// never shows a report that is not saved).
///
/// Errors: `NotFound` (no such report of the caller's).
pub async fn delete(pool: &PgPool, caller: &Authenticated, id: i64) -> Result<(), AppError> {
    let deleted =
        sqlx::query!("delete from saved_report where id = $1 and user_id = $2", id, caller.id().0)
            .execute(pool)
            .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// One of the caller's saved reports with its figures as of `today`, within their scope now.
///
/// Errors: `NotFound` (no such report of the caller's), the report's own `Validation`.
pub async fn tile(
    pool: &PgPool,
    caller: &Authenticated,
    id: i64,
    today: NaiveDate,
) -> Result<ReportTile, AppError> {
    let saved = sqlx::query_as!(
        Row,
        r#"select id, report, title, query, dates, created_at as "created_at: DateTime<Utc>"
           from saved_report where id = $1 and user_id = $2"#,
        id,
        caller.id().0
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?
    .into_saved();
    let query = question(&saved, today)?;
    let figures = match &query {
        ReportQuery::Sales(sales) => ReportFigures::Sales(sales_report(pool, caller, sales).await?),
        ReportQuery::Cohorts(cohorts) => {
            ReportFigures::Cohorts(cohort_report(pool, caller, cohorts).await?)
        }
        ReportQuery::Deals(deals) => ReportFigures::Deals(deal_report(pool, caller, deals).await?),
        ReportQuery::Funnel(funnel) => {
            ReportFigures::Funnel(funnel_report(pool, caller, funnel).await?)
        }
        ReportQuery::Churn(churn) => ReportFigures::Churn(churn_report(pool, caller, churn).await?),
        ReportQuery::Moves(moves) => ReportFigures::Moves(moves_report(pool, caller, moves).await?),
        ReportQuery::Statuses(statuses) => {
            ReportFigures::Statuses(status_report(pool, caller, statuses).await?)
        }
    };
    Ok(ReportTile { saved, query, figures })
}
