//! The tier moves report's server functions.

use super::model::{CustomerMove, MoveCursor, MovesFilter, MovesReport};
use crate::{error::AppError, paging::Page, reports::model::RangeQuery};
use leptos::{prelude::*, server_fn::codec::Json};

/// The tier moves in a range, by month and by path, within the caller's scope.
///
/// Any signed-in user (a member sees their own customers). Errors: `Unauthorized`,
/// `Validation` (`to`: reversed or too long a range).
#[server(input = Json)]
pub async fn get_moves_report(query: RangeQuery) -> Result<MovesReport, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::moves_report(&state.pool, &caller, &query).await
}

/// The moves behind a figure, latest first.
///
/// Any signed-in user, within their scope. Errors: `Unauthorized`, `Validation` (`to`).
#[server(input = Json)]
pub async fn list_customer_moves(
    filter: MovesFilter,
    after: Option<MoveCursor>,
) -> Result<Page<CustomerMove, MoveCursor>, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    let limit = crate::paging::page_size(None);
    super::service::customer_moves(&state.pool, &caller, &filter, after, limit).await
}
