//! The win/loss report's server functions.

use super::model::{ClosedDeal, DealCursor, DealFilter, DealQuery, DealReport};
use crate::{error::AppError, paging::Page};
use leptos::{prelude::*, server_fn::codec::Json};

/// Won against lost, by rep and lost reason, for deals closed in a range, within the caller's
/// scope.
///
/// Any signed-in user (a member sees their own deals). Errors: `Unauthorized`, `Validation`
/// (`to`: reversed or too long a range).
#[server(input = Json)]
pub async fn get_deal_report(query: DealQuery) -> Result<DealReport, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::deal_report(&state.pool, &caller, &query).await
}

/// The closed deals behind a figure of the win/loss report, latest closed first.
///
/// Any signed-in user, within their scope. Errors: `Unauthorized`, `Validation` (`to`).
#[server(input = Json)]
pub async fn list_closed_deals(
    filter: DealFilter,
    after: Option<DealCursor>,
) -> Result<Page<ClosedDeal, DealCursor>, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    let limit = crate::paging::page_size(None);
    super::service::closed_deals(&state.pool, &caller, &filter, after, limit).await
}
