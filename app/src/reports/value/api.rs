//! The customer value report's server functions.

use super::model::{ValueCustomer, ValueFilter, ValueQuery, ValueReport};
use crate::{error::AppError, paging::Page};
use leptos::{prelude::*, server_fn::codec::Json};

/// The RFM grid, revenue by tier and top customers, within the caller's scope.
///
/// Any signed-in user (a member sees their own customers). Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn get_value_report(query: ValueQuery) -> Result<ValueReport, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::value_report(&state.pool, &caller, &query).await
}

/// The graded customers behind a figure, by id.
///
/// Any signed-in user, within their scope. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_value_customers(
    filter: ValueFilter,
    after: Option<i64>,
) -> Result<Page<ValueCustomer, i64>, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    let limit = crate::paging::page_size(None);
    super::service::value_customers(&state.pool, &caller, &filter, after, limit).await
}
