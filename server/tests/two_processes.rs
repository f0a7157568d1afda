//! Two server processes against one database: sessions, jobs and events are shared through
//! Postgres, so a load balancer may send each request to either.

mod common;

use app::{
    auth::{api::GetCurrentUser, model::CurrentUser, model::Role},
    jobs::{
        api::{ListJobs, StartMaintenance},
        model::{JobStatus, JobSummary},
    },
    paging::Page,
    testing::TestDatabase,
};
use common::{Browser, PASSWORD};
use futures::StreamExt;
use std::time::{Duration, Instant};

fn browser(base: &str, jar: std::sync::Arc<reqwest::cookie::Jar>) -> Browser {
    Browser {
        client: reqwest::Client::builder().cookie_provider(jar).build().unwrap(),
        base: base.to_owned(),
    }
}

#[tokio::test]
async fn two_processes_share_sessions_jobs_and_events() {
    let db = TestDatabase::new().await;
    server::migrate(&db.pool).await.unwrap();
    db.user("admin@example.com", Role::Admin, None, PASSWORD).await;
    let (_a, base_a) = common::spawn_server(&db.url).await;
    let (_b, base_b) = common::spawn_server(&db.url).await;

    // Sign in on A; the same cookie works on B (cookies are per host, so copy it across).
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let on_a = browser(&base_a, jar.clone());
    assert!(on_a.sign_in("admin@example.com", PASSWORD).await.status().is_success());
    let cookie = reqwest::cookie::CookieStore::cookies(&*jar, &base_a.parse().unwrap()).unwrap();
    jar.add_cookie_str(cookie.to_str().unwrap(), &base_b.parse().unwrap());
    let on_b = browser(&base_b, jar.clone());
    let user: Option<CurrentUser> = on_b.ok(&GetCurrentUser {}).await;
    assert_eq!(user.unwrap().email, "admin@example.com");

    // Listen for events on B, then queue a job through A.
    let events = on_b.client.get(format!("{base_b}/events")).send().await.unwrap();
    assert!(events.status().is_success());
    let mut stream = events.bytes_stream();
    let job_id: i64 = on_a.ok(&StartMaintenance {}).await;

    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let marker = format!("\"topic\":\"job\",\"id\":{job_id}");
    while !seen.contains(&marker) {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(remaining, stream.next())
            .await
            .expect("B saw no event for the job queued on A")
            .expect("stream open")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }

    // The job runs exactly once although both processes have a worker.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page: Page<JobSummary> = on_b.ok(&ListJobs { before_id: None }).await;
        let job = page.items.iter().find(|j| j.id == job_id).expect("job listed on B").clone();
        if job.status == JobStatus::Succeeded {
            assert_eq!(job.attempts, 1, "claimed by exactly one worker");
            assert_eq!(job.percent(), Some(100));
            break;
        }
        assert!(Instant::now() < deadline, "job stuck in {:?}", job.status);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
