//! The churn report's server functions.

use super::model::{ChurnCursor, ChurnFilter, ChurnReport, ChurnedCustomer};
use crate::{error::AppError, paging::Page, reports::model::RangeQuery};
use leptos::{prelude::*, server_fn::codec::Json};

/// The customers that became former in a range, by month and reason, within the caller's scope.
///
/// Any signed-in user (a member sees their own customers). Errors: `Unauthorized`,
/// `Validation` (`to`: reversed or too long a range).
#[server(input = Json)]
pub async fn get_churn_report(query: RangeQuery) -> Result<ChurnReport, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::churn_report(&state.pool, &caller, &query).await
}

/// The churned customers behind a figure, latest churned first.
///
/// Any signed-in user, within their scope. Errors: `Unauthorized`, `Validation` (`to`).
#[server(input = Json)]
pub async fn list_churned_customers(
    filter: ChurnFilter,
    after: Option<ChurnCursor>,
) -> Result<Page<ChurnedCustomer, ChurnCursor>, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    let limit = crate::paging::page_size(None);
    super::service::churned_customers(&state.pool, &caller, &filter, after, limit).await
}
