//! Server functions of the data export page. The files themselves come from plain routes
//! (`exports::routes`), outside the server-function encodings.

use super::model::{ArchiveFile, ExportFormat};
use crate::error::AppError;
use leptos::{prelude::*, server_fn::codec::Json};

/// The company archives built in the last week, newest first.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_archives() -> Result<Vec<ArchiveFile>, AppError> {
    crate::auth::server::require(crate::auth::model::Role::Admin)?;
    let state = crate::state::AppState::from_context()?;
    let rows = sqlx::query!(
        r#"select f.id, f.name, f.size_bytes, f.created_at as "created_at: chrono::DateTime<chrono::Utc>",
                  f.completed_at as "completed_at: chrono::DateTime<chrono::Utc>",
                  f.expires_at as "expires_at: chrono::DateTime<chrono::Utc>",
                  f.job_id, coalesce(j.progress_done, 0) as "progress_done!", j.progress_total,
                  coalesce(j.status = 'failed', false) as "failed!"
           from export_file f left join job j on j.id = f.job_id
           where f.expires_at > now()
           order by f.id desc limit 20"#
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ArchiveFile {
            id: r.id,
            name: r.name,
            size_bytes: r.size_bytes,
            created_at: r.created_at,
            completed_at: r.completed_at,
            expires_at: r.expires_at,
            job_id: r.job_id,
            progress_done: r.progress_done,
            progress_total: r.progress_total,
            failed: r.failed,
        })
        .collect())
}

/// Starts building an archive of the company's data; returns its file id.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Conflict` (one is being built).
#[server(input = Json)]
pub async fn start_archive(format: ExportFormat) -> Result<i64, AppError> {
    use crate::{
        audit::repo::{Change, record},
        jobs::{
            model::kinds,
            queue::{self, NewJob},
        },
    };
    let caller = crate::auth::server::require(crate::auth::model::Role::Admin)?;
    let state = crate::state::AppState::from_context()?;
    let locale = crate::auth::server::request_context()?.locale;
    let zone = state.clock.zone(&state.pool).await;
    let today = crate::clock::local_date(chrono::Utc::now(), zone);
    let mut tx = state.pool.begin().await?;
    let building: bool = sqlx::query_scalar!(
        r#"select exists(select 1 from export_file f join job j on j.id = f.job_id
                         where f.completed_at is null and j.status in ('queued', 'running')) as "b!""#
    )
    .fetch_one(&mut *tx)
    .await?;
    if building {
        return Err(AppError::Conflict);
    }
    let name = format!("guanxi-{}-{}.zip", format.as_str(), today.format("%Y%m%d"));
    let file_id = sqlx::query_scalar!(
        "insert into export_file (name, content_type, created_by) values ($1, 'application/zip', $2)
         returning id",
        name,
        caller.id().0
    )
    .fetch_one(&mut *tx)
    .await?;
    let payload = super::archive::ArchivePayload { file_id, format, locale };
    let mut job = NewJob::new(
        kinds::COMPANY_ARCHIVE,
        serde_json::to_value(&payload).map_err(AppError::internal)?,
    );
    job.created_by = Some(caller.id());
    job.max_attempts = 3;
    let job_id = queue::enqueue(&mut tx, job).await?.ok_or(AppError::Conflict)?;
    sqlx::query!("update export_file set job_id = $2 where id = $1", file_id, job_id)
        .execute(&mut *tx)
        .await?;
    record(&mut *tx, caller.actor(), Change::new("archive", "export_file", file_id)).await?;
    tx.commit().await?;
    Ok(file_id)
}
