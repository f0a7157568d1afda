//! The reports' server functions.

use super::model::{FilterChoices, OrderCursor, ReportOrder, SalesFilter, SalesQuery, SalesReport};
use crate::{error::AppError, paging::Page};
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn caller(
    role: crate::auth::model::Role,
) -> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError>
{
    Ok((crate::auth::server::require(role)?, crate::state::AppState::from_context()?))
}

/// The sales report: revenue and orders per period or category, within the caller's scope.
///
/// Any signed-in user (a member sees their own customers' sales). Errors: `Unauthorized`,
/// `Validation` (`to`: reversed or too long a range; `by`: too many days to draw).
#[server(input = Json)]
pub async fn get_sales_report(query: SalesQuery) -> Result<SalesReport, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::sales_report(&state.pool, &caller, &query).await
}

/// The orders behind a figure of the sales report, newest first.
///
/// Any signed-in user, within their scope. Errors: `Unauthorized`, `Validation` (`to`).
#[server(input = Json)]
pub async fn list_report_orders(
    filter: SalesFilter,
    after: Option<OrderCursor>,
) -> Result<Page<ReportOrder, OrderCursor>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let limit = crate::paging::page_size(None);
    super::service::report_orders(&state.pool, &caller, &filter, after, limit).await
}

/// What the report's filter offers: owners and teams in the caller's scope, the regions.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn get_report_choices() -> Result<FilterChoices, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::filter_choices(&state.pool, &caller).await
}
