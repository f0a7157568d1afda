//! Server functions of tasks.

use super::model::*;
use crate::{
    customers::model::CustomerId, error::AppError, pipeline::model::OpportunityId,
    tickets::model::TicketId,
};
use chrono::{DateTime, Utc};
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn caller(
    role: crate::auth::model::Role,
) -> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError>
{
    Ok((crate::auth::server::require(role)?, crate::state::AppState::from_context()?))
}

/// The caller's overdue, today's and upcoming tasks; `today_end` is the end of the caller's
/// day in their own time zone.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn get_my_day(today_end: DateTime<Utc>) -> Result<MyDay, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::my_day(&state.pool, caller.id(), today_end).await
}

/// Open tasks of a ticket, an opportunity, or (without either) a customer.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_record_tasks(
    customer_id: Option<CustomerId>,
    opportunity_id: Option<OpportunityId>,
    ticket_id: Option<TicketId>,
) -> Result<Vec<Task>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    super::service::for_record(
        &state.pool,
        scope.as_deref(),
        customer_id,
        opportunity_id,
        ticket_id,
    )
    .await
}

/// Creates a task.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation`.
#[server(input = Json)]
pub async fn create_task(input: TaskInput) -> Result<TaskId, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::create(&state, &caller, input).await
}

/// Marks a task done; returns the next occurrence of a recurring one.
///
/// Any signed-in user. Errors: `Unauthorized`, `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn complete_task(id: TaskId, version: i32) -> Result<Option<TaskId>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::complete(&state, &caller, id, version).await
}

/// Edits an open task seen at `version` (reassigning it when `assignee_id` names someone else).
///
/// Its assignee, or anyone whose scope covers the assignee. Errors: `Unauthorized`,
/// `Validation`, `ChangedMeanwhile`, `NotFound`.
#[server(input = Json)]
pub async fn update_task(id: TaskId, version: i32, input: TaskInput) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::update(&state, &caller, id, version, input).await
}

/// Moves a task seen at `version` to the recycle bin.
///
/// Its assignee, or anyone whose scope covers the assignee. Errors: `Unauthorized`,
/// `ChangedMeanwhile`, `NotFound`.
#[server(input = Json)]
pub async fn delete_task(id: TaskId, version: i32) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::delete(&state, &caller, id, version).await
}

/// The task recycle bin, most recently deleted first.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_deleted_tasks(
    after: Option<(DateTime<Utc>, i64)>,
) -> Result<crate::paging::Page<crate::recycling::Binned, crate::recycling::BinKey>, AppError> {
    let (_, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::deleted(&state.pool, after, 50).await
}

/// Restores a task from the recycle bin.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `NotFound`.
#[server(input = Json)]
pub async fn restore_task(id: TaskId) -> Result<(), AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Admin)?;
    super::service::restore(&state, &caller, id).await
}

/// The caller's tasks that just fell due (for the in-app reminder).
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn get_due_reminders() -> Result<Vec<Task>, AppError> {
    let (caller, state) = caller(crate::auth::model::Role::Member)?;
    super::service::due_unannounced(&state.pool, caller.id()).await
}
