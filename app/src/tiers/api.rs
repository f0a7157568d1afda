//! Server functions of the tier admin page, the 360 tier section, segments and distribution.

use super::model::*;
use crate::{
    customers::model::{CustomerFilter, CustomerId},
    error::AppError,
};
use chrono::NaiveDate;
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn caller(
    role: crate::auth::model::Role,
) -> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError>
{
    Ok((crate::auth::server::require(role)?, crate::state::AppState::from_context()?))
}

/// The tiers in order and the recompute settings.
///
/// Any signed-in user (tiers show on every customer). Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_tiers() -> Result<(Vec<Tier>, TierSettings), AppError> {
    let (_, state) = caller(crate::auth::model::Role::Member)?;
    let tiers = super::service::tiers(&state.pool).await?.into_iter().map(|(t, _)| t).collect();
    Ok((tiers, super::service::settings(&state.pool).await?))
}

/// The tier editor's page in one call: the tiers, the settings and what they do today, so the
/// page renders complete on the server and hydrates from one answer.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn load_tier_editor() -> Result<(Vec<Tier>, TierSettings, Preview), AppError> {
    let (_, state) = caller(crate::auth::model::Role::Admin)?;
    let current = super::service::tiers(&state.pool).await?;
    let settings = super::service::settings(&state.pool).await?;
    let preview = super::service::preview(&state.pool, &current).await?;
    Ok((current.into_iter().map(|(t, _)| t).collect(), settings, preview))
}

/// What the proposed tiers would do to today's customers. Nothing is saved.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Validation` (`tiers.N.*`).
#[server(input = Json)]
pub async fn preview_tiers(tiers: Vec<TierInput>) -> Result<Preview, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Admin)?;
    let rules = validate_tiers(&tiers)?;
    // Unsaved tiers get provisional negative ids so the preview can tell them apart.
    let proposed: Vec<(Tier, Option<super::rule::Expr>)> = tiers
        .into_iter()
        .zip(rules)
        .enumerate()
        .map(|(n, (input, rule))| {
            let tier = Tier {
                id: input.id.unwrap_or(TierId(-(n as i64) - 1)),
                position: n as i32 + 1,
                name_zh: input.name_zh,
                name_en: input.name_en,
                color: input.color,
                rule: input.rule,
            };
            (tier, rule)
        })
        .collect();
    super::service::preview(&state.pool, &proposed).await
}

/// Saves the tiers and the RFM window and starts recomputing every customer; returns the job.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Validation`, `Conflict` (another admin saved
/// since `version`, the settings version this list was loaded with).
#[server(input = Json)]
pub async fn save_tiers(
    tiers: Vec<TierInput>,
    window_days: i32,
    version: i32,
) -> Result<i64, AppError> {
    let (admin, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::save_tiers(&state, &admin, tiers, window_days, version).await
}

/// Starts recomputing scores and tiers without changing the rules.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn start_tier_recompute() -> Result<i64, AppError> {
    use crate::jobs::{model::kinds, queue};
    let (admin, state) = caller(crate::auth::model::Role::Admin)?;
    let mut conn = state.pool.acquire().await?;
    let mut job = queue::NewJob::new(kinds::TIER_RECOMPUTE, serde_json::json!({}));
    job.created_by = Some(admin.id());
    queue::enqueue(&mut conn, job).await?.ok_or(AppError::Conflict)
}

/// A customer's tier, R/F/M scores and why they matched.
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound`.
#[server(input = Json)]
pub async fn get_customer_tier(customer_id: CustomerId) -> Result<CustomerTier, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    super::service::customer_tier(&state.pool, customer_id, scope.as_deref()).await
}

/// Sets (or with no tier, clears) a customer's manual tier.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `Validation`, `NotFound`.
#[server(input = Json)]
pub async fn set_tier_override(
    customer_id: CustomerId,
    tier_id: Option<TierId>,
    reason: String,
    until: Option<NaiveDate>,
) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Manager)?;
    super::service::set_override(&state, &caller, customer_id, tier_id, &reason, until).await
}

/// Customers per status, stage and tier in the caller's scope, and tier moves per month.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn get_distribution() -> Result<Distribution, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Manager)?;
    let scope = caller.scope.visible_owners();
    super::service::distribution(&state.pool, scope.as_deref()).await
}

/// Saved segments.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_segments() -> Result<Vec<Segment>, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Member)?;
    super::service::segments(&state.pool).await
}

/// How many customers in the caller's scope a filter selects now.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn count_customers(filter: CustomerFilter) -> Result<i64, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    super::service::count(&state.pool, &filter, scope.as_deref()).await
}

/// Creates or (with an id) updates a segment.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `Validation` (`name`), `Conflict`.
#[server(input = Json)]
pub async fn save_segment(
    id: Option<i64>,
    version: i32,
    name: String,
    description: String,
    filter: CustomerFilter,
) -> Result<i64, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Manager)?;
    super::service::save_segment(&state, &caller, id, version, &name, &description, &filter).await
}
