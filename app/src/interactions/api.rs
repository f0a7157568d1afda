//! Server functions for logging and listing interactions.

use super::model::*;
use crate::{customers::model::CustomerId, error::AppError, paging::Page};
use chrono::{DateTime, Utc};
use leptos::{prelude::*, server_fn::codec::Json};

/// Logs an interaction on a customer in scope.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation`, `NotFound`.
#[server(input = Json)]
pub async fn log_interaction(input: InteractionInput) -> Result<i64, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::log(&state, &caller, input).await
}

/// Edits an interaction, from the version read.
///
/// Any signed-in user, on customers in their scope. Errors: `Unauthorized`, `Validation`,
/// `ChangedMeanwhile`, `NotFound`.
#[server(input = Json)]
pub async fn update_interaction(
    id: i64,
    version: i32,
    input: InteractionInput,
) -> Result<(), AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::update(&state, &caller, id, version, input).await
}

/// Moves an interaction to the recycle bin, from the version read.
///
/// Any signed-in user, on customers in their scope. Errors: `Unauthorized`, `ChangedMeanwhile`,
/// `NotFound`.
#[server(input = Json)]
pub async fn delete_interaction(id: i64, version: i32) -> Result<(), AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::delete(&state, &caller, id, version).await
}

/// The interaction recycle bin, most recently deleted first.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_deleted_interactions(
    after: Option<crate::recycling::BinKey>,
) -> Result<Page<crate::recycling::Binned, crate::recycling::BinKey>, AppError> {
    crate::auth::server::require(crate::auth::model::Role::Admin)?;
    let state = crate::state::AppState::from_context()?;
    super::service::deleted(&state.pool, after, 50).await
}

/// Restores an interaction from the recycle bin.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `NotFound`.
#[server(input = Json)]
pub async fn restore_interaction(id: i64) -> Result<(), AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Admin)?;
    let state = crate::state::AppState::from_context()?;
    super::service::restore(&state, &caller, id).await
}

/// A customer's interactions, newest first.
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound`.
#[server(input = Json)]
pub async fn list_interactions(
    customer_id: CustomerId,
    before: Option<(DateTime<Utc>, i64)>,
) -> Result<Page<Interaction, (DateTime<Utc>, i64)>, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    let scope = caller.scope.visible_owners();
    if !crate::customers::repo::visible(&state.pool, customer_id, scope.as_deref()).await? {
        return Err(AppError::NotFound);
    }
    super::service::list(&state, customer_id, before, 20).await
}
