//! Server functions of the board, opportunities, pipelines and the forecast.

use super::model::*;
use crate::{auth::model::UserId, customers::model::CustomerId, error::AppError, paging::Page};
use chrono::{DateTime, NaiveDate, Utc};
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn caller(
    role: crate::auth::model::Role,
) -> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError>
{
    Ok((crate::auth::server::require(role)?, crate::state::AppState::from_context()?))
}

/// Cards per column in the first load of the board; more load as a column scrolls.
pub const CARDS_PER_COLUMN: i64 = 30;

/// Active pipelines with their stages, default first.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_pipelines() -> Result<Vec<Pipeline>, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Member)?;
    super::service::pipelines(&state.pool).await
}

/// Creates or replaces a pipeline and its stages.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Validation` (`stages.N.*`), `Conflict`.
#[server(input = Json)]
pub async fn save_pipeline(input: PipelineInput) -> Result<PipelineId, AppError> {
    let (admin, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::save_pipeline(&state, &admin, input).await
}

/// The board in the caller's scope: column figures and each column's first cards.
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound` (no such pipeline).
#[server(input = Json)]
pub async fn get_board(filter: BoardFilter) -> Result<Board, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    super::service::board(&state.pool, scope.as_deref(), &filter, CARDS_PER_COLUMN).await
}

/// More cards of one column.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn get_column_page(
    filter: BoardFilter,
    stage_id: StageId,
    after: Option<(DateTime<Utc>, i64)>,
) -> Result<Page<Card, (DateTime<Utc>, i64)>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    super::service::column_page(
        &state.pool,
        scope.as_deref(),
        &filter,
        stage_id,
        after,
        CARDS_PER_COLUMN,
    )
    .await
}

/// The list view of the board's opportunities, by expected close date.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_opportunities(
    filter: BoardFilter,
    after: Option<(NaiveDate, i64)>,
) -> Result<Page<Card, (NaiveDate, i64)>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    super::service::list(&state.pool, scope.as_deref(), &filter, after, 50).await
}

/// One card, or `None` when the caller may not see it (any more).
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn get_card(id: OpportunityId) -> Result<Option<Card>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    super::service::card(&state.pool, scope.as_deref(), id).await
}

/// The opportunity page.
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound`.
#[server(input = Json)]
pub async fn get_opportunity(id: OpportunityId) -> Result<OpportunityDetail, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    super::service::detail(&state.pool, scope.as_deref(), id).await
}

/// Creates an opportunity for a customer in scope.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation`.
#[server(input = Json)]
pub async fn create_opportunity(input: OpportunityInput) -> Result<OpportunityId, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::create(&state, &caller, input).await
}

/// Moves an open opportunity to the recycle bin (won and lost ones stay).
///
/// Any signed-in user, for opportunities in their scope. Errors: `Unauthorized`, `Validation`,
/// `ChangedMeanwhile`, `NotFound`.
#[server(input = Json)]
pub async fn delete_opportunity(id: OpportunityId, version: i32) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::delete(&state, &caller, id, version).await
}

/// The opportunity recycle bin, most recently deleted first.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_deleted_opportunities(
    after: Option<(chrono::DateTime<chrono::Utc>, i64)>,
) -> Result<crate::paging::Page<crate::recycling::Binned, crate::recycling::BinKey>, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::deleted(&state.pool, after, 50).await
}

/// Restores an opportunity from the recycle bin.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `NotFound`.
#[server(input = Json)]
pub async fn restore_opportunity(id: OpportunityId) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::restore(&state, &caller, id).await
}

/// Edits an opportunity seen at `version`.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation`, `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn update_opportunity(
    id: OpportunityId,
    version: i32,
    input: OpportunityInput,
) -> Result<Card, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::update(&state, &caller, id, version, input).await
}

/// Moves a card seen at `version` to another stage; returns the card as saved.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation` (`stage_id`, `lost_reason`),
/// `Conflict` (someone else changed it first), `NotFound`.
#[server(input = Json)]
pub async fn move_opportunity(
    id: OpportunityId,
    version: i32,
    stage_id: StageId,
    lost_reason: Option<String>,
) -> Result<Card, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::move_to(&state, &caller, id, version, stage_id, lost_reason).await
}

/// A customer's open opportunities (the 360 page).
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound`.
#[server(input = Json)]
pub async fn customer_opportunities(customer_id: CustomerId) -> Result<Vec<Card>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    if !crate::customers::repo::visible(&state.pool, customer_id, scope.as_deref()).await? {
        return Err(AppError::NotFound);
    }
    super::service::open_for_customer(&state.pool, customer_id).await
}

/// The forecast for this and the next two months, per owner in the caller's scope.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn get_forecast() -> Result<Forecast, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    let today = crate::clock::today(state.clock.zone(&state.pool).await);
    super::service::forecast(&state.pool, scope.as_deref(), today, 3).await
}

/// The opportunities behind a forecast figure, with their weights.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn explain_forecast(
    month: NaiveDate,
    owner_id: Option<UserId>,
) -> Result<Vec<ForecastLine>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    super::service::forecast_lines(&state.pool, scope.as_deref(), month, owner_id).await
}

/// A year of monthly quotas for everyone in the caller's scope (`None`: this year, in the
/// company's time zone).
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `Validation`.
#[server(input = Json)]
pub async fn get_quotas(year: Option<i32>) -> Result<QuotaGrid, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Manager)?;
    let year = match year {
        Some(year) => year,
        None => {
            use chrono::Datelike;
            let zone = state.clock.zone(&state.pool).await;
            crate::clock::today(zone).year()
        }
    };
    let scope = caller.scope.visible_owners();
    super::service::quota_grid(&state.pool, scope.as_deref(), year).await
}

/// Sets a quota, from the version the editor read (0: none was set).
///
/// Managers and admins, for owners in their scope. Errors: `Unauthorized`, `Forbidden`,
/// `Validation`, `ChangedMeanwhile`.
#[server(input = Json)]
pub async fn save_quota(
    owner_id: UserId,
    month: NaiveDate,
    amount: String,
    version: i32,
) -> Result<QuotaCell, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Manager)?;
    super::service::save_quota(&state, &caller, owner_id, month, &amount, version).await
}
