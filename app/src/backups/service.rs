//! Taking a backup as a job, recording every run, and checking each by restoring it into a
//! scratch database.

use super::{
    archive,
    model::{BackupOrigin, BackupOutcome, BackupOverview, BackupPlan, BackupRun},
};
use crate::{
    auth::model::UserId,
    error::AppError,
    jobs::context::{JobContext, JobError},
    paging::Page,
    state::BackupSettings,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::path::PathBuf;

/// A backup job's payload. The scheduler queues every nightly job with an empty payload, so
/// a missing origin means the nightly run.
#[derive(Debug, Serialize, Deserialize)]
pub struct BackupRequest {
    #[serde(default = "nightly")]
    pub origin: BackupOrigin,
}

fn nightly() -> BackupOrigin {
    BackupOrigin::Nightly
}

/// The backup job: write, then verify, recording the run as it goes.
pub async fn run(mut ctx: JobContext) -> Result<(), JobError> {
    let request: BackupRequest = ctx.payload()?;
    let Some(settings) = ctx.state.settings.backups.clone() else {
        return Err(JobError::Fatal("backups are not configured (GUANXI_BACKUP_DIR)".into()));
    };
    let pool = ctx.state.pool.clone();
    // An earlier attempt that died with its process left its run open: that run is over.
    sqlx::query!(
        "update backup_run set finished_at = now(), outcome = 'error',
                error = 'interrupted: the server stopped during the backup'
         where job_id = $1 and finished_at is null",
        ctx.job.id
    )
    .execute(&pool)
    .await?;
    let run = start(&pool, request.origin, ctx.job.created_by, Some(ctx.job.id)).await?;
    ctx.progress(0, Some(2), None).await?;
    let written = write(&pool, &settings, run).await.map_err(JobError::Fatal)?;
    ctx.progress(1, Some(2), None).await?;
    verify(&pool, &settings, run, &written).await.map_err(JobError::Fatal)?;
    ctx.progress(2, Some(2), None).await?;
    Ok(())
}

/// Opens the record of a backup run.
pub async fn start(
    pool: &PgPool,
    origin: BackupOrigin,
    requested_by: Option<UserId>,
    job_id: Option<i64>,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        "insert into backup_run (origin, requested_by, job_id) values ($1, $2, $3) returning id",
        origin.as_str(),
        requested_by.map(|u| u.0),
        job_id,
    )
    .fetch_one(pool)
    .await?)
}

/// Writes the backup of run `run` and records its size. On failure the run ends as `error`
/// and the reason is returned.
pub async fn write(pool: &PgPool, settings: &BackupSettings, run: i64) -> Result<PathBuf, String> {
    let written = archive::backup(
        &settings.database_url,
        &settings.folder,
        settings.keep,
        &settings.programs,
    )
    .await;
    match written {
        Ok((folder, manifest)) => {
            sqlx::query!(
                "update backup_run set folder = $2, dump_bytes = $3, table_count = $4, row_count = $5
                 where id = $1",
                run,
                folder.display().to_string(),
                manifest.dump_bytes as i64,
                manifest.tables.len() as i32,
                manifest.tables.iter().map(|t| t.rows).sum::<i64>(),
            )
            .execute(pool)
            .await
            .map_err(|e| e.to_string())?;
            Ok(folder)
        }
        Err(error) => {
            let reason = error.to_string();
            finish(pool, run, BackupOutcome::Error, Some(&reason))
                .await
                .map_err(|e| e.to_string())?;
            Err(reason)
        }
    }
}

/// Restores the written backup into a scratch database, compares it with the manifest and
/// drops the scratch copy; records the outcome. A failed check is returned as the reason.
pub async fn verify(
    pool: &PgPool,
    settings: &BackupSettings,
    run: i64,
    folder: &std::path::Path,
) -> Result<(), String> {
    if !settings.verify {
        return finish(pool, run, BackupOutcome::Unverified, None).await.map_err(|e| e.to_string());
    }
    let checked = check_by_restoring(settings, folder).await;
    let (outcome, reason) = match &checked {
        Ok(()) => (BackupOutcome::Passed, None),
        Err(reason) => (BackupOutcome::Failed, Some(reason.as_str())),
    };
    finish(pool, run, outcome, reason).await.map_err(|e| e.to_string())?;
    checked.map_err(|reason| format!("the backup's restore check failed: {reason}"))
}

async fn check_by_restoring(
    settings: &BackupSettings,
    folder: &std::path::Path,
) -> Result<(), String> {
    // Random, so two installations on one Postgres server never share a scratch database.
    let name = format!("guanxi_backup_check_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let scratch =
        archive::sibling_database_url(&settings.database_url, &name).map_err(|e| e.to_string())?;
    let restored = archive::restore(folder, &scratch, &settings.programs).await;
    let dropped = archive::drop_database(&scratch).await;
    restored.map_err(|e| e.to_string())?;
    if let Err(error) = dropped {
        tracing::warn!(%error, database = %name, "dropping a backup check's scratch database failed");
    }
    Ok(())
}

/// Closes a run with its outcome.
pub async fn finish(
    pool: &PgPool,
    run: i64,
    outcome: BackupOutcome,
    error: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query!(
        "update backup_run set finished_at = now(), outcome = $2, error = left($3, 2000) where id = $1",
        run,
        outcome.as_str(),
        error,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Runs, newest first, before `before_id` when given.
pub async fn list(
    pool: &PgPool,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<BackupRun>, AppError> {
    let rows = sqlx::query!(
        r#"
        select b.id, b.origin, u.display_name as "requested_by_name?",
               b.started_at as "started_at: DateTime<Utc>",
               b.finished_at as "finished_at: DateTime<Utc>",
               b.folder, b.dump_bytes, b.table_count, b.row_count, b.outcome, b.error
        from backup_run b
        left join app_user u on u.id = b.requested_by
        where ($1::bigint is null or b.id < $1)
        order by b.id desc
        limit $2
        "#,
        before_id,
        limit + 1,
    )
    .fetch_all(pool)
    .await?;
    let runs = rows
        .into_iter()
        .map(|r| BackupRun {
            id: r.id,
            origin: BackupOrigin::parse(&r.origin).unwrap_or(BackupOrigin::Command),
            requested_by_name: r.requested_by_name,
            started_at: r.started_at,
            finished_at: r.finished_at,
            folder: r.folder,
            dump_bytes: r.dump_bytes,
            table_count: r.table_count,
            row_count: r.row_count,
            outcome: BackupOutcome::parse(&r.outcome).unwrap_or(BackupOutcome::Error),
            error: r.error,
        })
        .collect();
    Ok(Page::from_overfetch(runs, limit, |run: &BackupRun| run.id))
}

/// The plan, the newest usable backup, and whether one is being taken.
pub async fn overview(
    pool: &PgPool,
    settings: Option<&BackupSettings>,
) -> Result<BackupOverview, AppError> {
    let last_usable_id = sqlx::query_scalar!(
        "select max(id) from backup_run where outcome in ('passed', 'unverified')"
    )
    .fetch_one(pool)
    .await?;
    let last_usable = match last_usable_id {
        Some(id) => list(pool, Some(id + 1), 1).await?.items.into_iter().next(),
        None => None,
    };
    let in_progress = sqlx::query_scalar!(
        r#"select exists(select 1 from job where kind = $1 and status in ('queued', 'running')) as "busy!""#,
        crate::jobs::model::kinds::BACKUP,
    )
    .fetch_one(pool)
    .await?;
    let plan = settings.map(|s| BackupPlan {
        folder: s.folder.display().to_string(),
        keep: s.keep,
        verify: s.verify,
    });
    Ok(BackupOverview { plan, last_usable, in_progress })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scheduled_job_without_an_origin_is_the_nightly_backup() {
        let request: BackupRequest = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(request.origin, BackupOrigin::Nightly);
        let asked: BackupRequest =
            serde_json::from_value(serde_json::json!({ "origin": "admin" })).unwrap();
        assert_eq!(asked.origin, BackupOrigin::Admin);
    }
}
