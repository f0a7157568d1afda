//! Server functions of the rules page.

use super::model::*;
use crate::{error::AppError, paging::Page};
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn caller(
    role: crate::auth::model::Role,
) -> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError>
{
    Ok((crate::auth::server::require(role)?, crate::state::AppState::from_context()?))
}

/// The tiers and segments (id, name) a rule's conditions may name.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuleChoices {
    pub tiers: Vec<crate::tiers::model::Tier>,
    pub segments: Vec<(i64, String)>,
}

/// Every rule with how often it acted, and what their conditions may name.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_rules() -> Result<(Vec<Rule>, RuleChoices), AppError> {
    let (_, state) = caller(crate::auth::model::Role::Manager)?;
    let pool = &state.pool;
    let tiers = crate::tiers::service::tiers(pool).await?.into_iter().map(|(t, _)| t).collect();
    let segments = crate::tiers::service::segments(pool).await?;
    let segments = segments.into_iter().map(|s| (s.id, s.name)).collect();
    Ok((super::service::rules(pool).await?, RuleChoices { tiers, segments }))
}

/// Creates or updates a rule (`version` as read; 0 for a new one).
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Validation`, `Conflict`.
#[server(input = Json)]
pub async fn save_rule(
    id: Option<RuleId>,
    version: i32,
    input: RuleInput,
) -> Result<RuleId, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::save(&state, &caller, id, version, &input).await
}

/// How many customers the rule as written would act on today, before it is switched on.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Validation`.
#[server(input = Json)]
pub async fn preview_rule(id: Option<RuleId>, input: RuleInput) -> Result<i64, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Admin)?;
    let today = crate::clock::today(state.clock.zone(&state.pool).await);
    super::service::preview(&state.pool, id, input.validate()?, today).await
}

/// Queues an evaluation of every active rule now (each acts once per occurrence however often
/// it runs). Returns the job's id.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn run_rules_now() -> Result<i64, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::evaluate_now(&state, &caller).await
}

/// A rule's log: each customer's occurrence and what became of it, newest first, for the
/// customers within the caller's data scope.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_runs(id: RuleId, before: Option<i64>) -> Result<Page<Run>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Manager)?;
    let scope = caller.scope.visible_owners();
    super::service::runs(&state.pool, scope.as_deref(), id, before, 50).await
}

/// The care calendar of the month or week around `day` (today when `None`): tasks due and
/// customers' birthdays and anniversaries, for `person` or everyone within the caller's data
/// scope, with how the care rules' tasks of the period were done.
///
/// Any signed-in user (a member sees their own). Errors: `Unauthorized`, `Validation` (`day`
/// outside the years 1900-2200).
#[server(input = Json)]
pub async fn get_care_calendar(
    span: super::calendar::Span,
    day: Option<chrono::NaiveDate>,
    person: Option<crate::auth::model::UserId>,
) -> Result<super::calendar::CareCalendar, AppError> {
    use chrono::Datelike;
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    if day.is_some_and(|day| !(1900..=2200).contains(&day.year())) {
        return Err(AppError::validation("day", crate::error::FieldError::InvalidDate));
    }
    let zone = state.clock.zone(&state.pool).await;
    let today = crate::clock::today(zone);
    let period = super::calendar::Period::around(span, day.unwrap_or(today));
    let scope = caller.scope.visible_owners();
    super::calendar_repo::calendar(
        &state.pool,
        scope.as_deref(),
        caller.id(),
        person,
        period,
        today,
        zone,
    )
    .await
}
