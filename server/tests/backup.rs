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

/// Polls until no backup job is queued or running.
async fn backups_settled(pool: &sqlx::PgPool) {
    for _ in 0..600 {
        let busy: bool = sqlx::query_scalar(
            "select exists(select 1 from job where kind = 'backup' and status in ('queued', 'running'))",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if !busy {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the backup job did not finish in 60 s");
}

async fn scratch_databases() -> i64 {
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url()).await.unwrap();
    sqlx::query_scalar(
        "select count(*) from pg_database where datname like 'guanxi_backup_check_%'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_server_backs_itself_up_checks_the_backup_by_restoring_it_and_shows_it_to_admins() {
    use app::backups::{
        api::{GetBackupOverview, ListBackups, StartBackup},
        model::{BackupOutcome, BackupOverview, BackupRun},
    };
    use app::{paging::Page, testing::Background};

    let db = TestDatabase::new().await;
    server::migrate(&db.pool).await.unwrap();
    sqlx::query("insert into team (name) values ('East')").execute(&db.pool).await.unwrap();
    let folder = tempfile::tempdir().unwrap();
    let mut config = common::test_config(false);
    config.backup_dir = Some(folder.path().to_owned());
    let state =
        app::state::AppState::new(db.pool.clone(), server::settings(&config, Some(&db.url)));
    let base = common::serve_state(state.clone(), &config).await;
    db.user("admin@example.com", app::auth::model::Role::Admin, None, common::PASSWORD).await;
    let admin = common::browser_for(&base);
    assert_eq!(admin.sign_in("admin@example.com", common::PASSWORD).await.status(), StatusCode::OK);

    let before: BackupOverview = admin.ok(&GetBackupOverview {}).await;
    let plan = before.plan.as_ref().expect("a configured folder is the plan");
    assert_eq!(plan.folder, folder.path().display().to_string());
    assert!(plan.verify);
    assert!(before.last_usable.is_none());
    assert!(before.is_overdue(chrono::Utc::now()), "no backup yet is overdue");

    // Two clicks queue one backup.
    let job: i64 = admin.ok(&StartBackup {}).await;
    let again: i64 = admin.ok(&StartBackup {}).await;
    assert_eq!(job, again);
    let scratch_before = scratch_databases().await;
    let background = Background::start(&state);
    backups_settled(&db.pool).await;

    let runs: Page<BackupRun> = admin.ok(&ListBackups { before_id: None }).await;
    assert_eq!(runs.items.len(), 1);
    let run = &runs.items[0];
    assert_eq!(run.outcome, BackupOutcome::Passed, "{:?}", run.error);
    assert_eq!(run.requested_by_name.as_deref(), Some("admin@example.com"));
    let written = std::path::Path::new(run.folder.as_deref().unwrap());
    assert!(written.join(backup::MANIFEST).is_file());
    let manifest: backup::Manifest =
        serde_json::from_slice(&std::fs::read(written.join(backup::MANIFEST)).unwrap()).unwrap();
    assert_eq!(run.table_count, Some(manifest.tables.len() as i32));
    assert_eq!(run.dump_bytes, Some(manifest.dump_bytes as i64));
    assert!(run.dump_bytes.unwrap() > 0);
    assert_eq!(scratch_databases().await, scratch_before, "the scratch copy was dropped");
    let after: BackupOverview = admin.ok(&GetBackupOverview {}).await;
    assert_eq!(after.last_usable.as_ref().map(|r| r.id), Some(run.id));
    assert!(!after.is_overdue(chrono::Utc::now()));
    assert!(!after.in_progress);
    let status: String = sqlx::query_scalar("select status from job where id = $1")
        .bind(job)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(status, "succeeded");
    drop(background);

    // A backup whose restore check cannot pass (no pg_restore where the server looks) is shown
    // as failed with the reason, and its job fails too.
    let only_dump = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        backup::program("pg_dump", &search_path()).unwrap(),
        only_dump.path().join("pg_dump"),
    )
    .unwrap();
    let mut broken = server::settings(&config, Some(&db.url));
    broken.backups.as_mut().unwrap().programs = vec![only_dump.path().to_owned()];
    let broken_state = app::state::AppState::new(db.pool.clone(), broken);
    let job: i64 = admin.ok(&StartBackup {}).await;
    let background = Background::start(&broken_state);
    backups_settled(&db.pool).await;
    drop(background);
    let runs: Page<BackupRun> = admin.ok(&ListBackups { before_id: None }).await;
    assert_eq!(runs.items.len(), 2);
    assert_eq!(runs.items[0].outcome, BackupOutcome::Failed);
    assert!(
        runs.items[0].error.as_deref().unwrap().contains("pg_restore"),
        "{:?}",
        runs.items[0].error
    );
    let (status, error): (String, Option<String>) =
        sqlx::query_as("select status, last_error from job where id = $1")
            .bind(job)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("restore check failed"));
    let overview: BackupOverview = admin.ok(&GetBackupOverview {}).await;
    assert_eq!(overview.last_usable.map(|r| r.id), Some(run.id), "a failed check is not usable");
}

#[tokio::test]
async fn a_server_without_a_backup_folder_says_so_and_refuses_to_back_up() {
    use app::backups::{
        api::{GetBackupOverview, StartBackup},
        model::BackupOverview,
    };
    let server = common::TestServer::start().await;
    server.user("admin@example.com", app::auth::model::Role::Admin).await;
    let admin = server.signed_in("admin@example.com").await;
    let overview: BackupOverview = admin.ok(&GetBackupOverview {}).await;
    assert!(overview.plan.is_none());
    let (status, error) = common::app_error(admin.call(&StartBackup {}).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error.field_errors().unwrap().get("backup"),
        [app::error::FieldError::BackupsNotConfigured]
    );
    assert_eq!(server.count("select count(*) from job where kind = 'backup'").await, 0);
}
