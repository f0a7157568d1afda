//! The server functions of saved reports.

use super::model::{ReportTile, SavedDates, SavedReport, SavedReportKind};
use crate::error::AppError;
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn caller()
-> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError> {
    Ok((
        crate::auth::server::require(crate::auth::model::Role::Member)?,
        crate::state::AppState::from_context()?,
    ))
}

/// Saves a report page's question (`query`, the page's address query) as a tile on the
/// caller's dashboard, its dates as shown or rolling with today.
///
/// Any signed-in user, for their own dashboard. Errors: `Unauthorized`, `Validation` (`title`:
/// empty, too long or too many saved; `query`; `to`: the report's range).
#[server(input = Json)]
pub async fn save_report_tile(
    report: SavedReportKind,
    title: String,
    query: String,
    dates: SavedDates,
) -> Result<SavedReport, AppError> {
    let (caller, state) = caller()?;
    let today = crate::clock::today(state.clock.zone(&state.pool).await);
    super::service::save(&state.pool, &caller, report, &title, &query, dates, today).await
}

/// A saved report's tile: its figures as of today, read within the caller's scope now.
///
/// Any signed-in user, for reports they saved. Errors: `Unauthorized`, `NotFound` (not theirs),
/// `Validation` (the report's own range errors).
#[server(input = Json)]
pub async fn get_report_tile(id: i64) -> Result<ReportTile, AppError> {
    let (caller, state) = caller()?;
    let today = crate::clock::today(state.clock.zone(&state.pool).await);
    super::service::tile(&state.pool, &caller, id, today).await
}

/// Deletes one of the caller's saved reports and its tile.
///
/// Any signed-in user, for reports they saved. Errors: `Unauthorized`, `NotFound` (not theirs).
#[server(input = Json)]
pub async fn delete_saved_report(id: i64) -> Result<(), AppError> {
    let (caller, state) = caller()?;
    super::service::delete(&state.pool, &caller, id).await
}
