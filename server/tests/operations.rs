//! What an operator's monitoring reads: `/metrics`.

mod common;

use app::auth::{api::GetCurrentUser, model::Role};
use common::{TestServer, test_config};
use reqwest::{StatusCode, header};

fn series<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines().filter(|line| line.starts_with(prefix)).collect()
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_pool_queue_and_listeners() {
    let server = TestServer::start().await;
    server.user("member@example.com", Role::Member).await;
    server.user("admin@example.com", Role::Admin).await;
    let browser = server.signed_in("member@example.com").await;
    // No worker runs in this test server: the job stays queued.
    let admin = server.signed_in("admin@example.com").await;
    let _job: i64 = admin.ok(&app::jobs::api::StartMaintenance {}).await;
    for _ in 0..3 {
        let _: Option<app::auth::model::CurrentUser> = browser.ok(&GetCurrentUser {}).await;
    }
    let refused = reqwest::Client::new()
        .post(format!("{}/api/get_current_user1", server.base))
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let _ = reqwest::get(format!("{}/customers/12345", server.base)).await.unwrap();

    let response = reqwest::get(format!("{}/metrics", server.base)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "loopback callers may read");
    let text = response.text().await.unwrap();
    let calls = series(&text, "guanxi_http_requests_total{");
    let current_user: Vec<_> = calls
        .iter()
        .filter(|l| l.contains("route=\"/api/get_current_user\"") && l.contains("status=\"200\""))
        .collect();
    assert_eq!(current_user.len(), 1, "one series, without the build hash: {calls:?}");
    assert!(current_user[0].ends_with(" 3"), "{}", current_user[0]);
    assert!(
        calls.iter().any(|l| l.contains("status=\"403\"")),
        "refusals by the outer layers are counted: {calls:?}"
    );
    assert!(
        calls.iter().any(|l| l.contains("route=\"/customers/{id}\"")),
        "pages count under their pattern, not their id: {calls:?}"
    );
    assert!(!series(&text, "guanxi_http_request_duration_seconds_bucket{").is_empty());
    assert!(text.contains("guanxi_db_connections{state=\"in_use\"}"));
    assert!(text.contains("guanxi_jobs{status=\"failed\"} 0"));
    assert!(text.contains("guanxi_jobs{status=\"queued\"} 1"), "{text}");
    assert!(text.contains("guanxi_jobs{status=\"succeeded\"} 0"), "every status the queue uses");
    assert!(text.contains("guanxi_event_listeners "));
}

#[tokio::test]
async fn with_a_token_configured_metrics_need_it() {
    let mut config = test_config(false);
    config.metrics_token = Some("s3cret-metrics-token".into());
    let server = TestServer::start_with(config).await;
    let url = format!("{}/metrics", server.base);
    let client = reqwest::Client::new();
    let without = client.get(&url).send().await.unwrap();
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    let wrong = client.get(&url).bearer_auth("guess").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let right = client.get(&url).bearer_auth("s3cret-metrics-token").send().await.unwrap();
    assert_eq!(right.status(), StatusCode::OK);
}

/// A clean start logs no error: an operator's first look at the log finds nothing to chase.
/// (The router renders the app once at start-up to list its routes, outside any request; the
/// frame once logged "request context missing" there.)
#[tokio::test]
async fn a_clean_start_logs_no_error() {
    let db = app::testing::TestDatabase::new().await;
    let path = std::env::temp_dir().join(format!("guanxi-start-{}.log", std::process::id()));
    let log = std::fs::File::create(&path).unwrap();
    let (mut server, base) = common::spawn_server_logging_to(&db.url, log.into()).await;
    let page = reqwest::get(format!("{base}/login")).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    server.kill();
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let errors: Vec<&str> = text.lines().filter(|line| line.contains("ERROR")).collect();
    assert!(errors.is_empty(), "errors logged at start-up: {errors:#?}");
}
