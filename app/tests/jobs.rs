//! The Postgres job queue: exclusive claims, leases, retries, cancellation, de-duplication.

use app::{
    jobs::{
        model::{JobStatus, kinds},
        queue::{self, NewJob},
    },
    state::Settings,
    testing::{Background, TestDatabase},
};
use serde_json::json;

async fn enqueue(db: &TestDatabase, job: NewJob<'_>) -> Option<i64> {
    let mut connection = db.pool.acquire().await.unwrap();
    queue::enqueue(&mut connection, job).await.unwrap()
}

async fn status(db: &TestDatabase, id: i64) -> (String, i32) {
    sqlx::query_as("select status, attempts from job where id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_job() {
    let db = TestDatabase::new().await;
    for n in 0..20 {
        enqueue(&db, NewJob::new("test", json!({ "n": n }))).await.unwrap();
    }
    // Eight workers race for twenty jobs.
    let mut handles = Vec::new();
    for w in 0..8 {
        let pool = db.pool.clone();
        handles.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(job) = queue::claim(&pool, &format!("w{w}")).await.unwrap() {
                mine.push(job.id);
            }
            mine
        }));
    }
    let mut claimed = Vec::new();
    for handle in handles {
        claimed.extend(handle.await.unwrap());
    }
    claimed.sort_unstable();
    let before = claimed.len();
    claimed.dedup();
    assert_eq!(before, 20, "every job claimed");
    assert_eq!(claimed.len(), 20, "no job claimed twice");
}

#[tokio::test]
async fn a_job_whose_worker_died_is_claimed_again_and_resumes_from_its_checkpoint() {
    let db = TestDatabase::new().await;
    let id = enqueue(&db, NewJob::new("test", json!({}))).await.unwrap();
    let first = queue::claim(&db.pool, "dead-worker").await.unwrap().unwrap();
    assert!(
        queue::report_progress(
            &db.pool,
            id,
            "dead-worker",
            40,
            Some(100),
            Some(&json!({"after": 40}))
        )
        .await
        .unwrap()
    );
    assert_eq!(first.checkpoint, None);
    // While the lease holds, nobody else gets it.
    assert!(queue::claim(&db.pool, "other").await.unwrap().is_none());

    // The worker dies: its lease runs out.
    sqlx::query("update job set locked_until = now() - interval '1 second' where id = $1")
        .bind(id)
        .execute(&db.pool)
        .await
        .unwrap();
    let second = queue::claim(&db.pool, "other").await.unwrap().expect("reclaimed");
    assert_eq!(second.id, id);
    assert_eq!(second.attempts, 2);
    assert_eq!(second.checkpoint, Some(json!({"after": 40})));
    // The dead worker's late report is refused: the job is no longer its own.
    assert!(!queue::report_progress(&db.pool, id, "dead-worker", 50, None, None).await.unwrap());
}

#[tokio::test]
async fn failures_retry_with_backoff_until_attempts_run_out() {
    let db = TestDatabase::new().await;
    let mut job = NewJob::new("test", json!({}));
    job.max_attempts = 2;
    let id = enqueue(&db, job).await.unwrap();

    queue::claim(&db.pool, "w").await.unwrap().unwrap();
    let after_first = queue::fail(&db.pool, id, "w", "database hiccup", true).await.unwrap();
    assert_eq!(after_first, JobStatus::Queued);
    let delay: f64 = sqlx::query_scalar(
        "select extract(epoch from run_at - now())::float8 from job where id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!((1.0..=2.5).contains(&delay), "first retry after about 2 s, got {delay}");
    assert!(queue::claim(&db.pool, "w").await.unwrap().is_none(), "not due yet");

    sqlx::query("update job set run_at = now() where id = $1")
        .bind(id)
        .execute(&db.pool)
        .await
        .unwrap();
    queue::claim(&db.pool, "w").await.unwrap().unwrap();
    let after_second = queue::fail(&db.pool, id, "w", "still broken", true).await.unwrap();
    assert_eq!(after_second, JobStatus::Failed);
    assert_eq!(status(&db, id).await, ("failed".into(), 2));

    // An admin's retry starts it afresh.
    queue::retry(&db.pool, id).await.unwrap();
    assert_eq!(status(&db, id).await, ("queued".into(), 0));
}

#[tokio::test]
async fn a_fatal_error_fails_at_once() {
    let db = TestDatabase::new().await;
    let id = enqueue(&db, NewJob::new("test", json!({}))).await.unwrap();
    queue::claim(&db.pool, "w").await.unwrap().unwrap();
    assert_eq!(
        queue::fail(&db.pool, id, "w", "bad payload", false).await.unwrap(),
        JobStatus::Failed
    );
}

#[tokio::test]
async fn cancelling_a_running_job_stops_its_progress_reports() {
    let db = TestDatabase::new().await;
    let id = enqueue(&db, NewJob::new("test", json!({}))).await.unwrap();
    queue::claim(&db.pool, "w").await.unwrap().unwrap();
    queue::cancel(&db.pool, id).await.unwrap();
    assert!(!queue::report_progress(&db.pool, id, "w", 1, None, None).await.unwrap());
    assert!(!queue::heartbeat(&db.pool, id, "w").await.unwrap());
    // Completing after cancellation changes nothing.
    queue::complete(&db.pool, id, "w").await.unwrap();
    assert_eq!(status(&db, id).await.0, "cancelled");
    assert!(queue::cancel(&db.pool, id).await.is_err(), "already finished");
}

#[tokio::test]
async fn a_dedupe_key_queues_a_job_once() {
    let db = TestDatabase::new().await;
    let keyed = || {
        let mut job = NewJob::new(kinds::MAINTENANCE, json!({}));
        job.dedupe_key = Some("maintenance:2026-11-22T10".into());
        job
    };
    let first = enqueue(&db, keyed()).await;
    assert!(first.is_some());
    assert_eq!(enqueue(&db, keyed()).await, None, "same key while queued");
    queue::claim(&db.pool, "w").await.unwrap().unwrap();
    queue::complete(&db.pool, first.unwrap(), "w").await.unwrap();
    assert_eq!(enqueue(&db, keyed()).await, None, "same key after it finished");
}

#[tokio::test]
async fn the_maintenance_job_runs_end_to_end_through_a_worker() {
    let db = TestDatabase::new().await;
    let state = db.state();
    // An expired session and an old sign-in failure to clean up.
    let user = db
        .user("old@example.com", app::auth::model::Role::Member, None, "irrelevant password")
        .await;
    sqlx::query("insert into user_session (id, user_id, expires_at) values (gen_random_uuid(), $1, now() - interval '1 hour')")
        .bind(user.0)
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("insert into login_failure (email, failed_at) values ('x@example.com', now() - interval '2 days')")
        .execute(&db.pool)
        .await
        .unwrap();
    let id = enqueue(&db, NewJob::new(kinds::MAINTENANCE, json!({}))).await.unwrap();

    let background = app::testing::Background::start(&state);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while status(&db, id).await.0 != "succeeded" {
        assert!(
            std::time::Instant::now() < deadline,
            "maintenance did not finish: {:?}",
            status(&db, id).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    drop(background);
    let sessions: i64 =
        sqlx::query_scalar("select count(*) from user_session").fetch_one(&db.pool).await.unwrap();
    let failures: i64 =
        sqlx::query_scalar("select count(*) from login_failure").fetch_one(&db.pool).await.unwrap();
    assert_eq!((sessions, failures), (0, 0));
    let (done, total): (i64, Option<i64>) =
        sqlx::query_as("select progress_done, progress_total from job where id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((done, total), (4, Some(4)));
}

async fn last_error(db: &TestDatabase, id: i64) -> String {
    sqlx::query_scalar("select last_error from job where id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn progress_done(db: &TestDatabase, id: i64) -> i64 {
    sqlx::query_scalar("select progress_done from job where id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn wait_for_status(db: &TestDatabase, id: i64, wanted: &str) -> (String, i32) {
    for _ in 0..300 {
        let now = status(db, id).await;
        if now.0 == wanted {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("job {id} never became {wanted}: {:?}", status(db, id).await);
}

#[tokio::test]
async fn a_job_that_keeps_killing_its_process_ends_failed_instead_of_running_forever() {
    let db = TestDatabase::new().await;
    let mut job = NewJob::new("test", json!({}));
    job.max_attempts = 2;
    let id = enqueue(&db, job).await.unwrap();
    // Each attempt's process dies: its lease lapses without a word.
    for attempt in 1..=2 {
        let claimed = queue::claim(&db.pool, &format!("doomed-{attempt}")).await.unwrap().unwrap();
        assert_eq!((claimed.id, claimed.attempts), (id, attempt));
        sqlx::query("update job set locked_until = now() - interval '1 second' where id = $1")
            .bind(id)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    assert!(queue::claim(&db.pool, "third").await.unwrap().is_none(), "no third attempt");
    assert_eq!(status(&db, id).await, ("failed".to_owned(), 2));
    let error = last_error(&db, id).await;
    assert!(error.contains("stopped during each of its 2 attempts"), "{error}");
}

#[tokio::test]
async fn a_panicking_handler_fails_its_job_and_the_worker_goes_on() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let mut panicking = NewJob::new(kinds::TEST_PANIC, json!({}));
    panicking.max_attempts = 1;
    let bad = enqueue(&db, panicking).await.unwrap();
    let _background = Background::start(&state); // one worker
    assert_eq!(wait_for_status(&db, bad, "failed").await, ("failed".to_owned(), 1));
    let error = last_error(&db, bad).await;
    assert!(error.contains("panicked: a bug in a job handler"), "{error}");
    // The same (only) worker still takes jobs.
    let next = enqueue(&db, NewJob::new(kinds::MAINTENANCE, json!({}))).await.unwrap();
    wait_for_status(&db, next, "succeeded").await;
}

#[tokio::test]
async fn at_shutdown_a_running_job_is_handed_back_and_resumes_from_its_checkpoint() {
    let db = TestDatabase::new().await;
    let state = db.state_with(Settings {
        shutdown_grace: std::time::Duration::from_millis(300),
        ..Settings::default()
    });
    let id = enqueue(&db, NewJob::new(kinds::TEST_ENDLESS, json!({}))).await.unwrap();
    let background = Background::start(&state);
    for _ in 0..300 {
        let done = progress_done(&db, id).await;
        if done >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    state.events.close(); // shutdown begins
    // Back in the queue, its attempt not counted, its checkpoint kept for the next process.
    assert_eq!(wait_for_status(&db, id, "queued").await, ("queued".to_owned(), 0));
    drop(background);
    let resumed = queue::claim(&db.pool, "next-process").await.unwrap().unwrap();
    assert_eq!(resumed.id, id);
    let checkpoint: i64 = serde_json::from_value(resumed.checkpoint.unwrap()).unwrap();
    assert!(checkpoint >= 3, "resumes from {checkpoint}");
}

#[tokio::test]
async fn a_tier_recompute_waits_for_the_one_running_before_it_grades() {
    let db = TestDatabase::new().await;
    let state = db.state();
    // Stand in for a recompute already running in another process: hold its lock.
    let mut other = db.pool.acquire().await.unwrap().detach();
    sqlx::query("select pg_advisory_lock(hashtextextended('guanxi tier recompute', 0))")
        .execute(&mut other)
        .await
        .unwrap();
    let id = enqueue(&db, NewJob::new(kinds::TIER_RECOMPUTE, json!({}))).await.unwrap();
    let background = Background::start(&state);
    wait_for_status(&db, id, "running").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let done = progress_done(&db, id).await;
    assert_eq!(done, 0, "it waits without grading anyone");
    sqlx::Connection::close(other).await.unwrap();
    wait_for_status(&db, id, "succeeded").await;
    drop(background);
}
