//! The restore drill: demo data, backup, restore into a new database, verify against the
//! manifest, serve the restored database and sign in.

mod common;

use app::testing::{TestDatabase, admin_url, drop_database, with_database};
use reqwest::StatusCode;
use server::{backup, database::DatabaseOptions};

fn search_path() -> Vec<std::path::PathBuf> {
    DatabaseOptions::default_search_path(std::env::var_os("PATH"))
}

#[tokio::test]
async fn a_backup_restores_into_a_new_database_verifies_and_serves_a_sign_in() {
    let db = TestDatabase::new().await;
    server::migrate(&db.pool).await.unwrap();
    app::demo::seed_if_empty(&db.pool).await.unwrap();
    let folder = tempfile::tempdir().unwrap();

    let (path, manifest) = backup::backup(&db.url, folder.path(), 2, &search_path()).await.unwrap();
    let customers = manifest.tables.iter().find(|t| t.name == "public.customer").unwrap();
    let live: i64 =
        sqlx::query_scalar("select count(*) from customer").fetch_one(&db.pool).await.unwrap();
    assert_eq!(customers.rows, live);
    assert!(live > 0, "demo data has customers");
    assert!(manifest.migration.is_some());

    let restored_name = format!("guanxi_restore_drill_{}", std::process::id());
    drop_database(&restored_name).await;
    let restored_url = with_database(&admin_url(), &restored_name);
    let verified = backup::restore(&path, &restored_url, &search_path()).await.unwrap();
    assert_eq!(verified.tables, manifest.tables.len());
    assert_eq!(verified.rows, manifest.tables.iter().map(|t| t.rows).sum::<i64>());

    // The restored database serves: the demo admin signs in and sees the customers.
    let pool = server::connect(&restored_url, 4).await.unwrap();
    let base_url = common::serve(pool.clone(), &common::test_config(false)).await;
    let browser = common::Browser {
        client: reqwest::Client::builder().cookie_store(true).build().unwrap(),
        base: base_url,
    };
    let response = browser.sign_in("admin@guanxi.demo", app::demo::DEMO_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);

    // Restoring over a database that has data is refused; nothing there is touched.
    let refused = backup::restore(&path, &restored_url, &search_path()).await.unwrap_err();
    assert!(refused.to_string().contains("not empty"), "{refused}");
    pool.close().await;
    drop_database(&restored_name).await;

    // A damaged dump is caught before anything is restored.
    let dump = path.join(&manifest.dump_file);
    let mut bytes = std::fs::read(&dump).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&dump, bytes).unwrap();
    let damaged = backup::restore(&path, &restored_url, &search_path()).await.unwrap_err();
    assert!(damaged.to_string().contains("does not match"), "{damaged}");
    drop_database(&restored_name).await;

    // Retention keeps the newest two.
    for _ in 0..2 {
        backup::backup(&db.url, folder.path(), 2, &search_path()).await.unwrap();
    }
    let kept = backup::backups_in(folder.path()).unwrap();
    assert_eq!(kept.len(), 2);
    assert!(!kept.contains(&path), "the oldest went");
}

#[tokio::test]
async fn a_restore_that_differs_from_its_manifest_is_reported_by_table() {
    let db = TestDatabase::new().await;
    server::migrate(&db.pool).await.unwrap();
    sqlx::query("insert into team (name) values ('East')").execute(&db.pool).await.unwrap();
    let folder = tempfile::tempdir().unwrap();
    let (path, mut manifest) =
        backup::backup(&db.url, folder.path(), 1, &search_path()).await.unwrap();
    // The manifest says one more team than the dump holds.
    let team = manifest.tables.iter_mut().find(|t| t.name == "public.team").unwrap();
    team.rows += 1;
    std::fs::write(path.join(backup::MANIFEST), serde_json::to_vec(&manifest).unwrap()).unwrap();
    let name = format!("guanxi_restore_mismatch_{}", std::process::id());
    drop_database(&name).await;
    let error = backup::restore(&path, &with_database(&admin_url(), &name), &search_path())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("public.team (1 rows, expected 2)"), "{error}");
    drop_database(&name).await;
}
