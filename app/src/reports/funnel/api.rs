//! The funnel report's server functions.

use super::model::{FunnelLead, FunnelLeadCursor, FunnelLeadFilter, FunnelQuery, FunnelReport};
use crate::{error::AppError, paging::Page};
use leptos::{prelude::*, server_fn::codec::Json};

/// The leads created in a range followed step by step, in all and by source, within the
/// caller's scope.
///
/// Any signed-in user (a member sees their own leads). Errors: `Unauthorized`, `Validation`
/// (`to`: reversed or too long a range).
#[server(input = Json)]
pub async fn get_funnel_report(query: FunnelQuery) -> Result<FunnelReport, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::funnel_report(&state.pool, &caller, &query).await
}

/// The leads behind a figure of the funnel, newest first.
///
/// Any signed-in user, within their scope. Errors: `Unauthorized`, `Validation` (`to`).
#[server(input = Json)]
pub async fn list_funnel_leads(
    filter: FunnelLeadFilter,
    after: Option<FunnelLeadCursor>,
) -> Result<Page<FunnelLead, FunnelLeadCursor>, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    let limit = crate::paging::page_size(None);
    super::service::funnel_leads(&state.pool, &caller, &filter, after, limit).await
}
