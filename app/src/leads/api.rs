//! Server functions of leads, their routing and web forms.

use super::model::*;
use crate::{error::AppError, paging::Page};
use chrono::{DateTime, Utc};
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn caller(
    role: crate::auth::model::Role,
) -> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError>
{
    Ok((crate::auth::server::require(role)?, crate::state::AppState::from_context()?))
}

/// Leads in the caller's scope, newest first.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_leads(
    filter: LeadFilter,
    before: Option<(DateTime<Utc>, i64)>,
) -> Result<Page<Lead, (DateTime<Utc>, i64)>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    super::service::list(&state.pool, scope.as_deref(), &filter, before, 50).await
}

/// Adds a lead by hand.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation`.
#[server(input = Json)]
pub async fn create_lead(input: LeadInput) -> Result<LeadId, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::create(&state, &caller, input).await
}

/// A lead's page: the lead, what it became, and its history.
///
/// Any signed-in user, for leads in their scope. Errors: `Unauthorized`, `NotFound`.
#[server(input = Json)]
pub async fn get_lead(id: LeadId) -> Result<LeadDetail, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::detail(&state.pool, &caller, id).await
}

/// Edits a lead and, within the caller's scope, gives it to another owner.
///
/// Any signed-in user, for leads in their scope. Errors: `Unauthorized`, `Validation`,
/// `ChangedMeanwhile`, `NotFound`.
#[server(input = Json)]
pub async fn update_lead(id: LeadId, version: i32, input: LeadInput) -> Result<Lead, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::update(&state, &caller, id, version, input).await
}

/// Moves a lead to the recycle bin (a converted lead stays).
///
/// Any signed-in user, for leads in their scope. Errors: `Unauthorized`, `Validation`,
/// `ChangedMeanwhile`, `NotFound`.
#[server(input = Json)]
pub async fn delete_lead(id: LeadId, version: i32) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::delete(&state, &caller, id, version).await
}

/// The lead recycle bin, most recently deleted first.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_deleted_leads(
    after: Option<(DateTime<Utc>, i64)>,
) -> Result<crate::paging::Page<crate::recycling::Binned, crate::recycling::BinKey>, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::deleted(&state.pool, after, 50).await
}

/// Restores a lead from the recycle bin.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `NotFound`.
#[server(input = Json)]
pub async fn restore_lead(id: LeadId) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::restore(&state, &caller, id).await
}

/// Marks a lead contacted, qualified or disqualified (with a reason).
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation`, `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn set_lead_status(
    id: LeadId,
    version: i32,
    status: LeadStatus,
    reason: Option<String>,
) -> Result<Lead, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::set_status(&state, &caller, id, version, status, reason).await
}

/// Customers the lead may already be.
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound`.
#[server(input = Json)]
pub async fn lead_possible_customers(id: LeadId) -> Result<Vec<PossibleCustomer>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::possible_customers(&state.pool, &caller, id).await
}

/// Converts a lead into a customer (or attaches it to one) and an opportunity.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation`, `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn convert_lead(
    id: LeadId,
    version: i32,
    input: ConvertInput,
) -> Result<Converted, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::convert(&state, &caller, id, version, input).await
}

/// Routing and follow-up settings.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn get_lead_routing() -> Result<Routing, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::routing(&state.pool).await
}

/// Replaces routing and follow-up settings.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Validation`, `Conflict`.
#[server(input = Json)]
pub async fn save_lead_routing(routing: Routing) -> Result<(), AppError> {
    let (admin, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::save_routing(&state, &admin, routing).await
}

/// Web forms and how many leads each brought.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_lead_forms() -> Result<Vec<LeadForm>, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::forms(&state.pool).await
}

/// Creates a web form with a fresh key.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Validation`.
#[server(input = Json)]
pub async fn create_lead_form(name: String) -> Result<LeadForm, AppError> {
    let (admin, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::create_form(&state, &admin, &name).await
}
