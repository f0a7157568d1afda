//! Every pooled connection carries a statement and an idle-in-transaction limit, so a runaway
//! query or a forgotten transaction cannot hold locks and connections for good.

use app::testing::TestDatabase;
use server::SessionLimits;
use sqlx::Connection;
use std::time::Duration;

#[tokio::test]
async fn the_server_pool_carries_both_limits() {
    let db = TestDatabase::new().await;
    let pool = server::connect(&db.url, 2).await.unwrap();
    let statement: String =
        sqlx::query_scalar("show statement_timeout").fetch_one(&pool).await.unwrap();
    let idle: String = sqlx::query_scalar("show idle_in_transaction_session_timeout")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((statement.as_str(), idle.as_str()), ("15min", "5min"));
}

#[tokio::test]
async fn a_runaway_statement_is_cancelled_and_an_idle_transaction_ended() {
    let db = TestDatabase::new().await;
    let limits = SessionLimits {
        statement: Duration::from_millis(500),
        idle_in_transaction: Duration::from_millis(500),
    };
    let pool = server::connect_with(&db.url, 2, limits).await.unwrap();

    let slow = sqlx::query("select pg_sleep(3)").execute(&pool).await.unwrap_err();
    let code = slow.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned());
    assert_eq!(code.as_deref(), Some("57014"), "cancelled by statement_timeout: {slow}");

    let mut conn = pool.acquire().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("create table held (id int)").execute(&mut *tx).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        sqlx::query("select 1").execute(&mut *tx).await.is_err(),
        "the idle transaction was ended by the server"
    );
    drop(tx);
    drop(conn);
    // Nothing it held survives, and the pool hands out working connections again.
    let held: Option<String> =
        sqlx::query_scalar("select to_regclass('held')::text").fetch_one(&pool).await.unwrap();
    assert_eq!(held, None);
}
