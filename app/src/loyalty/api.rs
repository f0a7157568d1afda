//! Server functions for points, membership and the loyalty settings.

use super::model::*;
use crate::{customers::model::CustomerId, error::AppError};
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn caller(
    role: crate::auth::model::Role,
) -> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError>
{
    Ok((crate::auth::server::require(role)?, crate::state::AppState::from_context()?))
}

/// A customer's points balance, level and recent ledger.
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound`.
#[server(input = Json)]
pub async fn get_membership(customer_id: CustomerId) -> Result<Membership, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    super::service::membership(&state.pool, customer_id, scope.as_deref()).await
}

/// Redeems points; returns the new balance.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation` (`points`, `reason`), `NotFound`.
#[server(input = Json)]
pub async fn redeem_points(
    customer_id: CustomerId,
    points: i64,
    reason: String,
) -> Result<i64, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::redeem(&state, &caller, customer_id, points, &reason).await
}

/// Adds or removes points by hand; returns the new balance.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `Validation`, `NotFound`.
#[server(input = Json)]
pub async fn adjust_points(
    customer_id: CustomerId,
    delta: i64,
    reason: String,
) -> Result<i64, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Manager)?;
    super::service::adjust(&state, &caller, customer_id, delta, &reason).await
}

/// The earning rule and the levels, for the loyalty admin page.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn get_loyalty_setup() -> Result<(LoyaltySettings, Vec<Level>), AppError> {
    let (_, state) = caller(crate::auth::model::Role::Admin)?;
    Ok((super::service::settings(&state.pool).await?, super::service::levels(&state.pool).await?))
}

/// Saves the earning rule.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Validation`, `Conflict`.
#[server(input = Json)]
pub async fn save_loyalty_settings(settings: LoyaltySettings) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::save_settings(&state, &caller, &settings).await
}

/// Creates or updates a membership level.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Validation`, `Conflict`.
#[server(input = Json)]
pub async fn save_level(level: Level) -> Result<i64, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::save_level(&state, &caller, &level).await
}
