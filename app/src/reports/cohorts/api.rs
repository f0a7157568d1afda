//! The cohort report's server functions.

use super::model::{CohortCell, CohortCustomer, CohortQuery, CohortReport};
use crate::{error::AppError, paging::Page};
use leptos::{prelude::*, server_fn::codec::Json};

/// Cohort retention: customers by the month of their first order, and how many ordered again in
/// each later month, within the caller's scope.
///
/// Any signed-in user (a member sees their own customers). Errors: `Unauthorized`,
/// `Validation` (`to`: reversed or too long a range).
#[server(input = Json)]
pub async fn get_cohort_report(query: CohortQuery) -> Result<CohortReport, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::cohort_report(&state.pool, &caller, &query).await
}

/// The customers behind one cell of the cohort report, by id.
///
/// Any signed-in user, within their scope. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_cohort_customers(
    cell: CohortCell,
    after: Option<i64>,
) -> Result<Page<CohortCustomer>, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    let limit = crate::paging::page_size(None);
    super::service::cell_customers(&state.pool, &caller, &cell, after, limit).await
}

/// How many customers one cell of the cohort report counts, within the caller's scope.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn get_cohort_cell_size(cell: CohortCell) -> Result<i64, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::cell_size(&state.pool, &caller, &cell).await
}
