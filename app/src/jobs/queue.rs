//! The job table's operations: enqueue, claim with a lease, report progress, finish.

use super::model::{JobStatus, JobSummary};
use crate::{
    auth::model::{Role, UserId},
    error::AppError,
    events::{Audience, ServerEvent, Topic, publish},
    paging::Page,
};
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

/// How long a claim lasts without a heartbeat before another worker may take the job over.
pub const LEASE_SECS: f64 = 30.0;

/// A job to queue.
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: serde_json::Value,
    pub created_by: Option<UserId>,
    /// When set, no second unfinished-or-finished job of this kind with the same key is queued.
    pub dedupe_key: Option<String>,
    pub max_attempts: i32,
}

impl<'a> NewJob<'a> {
    pub fn new(kind: &'a str, payload: serde_json::Value) -> Self {
        Self { kind, payload, created_by: None, dedupe_key: None, max_attempts: 5 }
    }
}

/// The event that tells the creator and admins a job changed.
pub fn job_event(id: i64, created_by: Option<UserId>) -> ServerEvent {
    ServerEvent {
        topic: Topic::Job,
        id,
        audience: Audience::Users { ids: created_by.into_iter().collect(), or_role: Role::Admin },
    }
}

/// Queues a job and wakes the workers. Returns `None` when the dedupe key was already used.
pub async fn enqueue(
    connection: &mut sqlx::PgConnection,
    job: NewJob<'_>,
) -> Result<Option<i64>, AppError> {
    let id = sqlx::query_scalar!(
        r#"
        insert into job (kind, payload, created_by, dedupe_key, max_attempts)
        select $1, $2, $3, $4, $5
        where $4::text is null
           or not exists (select 1 from job where kind = $1 and dedupe_key = $4)
        on conflict do nothing
        returning id
        "#,
        job.kind,
        job.payload,
        job.created_by.map(|id| id.0),
        job.dedupe_key,
        job.max_attempts,
    )
    .fetch_optional(&mut *connection)
    .await?;
    if let Some(id) = id {
        publish(&mut *connection, &job_event(id, job.created_by)).await?;
    }
    Ok(id)
}

/// Queues one job of `kind` per id (payload `{field: id}`, dedupe key `kind:id`, so an id queued
/// before is not queued again) in one statement, and wakes the workers once: for work fanned
/// out per record, such as one email per customer. Returns how many were queued.
pub async fn enqueue_per_id(
    connection: &mut sqlx::PgConnection,
    kind: &str,
    field: &str,
    ids: &[i64],
) -> Result<u64, AppError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let queued = sqlx::query_scalar!(
        "insert into job (kind, payload, dedupe_key)
         select $1, jsonb_build_object($2::text, id), $1 || ':' || id
         from unnest($3::bigint[]) as id
         where not exists (select 1 from job where kind = $1 and dedupe_key = $1 || ':' || id)
         on conflict do nothing
         returning id",
        kind,
        field,
        ids,
    )
    .fetch_all(&mut *connection)
    .await?;
    // One event for the batch: workers wake on any job event and claim what is due.
    if let Some(first) = queued.first() {
        publish(&mut *connection, &job_event(*first, None)).await?;
    }
    Ok(queued.len() as u64)
}

/// A job this worker holds the lease of.
#[derive(Clone, Debug)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub max_attempts: i32,
    pub checkpoint: Option<serde_json::Value>,
    pub created_by: Option<UserId>,
}

/// Takes the oldest due job, or one whose worker's lease ran out, without waiting on jobs other
/// workers are claiming at the same moment.
///
/// A lapsed lease means the attempt's process died (or lost the database): that attempt
/// counts, so a job that crashes its process every time ends failed instead of being taken up
/// forever.
pub async fn claim(pool: &PgPool, worker: &str) -> Result<Option<ClaimedJob>, AppError> {
    sqlx::query!(
        r#"
        update job set status = 'failed', finished_at = now(), updated_at = now(),
                       locked_by = null, locked_until = null,
                       last_error = left('the process running it stopped during each of its '
                                         || attempts || ' attempts; last error: '
                                         || coalesce(last_error, 'none'), 2000)
        where status = 'running' and locked_until < now() and attempts >= max_attempts
        "#
    )
    .execute(pool)
    .await?;
    let row = sqlx::query!(
        r#"
        update job set status = 'running', attempts = attempts + 1, locked_by = $1,
                       locked_until = now() + $2 * interval '1 second', updated_at = now()
        where id = (
            select id from job
            where (status = 'queued' and run_at <= now())
               or (status = 'running' and locked_until < now() and attempts < max_attempts)
            order by run_at, id
            for update skip locked
            limit 1
        )
        returning id, kind, payload, attempts, max_attempts, checkpoint, created_by
        "#,
        worker,
        LEASE_SECS,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| ClaimedJob {
        id: r.id,
        kind: r.kind,
        payload: r.payload,
        attempts: r.attempts,
        max_attempts: r.max_attempts,
        checkpoint: r.checkpoint,
        created_by: r.created_by.map(UserId),
    }))
}

/// Records progress (and a resume point) and renews the lease. `false` means the job is no
/// longer this worker's to run: it was cancelled, or the lease lapsed and another worker took it.
pub async fn report_progress(
    pool: &PgPool,
    id: i64,
    worker: &str,
    done: i64,
    total: Option<i64>,
    checkpoint: Option<&serde_json::Value>,
) -> Result<bool, AppError> {
    let updated = sqlx::query!(
        r#"
        update job set progress_done = $3, progress_total = coalesce($4, progress_total),
                       checkpoint = coalesce($5, checkpoint),
                       locked_until = now() + $6 * interval '1 second', updated_at = now()
        where id = $1 and locked_by = $2 and status = 'running'
        "#,
        id,
        worker,
        done,
        total,
        checkpoint,
        LEASE_SECS,
    )
    .execute(pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Renews the lease without touching progress. Same meaning of `false` as `report_progress`.
pub async fn heartbeat(pool: &PgPool, id: i64, worker: &str) -> Result<bool, AppError> {
    let updated = sqlx::query!(
        "update job set locked_until = now() + $3 * interval '1 second'
         where id = $1 and locked_by = $2 and status = 'running'",
        id,
        worker,
        LEASE_SECS,
    )
    .execute(pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}

pub async fn complete(pool: &PgPool, id: i64, worker: &str) -> Result<(), AppError> {
    sqlx::query!(
        "update job set status = 'succeeded', finished_at = now(), updated_at = now(),
                        locked_by = null, locked_until = null, last_error = null,
                        progress_done = coalesce(progress_total, progress_done)
         where id = $1 and locked_by = $2 and status = 'running'",
        id,
        worker
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Hands a job back to the queue at shutdown, its attempt not counted: it resumes from its
/// last checkpoint in the next process.
pub async fn release(pool: &PgPool, id: i64, worker: &str) -> Result<(), AppError> {
    sqlx::query!(
        "update job set status = 'queued', run_at = now(), attempts = greatest(attempts - 1, 0),
                        locked_by = null, locked_until = null, updated_at = now()
         where id = $1 and locked_by = $2 and status = 'running'",
        id,
        worker
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Records a failed attempt: back to the queue while attempts remain, after 2, 4, 8 ... seconds
/// (at most ten minutes); otherwise failed.
pub async fn fail(
    pool: &PgPool,
    id: i64,
    worker: &str,
    error: &str,
    retryable: bool,
) -> Result<JobStatus, AppError> {
    let status = sqlx::query_scalar!(
        r#"
        update job set
            status = case when $4 and attempts < max_attempts then 'queued' else 'failed' end,
            run_at = now() + least(power(2, attempts), 600) * interval '1 second',
            finished_at = case when $4 and attempts < max_attempts then null else now() end,
            last_error = left($3, 2000), locked_by = null, locked_until = null, updated_at = now()
        where id = $1 and locked_by = $2 and status = 'running'
        returning status
        "#,
        id,
        worker,
        error,
        retryable,
    )
    .fetch_optional(pool)
    .await?;
    Ok(status.and_then(|s| JobStatus::parse(&s)).unwrap_or(JobStatus::Cancelled))
}

/// Puts a failed or cancelled job back in the queue with fresh attempts; it resumes from its
/// checkpoint. Returns the job's creator.
///
/// Errors: `NotFound` when no such job is failed or cancelled.
pub async fn retry(executor: impl PgExecutor<'_>, id: i64) -> Result<Option<UserId>, AppError> {
    let creator = sqlx::query_scalar!(
        "update job set status = 'queued', attempts = 0, run_at = now(), finished_at = null,
                        updated_at = now()
         where id = $1 and status in ('failed', 'cancelled')
         returning created_by",
        id
    )
    .fetch_optional(executor)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(creator.map(UserId))
}

/// Cancels a queued or running job; a running handler stops at its next progress report or
/// heartbeat. Returns the job's creator.
///
/// Errors: `NotFound` when no such job is queued or running.
pub async fn cancel(executor: impl PgExecutor<'_>, id: i64) -> Result<Option<UserId>, AppError> {
    let creator = sqlx::query_scalar!(
        "update job set status = 'cancelled', finished_at = now(), updated_at = now(),
                        locked_by = null, locked_until = null
         where id = $1 and status in ('queued', 'running')
         returning created_by",
        id
    )
    .fetch_optional(executor)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(creator.map(UserId))
}

/// Newest first. `created_by` limits the list to one user's jobs (non-admins).
pub async fn list(
    pool: &PgPool,
    created_by: Option<UserId>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<JobSummary>, AppError> {
    let rows = sqlx::query!(
        r#"
        select j.id, j.kind, j.status, j.attempts, j.max_attempts, j.progress_done,
               j.progress_total, j.last_error, u.display_name as "created_by_name?",
               j.created_at as "created_at: DateTime<Utc>",
               j.updated_at as "updated_at: DateTime<Utc>",
               j.finished_at as "finished_at: DateTime<Utc>"
        from job j
        left join app_user u on u.id = j.created_by
        where ($1::bigint is null or j.created_by = $1)
          and ($2::bigint is null or j.id < $2)
        order by j.id desc
        limit $3
        "#,
        created_by.map(|id| id.0),
        before_id,
        limit + 1,
    )
    .fetch_all(pool)
    .await?;
    let jobs = rows
        .into_iter()
        .map(|r| JobSummary {
            id: r.id,
            status: JobStatus::parse(&r.status).unwrap_or(JobStatus::Failed),
            kind: r.kind,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            progress_done: r.progress_done,
            progress_total: r.progress_total,
            last_error: r.last_error,
            created_by_name: r.created_by_name,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        })
        .collect();
    Ok(Page::from_overfetch(jobs, limit, |j: &JobSummary| j.id))
}

/// Jobs finished before `cutoff`, deleted; returns how many.
pub async fn purge_finished_before(
    executor: impl PgExecutor<'_>,
    cutoff: DateTime<Utc>,
) -> Result<u64, AppError> {
    let done = sqlx::query!(
        "delete from job where status in ('succeeded', 'failed', 'cancelled') and finished_at < $1",
        cutoff as _
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}
