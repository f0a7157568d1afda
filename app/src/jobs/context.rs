//! What a job handler gets and returns, and what the root lends the workers: every area's
//! handlers. The queue and the workers sit below the areas; an area hands its long work to a
//! handler registered at the root (`crate::registry`), never to the worker by name.

use super::queue::{self, ClaimedJob};
use crate::{auth::server::Actor, error::AppError, events::publish, state::AppState};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};

/// How a job attempt ended badly.
#[derive(Debug)]
pub enum JobError {
    /// Worth another attempt (database unreachable, a deadlock...).
    Retry(String),
    /// Will fail the same way again (bad payload): no retry.
    Fatal(String),
    /// The job was cancelled or taken over by another worker; stop without recording anything.
    Stopped,
}

impl From<AppError> for JobError {
    fn from(error: AppError) -> Self {
        JobError::Retry(error.to_string())
    }
}

impl From<sqlx::Error> for JobError {
    fn from(error: sqlx::Error) -> Self {
        JobError::Retry(error.to_string())
    }
}

/// What a handler gets: the state, the job, and a way to report progress.
pub struct JobContext {
    pub state: AppState,
    pub job: ClaimedJob,
    worker: String,
    last_event: Option<Instant>,
}

impl JobContext {
    /// The context of `job`, claimed by `worker`.
    pub(super) fn new(state: AppState, job: ClaimedJob, worker: &str) -> Self {
        JobContext { state, job, worker: worker.to_owned(), last_event: None }
    }

    /// The job's payload, decoded. A payload that does not decode is a fatal error.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_value(self.job.payload.clone())
            .map_err(|e| JobError::Fatal(format!("bad payload: {e}")))
    }

    /// Who the job acts as on the audit log: whoever queued it (no one for scheduled work).
    pub fn actor(&self) -> Actor {
        Actor { user_id: self.job.created_by, client_ip: None }
    }

    /// Where a previous attempt stopped, if it recorded a checkpoint.
    pub fn checkpoint<T: DeserializeOwned>(&self) -> Option<T> {
        self.job.checkpoint.clone().and_then(|c| serde_json::from_value(c).ok())
    }

    /// Records progress and, optionally, a checkpoint to resume from. Returns `Stopped` when the
    /// job was cancelled or is no longer ours, so handlers simply `?` it.
    pub async fn progress(
        &mut self,
        done: i64,
        total: Option<i64>,
        checkpoint: Option<serde_json::Value>,
    ) -> Result<(), JobError> {
        let pool = &self.state.pool;
        let still_ours = queue::report_progress(
            pool,
            self.job.id,
            &self.worker,
            done,
            total,
            checkpoint.as_ref(),
        )
        .await?;
        if !still_ours {
            return Err(JobError::Stopped);
        }
        // Browsers need a few updates a second at most, however fast the job reports.
        let due = self.last_event.is_none_or(|at| at.elapsed() >= Duration::from_millis(250));
        if due || total == Some(done) {
            self.last_event = Some(Instant::now());
            publish(pool, &queue::job_event(self.job.id, self.job.created_by)).await?;
        }
        Ok(())
    }
}

/// Runs one job attempt.
pub type Handler = fn(JobContext) -> BoxFuture<'static, Result<(), JobError>>;

/// What the root lends the workers of a process: the handler of each area's job kinds, and the
/// loops areas keep running beside the queue (reminders of due tasks, SLA breach sweeps).
#[derive(Clone, Copy)]
pub struct JobRegistry {
    pub handler_for: fn(&str) -> Option<Handler>,
    pub standing_loops: fn(AppState) -> Vec<BoxFuture<'static, ()>>,
}
