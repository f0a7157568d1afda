//! Automation rules over HTTP: only admins write and run them, managers read them, and two
//! server processes running the rules at the same moment act once per customer.

mod common;

use app::{
    auth::model::Role,
    automation::{
        api::{ListRules, PreviewRule, RuleChoices, RunRulesNow, SaveRule},
        model::{ActionKind, Rule, RuleId, RuleInput, TriggerKind},
    },
    error::AppError,
    testing::TestDatabase,
};
use common::{PASSWORD, TestServer, app_error, browser_for};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

fn win_back() -> RuleInput {
    RuleInput {
        name: "Win back".into(),
        trigger: TriggerKind::TurnedSilent,
        action: ActionKind::Task,
        task_title: "Call {name}".into(),
        active: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn rules_are_written_and_run_by_admins_and_read_by_managers() {
    let server = TestServer::start().await;
    server.user("member@example.com", Role::Member).await;
    server.user("manager@example.com", Role::Manager).await;
    server.user("admin@example.com", Role::Admin).await;
    let member = server.signed_in("member@example.com").await;
    let manager = server.signed_in("manager@example.com").await;
    let admin = server.signed_in("admin@example.com").await;

    let save = SaveRule { id: None, version: 0, input: win_back() };
    let preview = PreviewRule { id: None, input: win_back() };
    for browser in [&member, &manager] {
        assert_eq!(
            app_error(browser.call(&save).await).await,
            (StatusCode::FORBIDDEN, AppError::Forbidden)
        );
        assert_eq!(app_error(browser.call(&preview).await).await.1, AppError::Forbidden);
        assert_eq!(app_error(browser.call(&RunRulesNow {}).await).await.1, AppError::Forbidden);
    }
    assert_eq!(app_error(member.call(&ListRules {}).await).await.1, AppError::Forbidden);
    assert_eq!(server.count("select count(*) from automation_rule").await, 0);

    // A bad rule is refused at its fields, in words the form shows.
    let unnamed =
        SaveRule { id: None, version: 0, input: RuleInput { name: " ".into(), ..win_back() } };
    let (status, error) = app_error(admin.call(&unnamed).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let AppError::Validation(fields) = error else { panic!("{error:?}") };
    assert!(!fields.get("name").is_empty());

    let id: RuleId = admin.ok(&save).await;
    let (rules, _): (Vec<Rule>, RuleChoices) = manager.ok(&ListRules {}).await;
    assert_eq!(rules.iter().map(|r| r.id).collect::<Vec<_>>(), vec![id]);
    // Saving from a stale version is refused, not applied.
    let stale = SaveRule { id: Some(id), version: 0, input: win_back() };
    assert_eq!(app_error(admin.call(&stale).await).await.1, AppError::Conflict);
}

/// Waits until no automation job is queued or running.
async fn rules_done(db: &TestDatabase) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let busy: i64 = sqlx::query_scalar(
            "select count(*) from job where kind = 'automation_run' and status in ('queued', 'running')",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        if busy == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the rules were still running after 90 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn two_server_processes_running_the_rules_at_once_act_once_per_customer() {
    let db = TestDatabase::new().await;
    server::migrate(&db.pool).await.unwrap();
    db.user("admin@example.com", Role::Admin, None, PASSWORD).await;
    let owner = db.user("owner@example.com", Role::Member, None, PASSWORD).await;
    // 400 customers whose last order left the 180-day window today, so that the evaluations
    // take long enough to overlap.
    sqlx::query(
        "insert into customer (name, owner_id, order_count, first_order_at, last_order_at)
         select 'Silent ' || n, $1, 1, now() - interval '181 days', now() - interval '181 days'
         from generate_series(1, 400) as n",
    )
    .bind(owner.0)
    .execute(&db.pool)
    .await
    .unwrap();
    let (_a, base_a) = common::spawn_server(&db.url).await;
    let (_b, base_b) = common::spawn_server(&db.url).await;
    let on_a = browser_for(&base_a);
    let on_b = browser_for(&base_b);
    for browser in [&on_a, &on_b] {
        assert!(browser.sign_in("admin@example.com", PASSWORD).await.status().is_success());
    }
    let _: RuleId = on_a.ok(&SaveRule { id: None, version: 0, input: win_back() }).await;
    for _ in 0..3 {
        let (a, b) = tokio::join!(on_a.call(&RunRulesNow {}), on_b.call(&RunRulesNow {}));
        assert!(a.status().is_success() && b.status().is_success());
    }
    rules_done(&db).await;
    let count = |sql: &'static str| {
        let pool = db.pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    // The six asked for (the servers' own morning run, queued by no one after 08:00 company
    // time, may come on top of them).
    assert_eq!(
        count(
            "select count(*) from job
             where kind = 'automation_run' and status = 'succeeded' and created_by is not null"
        )
        .await,
        6
    );
    assert_eq!(
        count("select count(*) from job where kind = 'automation_run' and status = 'failed'").await,
        0
    );
    assert_eq!(count("select count(*) from task").await, 400);
    assert_eq!(count("select count(distinct customer_id) from task").await, 400);
    assert_eq!(count("select count(*) from automation_run where task_id is not null").await, 400);
}
