//! `server create-admin`: the first admin of a database set up without demo data.

mod common;

use app::testing::TestDatabase;
use reqwest::StatusCode;
use std::process::{Command, Output};

fn create_admin(database_url: &str, email: &str, password: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["create-admin", "--email", email, "--name", "首位管理员"])
        .env("DATABASE_URL", database_url)
        .env("GUANXI_ADMIN_PASSWORD", password)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run create-admin")
}

#[tokio::test]
async fn the_first_admin_is_created_once_and_can_sign_in() {
    // An empty database, as a production install starts: the command migrates it first.
    let db = TestDatabase::empty().await;

    let weak = create_admin(&db.url, "first@example.com", "short");
    assert!(!weak.status.success());
    let said = String::from_utf8_lossy(&weak.stderr);
    assert!(said.contains("password"), "names the field: {said}");

    let made = create_admin(&db.url, "first@example.com", common::PASSWORD);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));

    let again = create_admin(&db.url, "second@example.com", common::PASSWORD);
    assert!(!again.status.success(), "a second run does not add an admin");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let base = common::serve(db.pool.clone(), &common::test_config(false)).await;
    let browser = common::Browser {
        client: reqwest::Client::builder().cookie_store(true).build().unwrap(),
        base,
    };
    let signed_in = browser.sign_in("first@example.com", common::PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where entity_type = 'user' and action = 'create'
         and actor_id is null",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1, "the creation is on the audit trail");
}
