//! The customers-over-time report's server functions.

use super::model::{StatusCursor, StatusCustomer, StatusFilter, StatusReport};
use crate::{error::AppError, paging::Page, reports::model::RangeQuery};
use leptos::{prelude::*, server_fn::codec::Json};

/// Customers new, active, silent and former month by month, within the caller's scope.
///
/// Any signed-in user (a member sees their own customers). Errors: `Unauthorized`,
/// `Validation` (`to`: reversed or too long a range).
#[server(input = Json)]
pub async fn get_status_report(query: RangeQuery) -> Result<StatusReport, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::status_report(&state.pool, &caller, &query).await
}

/// The customers behind a figure, latest turned first.
///
/// Any signed-in user, within their scope. Errors: `Unauthorized`, `Validation` (`to`).
#[server(input = Json)]
pub async fn list_status_customers(
    filter: StatusFilter,
    after: Option<StatusCursor>,
) -> Result<Page<StatusCustomer, StatusCursor>, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    let limit = crate::paging::page_size(None);
    super::service::status_customers(&state.pool, &caller, &filter, after, limit).await
}
