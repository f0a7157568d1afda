//! The embedded-database path: with nothing listening on the probed port, the server starts a
//! private cluster, uses it, survives its restart, and stops it.

use server::database::{DatabaseOptions, DatabaseSource, resolve};
use std::{
    net::{TcpListener, TcpStream},
    os::unix::fs::PermissionsExt,
    time::{Duration, Instant},
};

fn unused_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn a_private_cluster_starts_when_nothing_listens_and_the_pool_survives_its_restart() {
    let dir = tempfile::tempdir().unwrap();
    // As root the cluster runs as an unprivileged user, who must be able to reach the folder.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let options = DatabaseOptions {
        database_url: None,
        local_port: unused_port(),
        data_dir: dir.path().join("data"),
        search_path: DatabaseOptions::default_search_path(std::env::var_os("PATH")),
    };
    let source = resolve(&options).await.expect("private cluster");
    let DatabaseSource::Private(cluster) = source else {
        panic!("expected the private cluster, got {}", source.describe());
    };
    assert!(cluster.url.ends_with("/guanxi"));
    // The superuser has a password, kept in a file only its owner reads; without it the
    // cluster refuses (it once trusted every local user).
    let password_file = dir.path().join("data").join("password");
    let mode = std::fs::metadata(&password_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "password file mode {mode:o}");
    let without_password = format!("postgres://guanxi@127.0.0.1:{}/guanxi", cluster.port);
    assert!(sqlx::PgPool::connect(&without_password).await.is_err(), "trust is gone");

    let pool = server::pool_options(4).connect(&cluster.url).await.unwrap();
    server::migrate(&pool).await.expect("migrations run on the private cluster");
    let tables: i64 = sqlx::query_scalar(
        "select count(*) from information_schema.tables where table_name = 'app_user'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(tables, 1);

    // While Postgres is down, requests fail fast instead of hanging...
    cluster.stop().unwrap();
    let started = Instant::now();
    assert!(sqlx::query("select 1").execute(&pool).await.is_err());
    assert!(started.elapsed() < Duration::from_secs(10), "failed after {:?}", started.elapsed());

    // ...and succeed again within seconds of it coming back, on the same pool.
    cluster.restart().unwrap();
    let back = Instant::now();
    loop {
        if sqlx::query("select 1").execute(&pool).await.is_ok() {
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(10), "pool did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pool.close().await;

    // A second start reuses the initialised cluster, keeping its data.
    let port = cluster.port;
    drop(cluster);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "stopped on drop");
    let again = resolve(&options).await.unwrap();
    let pool = sqlx::PgPool::connect(again.url()).await.unwrap();
    let users: i64 =
        sqlx::query_scalar("select count(*) from app_user").fetch_one(&pool).await.unwrap();
    assert_eq!(users, 0);
    pool.close().await;
}
