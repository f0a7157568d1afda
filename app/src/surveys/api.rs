//! Server functions of surveys. The two public ones (`get_public_survey`,
//! `submit_survey_answer`) need no sign-in: the single-use token is the credential.

use super::model::*;
use crate::error::AppError;
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn caller(
    role: crate::auth::model::Role,
) -> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError>
{
    Ok((crate::auth::server::require(role)?, crate::state::AppState::from_context()?))
}

/// Every survey with its counts.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_surveys() -> Result<Vec<SurveySummary>, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Member)?;
    super::service::list(&state.pool).await
}

/// One survey with its questions.
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound`.
#[server(input = Json)]
pub async fn get_survey(id: i64) -> Result<Survey, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Member)?;
    let mut conn = state.pool.acquire().await?;
    super::service::load(&mut conn, id).await
}

/// Creates or updates a survey.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `Validation`, `Conflict`.
#[server(input = Json)]
pub async fn save_survey(survey: Survey) -> Result<i64, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Manager)?;
    super::service::save(&state, &caller, survey).await
}

/// Sends a survey to a customer (any signed-in user, for customers in their scope) or to a
/// segment (managers and admins).
///
/// Errors: `Unauthorized`, `Forbidden`, `NotFound`, `Validation` (`target`).
#[server(input = Json)]
pub async fn send_survey(survey_id: i64, target: SendTarget) -> Result<SendOutcome, AppError> {
    let required = match target {
        SendTarget::Customer(_) => crate::auth::model::Role::Member,
        SendTarget::Segment(_) => crate::auth::model::Role::Manager,
    };
    let (caller, state) = caller(required)?;
    super::service::send(&state, &caller, survey_id, target).await
}

/// A survey's results and recipients.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `NotFound`.
#[server(input = Json)]
pub async fn get_survey_results(id: i64) -> Result<SurveyResults, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Manager)?;
    super::service::results(&state.pool, id, &caller.scope).await
}

/// The survey behind an emailed link. No sign-in.
///
/// Errors: `NotFound`, `LinkUsed`, `LinkExpired`.
#[server(input = Json)]
pub async fn get_public_survey(token: String) -> Result<PublicSurvey, AppError> {
    let state = crate::state::AppState::from_context()?;
    super::service::public_survey(&state.pool, &token).await
}

/// Records the answer of an emailed link, once. No sign-in.
///
/// Errors: `NotFound`, `LinkUsed`, `LinkExpired`, `Validation` (`q{n}`).
#[server(input = Json)]
pub async fn submit_survey_answer(
    token: String,
    answers: Vec<AnswerValue>,
) -> Result<(), AppError> {
    let state = crate::state::AppState::from_context()?;
    // The respondent learns nothing about what their answer set off.
    super::service::answer(&state, &token, answers).await.map(|_| ())
}
