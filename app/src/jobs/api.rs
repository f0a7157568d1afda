//! Server functions for the jobs page.

use super::model::JobSummary;
use crate::{error::AppError, paging::Page};
use leptos::{prelude::*, server_fn::codec::Json};

/// Recent jobs, newest first: all jobs for admins, one's own for others.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_jobs(before_id: Option<i64>) -> Result<Page<JobSummary>, AppError> {
    use crate::{
        auth::{model::Role, server::require},
        paging::page_size,
        state::AppState,
    };
    let caller = require(Role::Member)?;
    let only_own = (!caller.role().includes(Role::Admin)).then(|| caller.id());
    let state = AppState::from_context()?;
    super::queue::list(&state.pool, only_own, before_id, page_size(None)).await
}

/// Queues the maintenance clean-up now (it also runs hourly by itself).
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn start_maintenance() -> Result<i64, AppError> {
    use super::{model::kinds, queue};
    use crate::{
        audit::repo::{Change, record},
        auth::{model::Role, server::require},
        state::AppState,
    };
    let caller = require(Role::Admin)?;
    let state = AppState::from_context()?;
    let mut tx = state.pool.begin().await?;
    let mut job = queue::NewJob::new(kinds::MAINTENANCE, serde_json::json!({}));
    job.created_by = Some(caller.id());
    let id = queue::enqueue(&mut tx, job).await?.ok_or(AppError::Conflict)?;
    record(&mut *tx, caller.actor(), Change::new("start", "job", id)).await?;
    tx.commit().await?;
    Ok(id)
}

/// Re-queues a failed or cancelled job; it resumes from its last checkpoint.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`, `NotFound`.
#[server(input = Json)]
pub async fn retry_job(id: i64) -> Result<(), AppError> {
    use super::queue;
    use crate::{
        audit::repo::{Change, record},
        auth::{model::Role, server::require},
        events::publish,
        state::AppState,
    };
    let caller = require(Role::Admin)?;
    let state = AppState::from_context()?;
    let mut tx = state.pool.begin().await?;
    let creator = queue::retry(&mut *tx, id).await?;
    record(&mut *tx, caller.actor(), Change::new("retry", "job", id)).await?;
    publish(&mut *tx, &queue::job_event(id, creator)).await?;
    Ok(tx.commit().await?)
}

/// Cancels a queued or running job.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`, `NotFound`.
#[server(input = Json)]
pub async fn cancel_job(id: i64) -> Result<(), AppError> {
    use super::queue;
    use crate::{
        audit::repo::{Change, record},
        auth::{model::Role, server::require},
        events::publish,
        state::AppState,
    };
    let caller = require(Role::Admin)?;
    let state = AppState::from_context()?;
    let mut tx = state.pool.begin().await?;
    let creator = queue::cancel(&mut *tx, id).await?;
    record(&mut *tx, caller.actor(), Change::new("cancel", "job", id)).await?;
    publish(&mut *tx, &queue::job_event(id, creator)).await?;
    Ok(tx.commit().await?)
}
