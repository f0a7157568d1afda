//! Server functions for the catalogue, orders and recommendations.

use super::model::*;
use crate::{customers::model::CustomerId, error::AppError, paging::Page};
use chrono::{DateTime, Utc};
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
async fn visible_customer(id: CustomerId) -> Result<crate::state::AppState, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    let scope = caller.scope.visible_owners();
    if crate::customers::repo::visible(&state.pool, id, scope.as_deref()).await? {
        Ok(state)
    } else {
        Err(AppError::NotFound)
    }
}

/// The catalogue: active products, or all of them for the admin page.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_products(include_inactive: bool) -> Result<Vec<Product>, AppError> {
    crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::repo::products(&state.pool, include_inactive).await
}

/// Creates or edits a product.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Validation`, `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn save_product(input: ProductInput) -> Result<ProductId, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Admin)?;
    let state = crate::state::AppState::from_context()?;
    super::service::save_product(&state, &caller, input).await
}

/// Adds an order to a customer in scope.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation`, `NotFound`.
#[server(input = Json)]
pub async fn add_order(input: OrderInput) -> Result<OrderId, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::add_order(&state, &caller, input).await
}

/// Corrects an order (number, date, channel, lines, notes) from the version read, with a reason;
/// the customer's totals, stage, scores, tier and points follow.
///
/// Any signed-in user, for customers in their scope. Errors: `Unauthorized`, `Validation`,
/// `ChangedMeanwhile`, `NotFound`.
#[server(input = Json)]
pub async fn correct_order(
    id: OrderId,
    version: i32,
    input: OrderInput,
    reason: String,
) -> Result<Order, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::correct_order(&state, &caller, id, version, input, &reason).await
}

/// Cancels an order with a reason: it stops counting and its points are taken back.
///
/// Managers and admins, for customers in their scope: money going back is not a member's call.
/// Errors: `Unauthorized`, `Forbidden`, `Validation`, `ChangedMeanwhile`, `NotFound`.
#[server(input = Json)]
pub async fn cancel_order(id: OrderId, version: i32, reason: String) -> Result<Order, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Manager)?;
    let state = crate::state::AppState::from_context()?;
    super::service::cancel_order(&state, &caller, id, version, &reason).await
}

/// Refunds part or all of an order with a reason.
///
/// Managers and admins, for customers in their scope. Errors: `Unauthorized`, `Forbidden`,
/// `Validation`, `ChangedMeanwhile`, `NotFound`.
#[server(input = Json)]
pub async fn refund_order(
    id: OrderId,
    version: i32,
    amount: String,
    reason: String,
) -> Result<Order, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Manager)?;
    let state = crate::state::AppState::from_context()?;
    super::service::refund_order(&state, &caller, id, version, &amount, &reason).await
}

/// A customer's orders with their lines, newest first.
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound`.
#[server(input = Json)]
pub async fn list_orders(
    customer_id: CustomerId,
    before: Option<(DateTime<Utc>, i64)>,
) -> Result<Page<Order, (DateTime<Utc>, i64)>, AppError> {
    let state = visible_customer(customer_id).await?;
    super::repo::orders(&state.pool, customer_id, before, 20).await
}

/// Products customers who bought the same products also bought.
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound`.
#[server(input = Json)]
pub async fn get_recommendations(customer_id: CustomerId) -> Result<Vec<Recommendation>, AppError> {
    let state = visible_customer(customer_id).await?;
    super::repo::recommendations(&state.pool, customer_id, 5).await
}

/// Queues a rebuild of the product affinities behind recommendations.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn start_affinity_rebuild() -> Result<i64, AppError> {
    use crate::jobs::{model::kinds, queue};
    let caller = crate::auth::server::require(crate::auth::model::Role::Admin)?;
    let state = crate::state::AppState::from_context()?;
    let mut conn = state.pool.acquire().await?;
    let mut job = queue::NewJob::new(kinds::PRODUCT_AFFINITY, serde_json::json!({}));
    job.created_by = Some(caller.id());
    queue::enqueue(&mut conn, job).await?.ok_or(AppError::Conflict)
}
