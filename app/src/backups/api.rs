//! Server functions of the backups page.

use super::model::{BackupOverview, BackupRun};
use crate::{error::AppError, paging::Page};
use leptos::{prelude::*, server_fn::codec::Json};

/// How the server backs up, its newest usable backup, and whether one is being taken.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn get_backup_overview() -> Result<BackupOverview, AppError> {
    use crate::{
        auth::{model::Role, server::require},
        state::AppState,
    };
    require(Role::Admin)?;
    let state = AppState::from_context()?;
    super::service::overview(&state.pool, state.settings.backups.as_ref()).await
}

/// Backups, newest first.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_backups(before_id: Option<i64>) -> Result<Page<BackupRun>, AppError> {
    use crate::{
        auth::{model::Role, server::require},
        paging::page_size,
        state::AppState,
    };
    require(Role::Admin)?;
    let state = AppState::from_context()?;
    super::service::list(&state.pool, before_id, page_size(Some(20))).await
}

/// Queues a backup now; when one is already queued or running, returns that job instead of
/// queueing a second.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`, `Validation` (`backup`: backups are not
/// configured on this server).
#[server(input = Json)]
pub async fn start_backup() -> Result<i64, AppError> {
    use super::{model::BackupOrigin, service::BackupRequest};
    use crate::{
        audit::repo::{Change, record},
        auth::{model::Role, server::require},
        error::FieldError,
        jobs::{model::kinds, queue},
        state::AppState,
    };
    let caller = require(Role::Admin)?;
    let state = AppState::from_context()?;
    if state.settings.backups.is_none() {
        return Err(AppError::validation("backup", FieldError::BackupsNotConfigured));
    }
    let mut tx = state.pool.begin().await?;
    // One admin's double click, or two admins at once, queue one backup.
    sqlx::query!("select pg_advisory_xact_lock(hashtext('guanxi:start_backup'))")
        .execute(&mut *tx)
        .await?;
    let running = sqlx::query_scalar!(
        "select id from job where kind = $1 and status in ('queued', 'running') order by id limit 1",
        kinds::BACKUP
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = running {
        return Ok(id);
    }
    let mut job = queue::NewJob::new(
        kinds::BACKUP,
        serde_json::json!(BackupRequest { origin: BackupOrigin::Admin }),
    );
    job.created_by = Some(caller.id());
    let id = queue::enqueue(&mut tx, job).await?.ok_or(AppError::Conflict)?;
    record(&mut *tx, caller.actor(), Change::new("start", "backup", id)).await?;
    tx.commit().await?;
    Ok(id)
}
