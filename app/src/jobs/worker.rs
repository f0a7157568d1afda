//! Workers that run queued jobs, in every server process.

use super::{
    context::{Handler, JobContext, JobError, JobRegistry},
    maintenance,
    model::kinds,
    queue::{self, ClaimedJob, LEASE_SECS, NewJob},
};
use crate::{events::Topic, events::publish, state::AppState};
use futures::FutureExt;
use std::time::Duration;

/// The kinds the queue itself owns: its maintenance, and in test builds jobs that misbehave.
fn own_handler(kind: &str) -> Option<Handler> {
    match kind {
        kinds::MAINTENANCE => Some(|ctx| Box::pin(maintenance::run(ctx))),
        #[cfg(feature = "testing")]
        kinds::TEST_PANIC => Some(|_| Box::pin(async { panic!("a bug in a job handler") })),
        #[cfg(feature = "testing")]
        kinds::TEST_ENDLESS => Some(|mut ctx| {
            Box::pin(async move {
                let mut done = ctx.checkpoint::<i64>().unwrap_or(0);
                loop {
                    done += 1;
                    ctx.progress(done, None, Some(serde_json::json!(done))).await?;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        }),
        _ => None,
    }
}

/// Starts `count` workers, the areas' standing loops and the maintenance scheduler for this
/// process.
pub fn spawn(
    state: AppState,
    process: &str,
    count: usize,
    registry: JobRegistry,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut handles = spawn_unscheduled(state.clone(), process, count, registry);
    if count > 0 {
        handles.push(tokio::spawn(schedule_maintenance(state)));
    }
    handles
}

/// `spawn` without the scheduler of nightly and hourly jobs: for tests, whose outcome must not
/// depend on the time of day (after 2 a.m. the scheduler queues a full tier recompute).
pub fn spawn_unscheduled(
    state: AppState,
    process: &str,
    count: usize,
    registry: JobRegistry,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut handles: Vec<_> = (0..count)
        .map(|n| tokio::spawn(work(state.clone(), format!("{process}/{n}"), registry)))
        .collect();
    if count > 0 {
        handles.extend((registry.standing_loops)(state).into_iter().map(tokio::spawn));
    }
    handles
}

async fn work(state: AppState, worker: String, registry: JobRegistry) {
    let mut closing = state.events.closing();
    let mut wake = state.events.subscribe();
    loop {
        if *closing.borrow() {
            return;
        }
        match queue::claim(&state.pool, &worker).await {
            Ok(Some(job)) => run(&state, &worker, job, registry).await,
            Ok(None) => {
                // Sleep until a job event (a new job may be queued) or a periodic look, since
                // retries come due without any event.
                let wait = async {
                    loop {
                        match wake.recv().await {
                            Ok(event) if event.topic == Topic::Job => return,
                            Ok(_) => continue,
                            Err(_) => return,
                        }
                    }
                };
                tokio::select! {
                    _ = wait => {}
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                    _ = closing.changed() => return,
                }
            }
            Err(error) => {
                tracing::warn!(%error, %worker, "claiming a job failed");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

async fn run(state: &AppState, worker: &str, job: ClaimedJob, registry: JobRegistry) {
    let (id, created_by, kind) = (job.id, job.created_by, job.kind.clone());
    let pool = &state.pool;
    let _ = publish(pool, &queue::job_event(id, created_by)).await;
    let Some(handler) = own_handler(&kind).or_else(|| (registry.handler_for)(&kind)) else {
        let _ =
            queue::fail(pool, id, worker, &format!("no handler for job kind {kind}"), false).await;
        return;
    };
    tracing::info!(id, %kind, attempt = job.attempts, %worker, "job started");
    let context = JobContext::new(state.clone(), job, worker);

    // The heartbeat keeps the lease while the handler works between progress reports, and stops
    // the handler (by dropping it) when the job was cancelled or taken over.
    let heartbeat = async {
        loop {
            tokio::time::sleep(Duration::from_secs_f64(LEASE_SECS / 3.0)).await;
            if let Ok(false) = queue::heartbeat(pool, id, worker).await {
                return;
            }
        }
    };
    // At shutdown a job gets a grace period to finish; then it is handed back to the queue and
    // resumes from its checkpoint in the next process.
    let mut closing = state.events.closing();
    let grace_over = async {
        while !*closing.borrow_and_update() {
            if closing.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        tokio::time::sleep(state.settings.shutdown_grace).await;
    };
    // A panic in a handler is this job's failure, not the worker's end.
    let guarded = std::panic::AssertUnwindSafe(handler(context)).catch_unwind();
    let outcome = tokio::select! {
        outcome = guarded => outcome.unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            tracing::error!(id, %kind, %message, "job handler panicked");
            Err(JobError::Retry(format!("the job's handler panicked: {message}")))
        }),
        _ = heartbeat => Err(JobError::Stopped),
        _ = grace_over => {
            tracing::info!(id, %kind, "shutting down: job handed back to the queue");
            if let Err(error) = queue::release(pool, id, worker).await {
                tracing::warn!(%error, id, "handing the job back failed; its lease will lapse");
            }
            Err(JobError::Stopped)
        }
    };
    let result = match &outcome {
        Ok(()) => queue::complete(pool, id, worker).await,
        Err(JobError::Retry(error)) => queue::fail(pool, id, worker, error, true).await.map(|_| ()),
        Err(JobError::Fatal(error)) => {
            queue::fail(pool, id, worker, error, false).await.map(|_| ())
        }
        Err(JobError::Stopped) => Ok(()),
    };
    if let Err(error) = result {
        tracing::warn!(%error, id, "recording the job outcome failed; its lease will lapse");
    }
    tracing::info!(id, %kind, outcome = ?outcome.as_ref().map_err(|e| format!("{e:?}")), "job ended");
    let _ = publish(pool, &queue::job_event(id, created_by)).await;
}

/// The hour of the company's night from which the nightly work of a day is queued.
const NIGHTLY_FROM_HOUR: u32 = 2;

/// The hour of the company's morning from which the day's notification digests are sent.
const DIGEST_FROM_HOUR: u32 = 8;

/// Work that runs on a schedule: (job kind, period key), in the company's zone, so the nightly
/// recompute runs at night where the company is and a week starts on its Monday. Every process
/// runs the scheduler; the dedupe key (kind and period) makes one job per period however many
/// processes there are.
fn scheduled(
    now: chrono::DateTime<chrono::Utc>,
    zone: chrono_tz::Tz,
    backups: bool,
) -> Vec<(&'static str, String)> {
    let local = now.with_timezone(&zone);
    let hour = local.format("%Y-%m-%dT%H").to_string();
    let mut due = vec![
        (kinds::MAINTENANCE, hour.clone()),
        (kinds::POINTS_EXPIRY, hour),
        (kinds::FORECAST_SNAPSHOT, local.format("%G-W%V").to_string()),
    ];
    // Scores age with time (recency), so tiers are recomputed nightly, once the night has come.
    if chrono::Timelike::hour(&local) >= NIGHTLY_FROM_HOUR {
        due.push((kinds::TIER_RECOMPUTE, local.format("%Y-%m-%d").to_string()));
        due.push((kinds::RECYCLE_PURGE, local.format("%Y-%m-%d").to_string()));
        if backups {
            due.push((kinds::BACKUP, local.format("%Y-%m-%d").to_string()));
        }
    }
    // Automation greets customers and hands out tasks: in the morning, as the digests.
    if chrono::Timelike::hour(&local) >= DIGEST_FROM_HOUR {
        due.push((kinds::NOTIFICATION_DIGEST, local.format("%Y-%m-%d").to_string()));
        due.push((kinds::AUTOMATION_RUN, local.format("%Y-%m-%d").to_string()));
    }
    due
}

/// Queues the scheduled jobs of the current period, every ten minutes.
async fn schedule_maintenance(state: AppState) {
    let mut closing = state.events.closing();
    loop {
        let zone = state.clock.zone(&state.pool).await;
        let backups = state.settings.backups.is_some();
        for (kind, period) in scheduled(chrono::Utc::now(), zone, backups) {
            let queued = async {
                let mut connection = state.pool.acquire().await?;
                let mut job = NewJob::new(kind, serde_json::json!({}));
                job.dedupe_key = Some(format!("{kind}:{period}"));
                queue::enqueue(&mut connection, job).await
            };
            if let Err(error) = queued.await {
                tracing::warn!(%error, kind, "scheduling a job failed");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
            _ = closing.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nightly_work_is_queued_after_two_at_night_in_the_company_zone() {
        let at = |text: &str| chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        let kinds_at = |now| scheduled(now, chrono_tz::Tz::Asia__Shanghai, true);
        // 17:30 UTC is 01:30 in Shanghai: not yet night enough.
        let early = kinds_at(at("2026-03-01T17:30:00Z"));
        assert!(!early.iter().any(|(kind, _)| *kind == kinds::TIER_RECOMPUTE));
        // 18:10 UTC is 02:10 on 2 March in Shanghai: the recompute of 2 March.
        let night = kinds_at(at("2026-03-01T18:10:00Z"));
        assert!(night.contains(&(kinds::TIER_RECOMPUTE, "2026-03-02".to_owned())), "{night:?}");
        assert!(night.contains(&(kinds::MAINTENANCE, "2026-03-02T02".to_owned())));
        assert!(night.contains(&(kinds::BACKUP, "2026-03-02".to_owned())));
        assert!(night.contains(&(kinds::RECYCLE_PURGE, "2026-03-02".to_owned())));
        assert!(!early.iter().any(|(kind, _)| *kind == kinds::RECYCLE_PURGE));
        assert!(!early.iter().any(|(kind, _)| *kind == kinds::BACKUP));
        let unconfigured =
            scheduled(at("2026-03-01T18:10:00Z"), chrono_tz::Tz::Asia__Shanghai, false);
        assert!(
            !unconfigured.iter().any(|(kind, _)| *kind == kinds::BACKUP),
            "no folder, no backup"
        );
        // Digests go out from eight in the morning where the company is.
        assert!(!night.iter().any(|(kind, _)| *kind == kinds::NOTIFICATION_DIGEST));
        let morning = kinds_at(at("2026-03-02T00:05:00Z"));
        assert!(morning.contains(&(kinds::NOTIFICATION_DIGEST, "2026-03-02".to_owned())));
        assert!(morning.contains(&(kinds::AUTOMATION_RUN, "2026-03-02".to_owned())));
        assert!(!night.iter().any(|(kind, _)| *kind == kinds::AUTOMATION_RUN));
    }
}
