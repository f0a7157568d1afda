//! Faults the server must survive: the process killed (SIGKILL, no shutdown) in the middle of
//! an import. After a restart the job resumes from its last committed batch, nothing is
//! half-written or written twice, and the import can still be reverted.

mod common;

use app::{
    auth::model::Role,
    imports::{
        api::{GetImport, RevertImport, StartImport},
        fields::ImportOptions,
        model::{ImportMode, ImportRun, ImportStatus},
    },
    testing::TestDatabase,
};
use common::{Browser, PASSWORD, browser_for, spawn_server};
use reqwest::{StatusCode, header};
use std::time::{Duration, Instant};

const ORDERS: usize = 40_000;

fn orders_file() -> String {
    let mut csv = String::from("订单号,下单时间,客户名称,手机,订单金额\n");
    for n in 0..ORDERS {
        // 4,000 customers with ten orders each.
        let customer = n % 4000;
        csv.push_str(&format!(
            "SO-{n:06},2026-0{}-{:02},客户{customer:04},139{customer:08},{}.50\n",
            1 + n % 9,
            1 + n % 28,
            100 + n % 900
        ));
    }
    csv
}

async fn signed_in_manager(base: &str) -> Browser {
    let browser = browser_for(base);
    let response = browser.sign_in("manager@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    browser
}

async fn scalar(db: &TestDatabase, sql: &str, import: i64) -> i64 {
    sqlx::query_scalar(sql).bind(import).fetch_one(&db.pool).await.unwrap()
}

async fn wait_for_status(browser: &Browser, import: i64, wanted: ImportStatus, seconds: u64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let run: ImportRun = browser.ok(&GetImport { id: import }).await;
        if run.status == wanted {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "import still {:?} ({}/{:?}) after {seconds} s",
            run.status,
            run.progress_done,
            run.progress_total
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn an_import_killed_mid_way_resumes_after_a_restart_and_still_reverts() {
    let db = TestDatabase::new().await;
    db.user("manager@example.com", Role::Manager, None, PASSWORD).await;
    let (mut first, base) = spawn_server(&db.url).await;
    let manager = signed_in_manager(&base).await;

    let upload = manager
        .client
        .post(format!("{base}/api/import-upload?name=orders.csv&kind=orders"))
        .header(header::ORIGIN, &base)
        .body(orders_file())
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), StatusCode::OK);
    let import = upload.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let run: ImportRun = manager.ok(&GetImport { id: import }).await;
    assert!(run.mapping.iter().flatten().count() >= 4, "headers recognised: {:?}", run.mapping);
    let _job: i64 = manager
        .ok(&StartImport {
            id: import,
            mapping: run.mapping,
            mode: ImportMode::SkipBad,
            options: ImportOptions { create_customers: true, ..Default::default() },
            dry_run: false,
        })
        .await;

    // Kill it once a few batches are in, and well before the end.
    let committed =
        "select coalesce(sum(created_count + unchanged_count + rejected_count), 0)::bigint
                     from import_batch where import_id = $1";
    let deadline = Instant::now() + Duration::from_secs(120);
    while scalar(&db, committed, import).await < 3000 {
        assert!(Instant::now() < deadline, "no batch committed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill();

    let written =
        scalar(&db, "select count(*) from sales_order where import_id = $1", import).await;
    let recorded = scalar(
        &db,
        "select coalesce(sum(created_count), 0)::bigint from import_batch where import_id = $1",
        import,
    )
    .await;
    assert_eq!(written, recorded, "every order written belongs to a recorded batch");
    assert!(written < ORDERS as i64, "killed mid-way ({written} of {ORDERS})");

    // A new process takes the job over once the dead one's lease lapses, and finishes it.
    let (_second, base) = spawn_server(&db.url).await;
    let manager = signed_in_manager(&base).await;
    wait_for_status(&manager, import, ImportStatus::Imported, 180).await;
    let orders = scalar(&db, "select count(*) from sales_order where import_id = $1", import).await;
    let distinct = scalar(
        &db,
        "select count(distinct order_no) from sales_order where import_id = $1",
        import,
    )
    .await;
    assert_eq!((orders, distinct), (ORDERS as i64, ORDERS as i64), "each order once");
    let customers = scalar(
        &db,
        "select count(distinct customer_id) from sales_order where import_id = $1",
        import,
    )
    .await;
    assert_eq!(customers, 4000, "no customer created twice across the restart");
    let _: i64 = manager.ok(&RevertImport { id: import }).await;
    wait_for_status(&manager, import, ImportStatus::Reverted, 180).await;
    let left = scalar(&db, "select count(*) from sales_order where import_id = $1", import).await;
    assert_eq!(left, 0, "the revert takes every order back");
}
