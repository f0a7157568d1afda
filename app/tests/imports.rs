//! CSV imports end to end through the job queue: checks, skip-bad and all-or-nothing modes,
//! idempotent re-runs, GBK files, the rejected-rows report and reverting.

use app::{
    auth::{model::Role, server::Authenticated},
    exports::sheet::CsvEncoding,
    i18n::Locale,
    imports::{
        model::{Encoding, ImportKind, ImportMode, ImportOptions, ImportRun, ImportStatus, Target},
        service,
    },
    state::AppState,
    testing::{StopsAfter, TestDatabase, started_import},
};
use chrono_tz::Tz;
use std::time::{Duration, Instant};

/// The customer list as the CSV a user downloads.
async fn export_csv(
    state: &AppState,
    caller: &Authenticated,
    filter: app::customers::model::CustomerFilter,
    encoding: CsvEncoding,
) -> Vec<u8> {
    use app::exports::{model::*, routes, source};
    let who = source::Who {
        user_id: caller.id(),
        visible_owners: caller.scope.visible_owners(),
        admin: caller.role().includes(Role::Admin),
    };
    let request = source::Request {
        filter: Some(serde_json::to_value(filter).unwrap()),
        ..Default::default()
    };
    let output = routes::Output {
        format: ExportFormat::Csv,
        encoding,
        locale: Locale::ZhCn,
        zone: Tz::Asia__Shanghai,
    };
    let (_, bytes) = app::registry::EXPORTS
        .write(&state.pool, &who, ExportEntity::Customers, &request, output, Vec::new())
        .await
        .unwrap();
    bytes
}

const FILE: &str = "客户名称,电话,邮箱,地区,标签,负责人\n\
上海华信科技有限公司,13800138000,info@huaxin.example,上海,VIP;华东,\n\
北京远方物流,13900139000,,北京,,\n\
王秀英,139-1234-5678,xiuying@example.com,广东·深圳,,\n\
坏行,not a phone,nope,上海,,nobody@example.com\n";

/// A fresh database, its state (no job runner) and an admin to act as.
async fn with_admin_only() -> (TestDatabase, AppState, Authenticated) {
    let db = TestDatabase::new().await;
    let state = db.state();
    let admin = db
        .caller(db.user("admin@example.com", Role::Admin, None, "a long enough password").await)
        .await
        .unwrap();
    (db, state, admin)
}

/// `with_admin_only`, with the job runner going.
async fn with_admin() -> (TestDatabase, AppState, app::testing::Background, Authenticated) {
    let (db, state, admin) = with_admin_only().await;
    let background = app::testing::Background::start(&state);
    (db, state, background, admin)
}

async fn region_of(db: &TestDatabase, name: &str) -> String {
    sqlx::query_scalar("select region from customer where name = $1")
        .bind(name)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn wait_for(
    db: &TestDatabase,
    state: &AppState,
    caller: &Authenticated,
    id: i64,
) -> ImportRun {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let run = service::get(state, caller, id).await.unwrap();
        if !matches!(run.status, ImportStatus::Checking | ImportStatus::Importing) {
            return run;
        }
        assert!(Instant::now() < deadline, "import {id} stuck in {:?}", run.status);
        let _ = db;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn run_import(
    db: &TestDatabase,
    state: &AppState,
    caller: &Authenticated,
    bytes: &[u8],
    mode: ImportMode,
    dry_run: bool,
) -> ImportRun {
    let id = service::upload(
        state,
        caller,
        ImportKind::Customers,
        "customers.csv",
        Encoding::Auto,
        bytes,
    )
    .await
    .unwrap();
    let run = service::get(state, caller, id).await.unwrap();
    service::start(state, caller, id, run.mapping.clone(), mode, ImportOptions::default(), dry_run)
        .await
        .unwrap();
    wait_for(db, state, caller, id).await
}

async fn live_customers(db: &TestDatabase) -> i64 {
    sqlx::query_scalar("select count(*) from customer where deleted_at is null")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn importing_the_same_file_twice_creates_no_duplicates_and_reports_bad_rows() {
    let (db, state, _background, admin) = with_admin().await;

    // The headers were recognised in Chinese.
    let id = service::upload(
        &state,
        &admin,
        ImportKind::Customers,
        "c.csv",
        Encoding::Auto,
        FILE.as_bytes(),
    )
    .await
    .unwrap();
    let uploaded = service::get(&state, &admin, id).await.unwrap();
    assert_eq!(
        uploaded.mapping,
        vec![
            Some("name".into()),
            Some("phone".into()),
            Some("email".into()),
            Some("region".into()),
            Some("tags".into()),
            Some("owner_email".into())
        ]
    );
    assert_eq!(uploaded.row_count, 4);

    // A check writes nothing but reports what would happen.
    let checked = run_import(&db, &state, &admin, FILE.as_bytes(), ImportMode::SkipBad, true).await;
    assert_eq!((checked.status, checked.created, checked.rejected), (ImportStatus::Checked, 3, 1));
    assert_eq!(live_customers(&db).await, 0);

    let first = run_import(&db, &state, &admin, FILE.as_bytes(), ImportMode::SkipBad, false).await;
    assert_eq!(
        (first.status, first.created, first.updated, first.rejected),
        (ImportStatus::Imported, 3, 0, 1)
    );
    assert_eq!(live_customers(&db).await, 3);
    let tags: Vec<String> =
        sqlx::query_scalar("select unnest(tags) from customer where name = '上海华信科技有限公司'")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(tags, vec!["VIP", "华东"]);

    // Again: every row matches its customer by phone, email or name; nothing new.
    let again = run_import(&db, &state, &admin, FILE.as_bytes(), ImportMode::SkipBad, false).await;
    assert_eq!((again.created, again.updated, again.unchanged, again.rejected), (0, 0, 3, 1));
    assert_eq!(live_customers(&db).await, 3);

    // A changed value updates the matched customer instead of adding one; a later line that
    // changes it again is a second update of the same customer.
    let changed = FILE.replace("北京远方物流,13900139000,,北京", "北京远方物流,13900139000,,天津")
        + "北京远方物流,13900139000,,重庆,,\n";
    let update =
        run_import(&db, &state, &admin, changed.as_bytes(), ImportMode::SkipBad, false).await;
    assert_eq!((update.created, update.updated), (0, 2));
    assert_eq!(region_of(&db, "北京远方物流").await, "重庆");

    // A company name alone identifies a row that has no phone or email; a row with a new phone
    // is another firm of the same name, so it is created.
    let by_name = "客户名称,电话,行业\n北京远方物流,,物流\n北京远方物流,13700137000,\n";
    let named =
        run_import(&db, &state, &admin, by_name.as_bytes(), ImportMode::SkipBad, true).await;
    assert_eq!((named.created, named.updated), (1, 1));

    // The report names the bad row's columns and reasons, in the reader's language.
    let (name, _, bytes) =
        service::rejected_report(&state, &admin, first.id, Locale::En, Tz::Asia__Shanghai)
            .await
            .unwrap();
    assert_eq!(name, "customers-rejected.csv");
    let report = String::from_utf8(bytes).unwrap();
    assert!(
        report.contains("坏行") && report.contains("电话: Enter a valid phone number."),
        "{report}"
    );
    assert!(report.contains("负责人: You cannot assign"), "{report}");

    // Reverting the updates restores the region the customer had before the file's first
    // change; reverting the first import removes its rows.
    service::start_revert(&state, &admin, update.id).await.unwrap();
    let reverted = wait_until_status(&state, &admin, update.id, ImportStatus::Reverted).await;
    assert_eq!(reverted.status, ImportStatus::Reverted);
    assert_eq!(region_of(&db, "北京远方物流").await, "北京");
    // Reverting the first import removes its rows, except the one a later import changed:
    // its version moved on, so the revert leaves it and says so.
    service::start_revert(&state, &admin, first.id).await.unwrap();
    let reverted = wait_until_status(&state, &admin, first.id, ImportStatus::Reverted).await;
    assert_eq!(live_customers(&db).await, 1, "one click took the import back out");
    assert_eq!(reverted.kept_count, 1);
    assert_eq!(reverted.kept.iter().map(|k| k.1.as_str()).collect::<Vec<_>>(), ["北京远方物流"]);
}

#[tokio::test]
async fn a_revert_leaves_customers_people_changed_after_the_import() {
    let (db, state, _background, admin) = with_admin().await;
    let existing = "客户名称,电话,地区\n老客户甲,13600136000,上海\n老客户乙,13600136001,上海\n";
    run_import(&db, &state, &admin, existing.as_bytes(), ImportMode::SkipBad, false).await;
    let file = "客户名称,电话,地区\n老客户甲,13600136000,北京\n老客户乙,13600136001,北京\n\
                新客户丙,13600136002,北京\n新客户丁,13600136003,北京\n";
    let run = run_import(&db, &state, &admin, file.as_bytes(), ImportMode::SkipBad, false).await;
    assert_eq!((run.created, run.updated), (2, 2));

    // After the import, someone tags one updated and one created customer.
    let id_of = |name: &'static str| {
        let pool = db.pool.clone();
        async move {
            let id: i64 = sqlx::query_scalar("select id from customer where name = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap();
            app::customers::model::CustomerId(id)
        }
    };
    let touched = [id_of("老客户乙").await, id_of("新客户丁").await];
    app::customers::service::add_tag(&state, &admin, &touched, "跟进中").await.unwrap();

    service::start_revert(&state, &admin, run.id).await.unwrap();
    let reverted = wait_until_status(&state, &admin, run.id, ImportStatus::Reverted).await;
    assert_eq!(region_of(&db, "老客户甲").await, "上海", "untouched since: restored");
    assert_eq!(region_of(&db, "老客户乙").await, "北京", "tagged since: left as it is");
    let live: Vec<String> =
        sqlx::query_scalar("select name from customer where deleted_at is null order by name")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(live, ["新客户丁", "老客户乙", "老客户甲"], "丙 deleted, 丁 kept");
    assert_eq!(reverted.kept_count, 2);
    let mut kept: Vec<&str> = reverted.kept.iter().map(|k| k.1.as_str()).collect();
    kept.sort();
    assert_eq!(kept, ["新客户丁", "老客户乙"]);
    let tags: Vec<String> =
        sqlx::query_scalar("select unnest(tags) from customer where name = '老客户乙'")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(tags, ["跟进中"], "the edit made after the import survives");
}

#[tokio::test]
async fn a_language_column_sets_new_and_matched_customers_and_a_revert_puts_it_back() {
    let (db, state, _background, admin) = with_admin().await;
    let first = "客户名称,电话\n甲公司,13600136000\n乙公司,13600136001\n";
    run_import(&db, &state, &admin, first.as_bytes(), ImportMode::SkipBad, false).await;
    let file = "客户名称,电话,语言\n甲公司,13600136000,English\n乙公司,13600136001,en\n\
                丙公司,13600136002,英文\n丁公司,13600136003,\n戊公司,13600136004,Klingon\n";
    let run = run_import(&db, &state, &admin, file.as_bytes(), ImportMode::SkipBad, false).await;
    assert_eq!((run.created, run.updated, run.rejected), (2, 2, 1));
    let locales = || async {
        sqlx::query_as::<_, (String, String)>(
            "select name, locale from customer where deleted_at is null order by name",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(n, l)| (n.to_string(), l.to_string())).collect()
    };
    assert_eq!(
        locales().await,
        pairs(&[("丁公司", "zh-CN"), ("丙公司", "en"), ("乙公司", "en"), ("甲公司", "en")]),
        "an empty cell gives the default, a bad one rejects the row"
    );

    // The export says who reads what, in words the import takes back.
    let filter = app::customers::model::CustomerFilter::default();
    let bytes = export_csv(&state, &admin, filter, CsvEncoding::Utf8).await;
    let text = String::from_utf8(bytes).unwrap();
    let header: Vec<&str> =
        text.trim_start_matches('\u{feff}').lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "沟通语言").expect("a language column");
    assert_eq!(Target::suggest(header[column]), Some(Target::Language));
    let row_of = |name: &str| {
        text.lines().find(|l| l.contains(name)).unwrap().split(',').nth(column).unwrap().to_owned()
    };
    assert_eq!((row_of("甲公司"), row_of("丁公司")), ("English".to_owned(), "中文".to_owned()));

    // 乙's record as a batch stored before imports could set a language: no language in it.
    sqlx::query(
        "update import_batch set updated_before = (
             select jsonb_agg(case when e ->> 'name' = '乙公司' then e - 'locale' else e end)
             from jsonb_array_elements(updated_before) e)
         where import_id = $1 and updated_count > 0",
    )
    .bind(run.id)
    .execute(&db.pool)
    .await
    .unwrap();
    service::start_revert(&state, &admin, run.id).await.unwrap();
    wait_until_status(&state, &admin, run.id, ImportStatus::Reverted).await;
    assert_eq!(
        locales().await,
        pairs(&[("乙公司", "en"), ("甲公司", "zh-CN")]),
        "甲 restored; 乙's old record says nothing of its language, so it is left as it is"
    );
}

async fn wait_until_status(
    state: &AppState,
    caller: &Authenticated,
    id: i64,
    status: ImportStatus,
) -> ImportRun {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let run = service::get(state, caller, id).await.unwrap();
        if run.status == status {
            return run;
        }
        assert!(
            Instant::now() < deadline,
            "import {id} is {:?}, waiting for {status:?}",
            run.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn all_or_nothing_imports_nothing_when_a_row_is_bad() {
    let (db, state, _background, admin) = with_admin().await;
    let run =
        run_import(&db, &state, &admin, FILE.as_bytes(), ImportMode::AllOrNothing, false).await;
    assert_eq!((run.status, run.rejected), (ImportStatus::Failed, 1));
    assert_eq!(live_customers(&db).await, 0);

    let good: String = FILE.lines().take(4).map(|l| format!("{l}\n")).collect();
    let run =
        run_import(&db, &state, &admin, good.as_bytes(), ImportMode::AllOrNothing, false).await;
    assert_eq!((run.status, run.created), (ImportStatus::Imported, 3));
}

#[tokio::test]
async fn gbk_files_saved_by_excel_import_with_their_chinese_intact() {
    let (db, state, _background, admin) = with_admin().await;
    let (gbk, _, _) = encoding_rs::GBK.encode("客户名称,地区\n杭州鼎盛科技有限公司,浙江·杭州\n");
    let run = run_import(&db, &state, &admin, &gbk, ImportMode::SkipBad, false).await;
    assert_eq!((run.encoding.as_str(), run.created), ("gbk", 1));
    let name: String =
        sqlx::query_scalar("select name from customer").fetch_one(&db.pool).await.unwrap();
    assert_eq!(name, "杭州鼎盛科技有限公司");

    // Export in GBK round-trips the same text.
    let filter = app::customers::model::CustomerFilter::default();
    let bytes = export_csv(&state, &admin, filter, CsvEncoding::Gbk).await;
    let (text, _, had_errors) = encoding_rs::GBK.decode(&bytes);
    assert!(
        !had_errors && text.contains("杭州鼎盛科技有限公司") && text.contains("名称"),
        "{text}"
    );
}

#[tokio::test]
async fn a_phone_changed_by_an_import_is_what_finds_the_customer() {
    use app::customers::{model::CustomerFilter, repo};
    let (db, state, _background, admin) = with_admin().await;
    let settings = repo::settings(&db.pool).await.unwrap();
    let found = |fragment: &'static str| {
        let (pool, settings) = (db.pool.clone(), settings.clone());
        async move {
            let filter = CustomerFilter { search: Some(fragment.into()), ..Default::default() };
            let page = repo::list(&pool, &filter, None, None, 10, &settings).await.unwrap();
            page.items.into_iter().map(|r| r.name).collect::<Vec<_>>()
        }
    };
    run_import(&db, &state, &admin, FILE.as_bytes(), ImportMode::SkipBad, false).await;
    assert_eq!(found("1234-5678").await, vec!["王秀英"]);
    // Matched by email, she gets a new phone: the old one no longer finds her, the new one does.
    let phone = "客户名称,电话,邮箱\n王秀英,136 0000 1111,xiuying@example.com\n";
    let changed =
        run_import(&db, &state, &admin, phone.as_bytes(), ImportMode::SkipBad, false).await;
    assert_eq!((changed.created, changed.updated), (0, 1));
    assert_eq!(found("0000-1111").await, vec!["王秀英"]);
    assert!(found("1234-5678").await.is_empty());
    // Reverting gives her old phone back, and search follows.
    service::start_revert(&state, &admin, changed.id).await.unwrap();
    wait_until_status(&state, &admin, changed.id, ImportStatus::Reverted).await;
    assert_eq!(found("1234-5678").await, vec!["王秀英"]);
    assert!(found("0000-1111").await.is_empty());
}

/// A file of several batches whose later rows change customers created by earlier batches:
/// each batch is decided before the previous one is written, so this checks that later
/// batches match what earlier ones created, in both modes.
fn cross_batch_file() -> String {
    let mut file = String::from("客户名称,电话,地区\n");
    for row in 0..2500 {
        let line = match row {
            // Batch 2 changes customers created in batch 0.
            2200..2210 => format!("公司{},139{:08},天津\n", row - 2190, row - 2190),
            // Batch 1's last row changes its first row's customer.
            1999 => "公司1000,13900001000,天津\n".to_owned(),
            _ => format!("公司{row},139{row:08},上海\n"),
        };
        file.push_str(&line);
    }
    file
}

#[tokio::test]
async fn later_batches_update_customers_created_by_earlier_ones_in_either_mode() {
    for mode in [ImportMode::SkipBad, ImportMode::AllOrNothing] {
        let (db, state, _background, admin) = with_admin().await;
        let file = cross_batch_file();
        let run = run_import(&db, &state, &admin, file.as_bytes(), mode, false).await;
        assert_eq!(
            (run.status, run.created, run.updated, run.unchanged, run.rejected),
            (ImportStatus::Imported, 2489, 11, 0, 0),
            "{mode:?}"
        );
        assert_eq!(live_customers(&db).await, 2489, "{mode:?}");
        let moved: i64 = sqlx::query_scalar("select count(*) from customer where region = '天津'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(moved, 11, "{mode:?}");
        // Again: nothing is created. The 11 customers the file moves are moved back to 上海 by
        // their first line and to 天津 by their later one, so they count as updated twice.
        let again = run_import(&db, &state, &admin, file.as_bytes(), mode, false).await;
        assert_eq!((again.created, again.updated, again.unchanged), (0, 22, 2478), "{mode:?}");
        assert_eq!(live_customers(&db).await, 2489, "{mode:?}");
    }
}

#[tokio::test]
async fn a_retried_import_goes_on_after_its_last_committed_batch() {
    let (db, state, admin) = with_admin_only().await;
    let file = cross_batch_file();
    // No job runner here: the test plays the job's two attempts itself.
    let id = started_import(&state, &admin, ImportKind::Customers, file.as_bytes()).await;
    let first = service::execute(&db.pool, id, false, &mut StopsAfter(2000)).await;
    assert!(first.is_err(), "the first attempt stops after two batches");
    // Batch 1's last row changes a customer instead of adding one.
    assert_eq!(live_customers(&db).await, 1999);

    service::execute(&db.pool, id, false, &mut service::Unreported).await.unwrap();
    let done = service::get(&state, &admin, id).await.unwrap();
    assert_eq!(
        (done.status, done.created, done.updated, done.unchanged),
        (ImportStatus::Imported, 2489, 11, 0),
        "the second attempt neither redid nor re-counted the committed batches"
    );
    assert_eq!(live_customers(&db).await, 2489);
    // What a revert deletes: every customer the import created, across both attempts.
    let recorded: i64 = sqlx::query_scalar(
        "select sum(cardinality(created_ids))::bigint from import_batch where import_id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(recorded, 2489);
}

#[tokio::test]
async fn members_see_their_own_imports_and_admins_see_all() {
    let (db, state, admin) = with_admin_only().await;
    let member = db
        .caller(db.user("member@example.com", Role::Member, None, "a long enough password").await)
        .await
        .unwrap();
    // Members bring in their customers' history; customers themselves are a manager's.
    let upload = |caller: &Authenticated, name: &str| {
        let (state, caller, name) = (state.clone(), caller.clone(), name.to_owned());
        let kind = if caller.role().includes(Role::Manager) {
            ImportKind::Customers
        } else {
            ImportKind::Orders
        };
        async move {
            service::upload(&state, &caller, kind, &name, Encoding::Auto, FILE.as_bytes())
                .await
                .unwrap()
        }
    };
    let admins = upload(&admin, "admin.csv").await;
    let members_first = upload(&member, "member-1.csv").await;
    let members_second = upload(&member, "member-2.csv").await;
    assert!(matches!(
        service::upload(
            &state,
            &member,
            ImportKind::Customers,
            "c.csv",
            Encoding::Auto,
            FILE.as_bytes()
        )
        .await,
        Err(app::error::AppError::Forbidden)
    ));

    let names = |runs: Vec<ImportRun>| runs.into_iter().map(|r| r.file_name).collect::<Vec<_>>();
    assert_eq!(
        names(service::list(&state, &member).await.unwrap()),
        ["member-2.csv", "member-1.csv"],
        "a member lists their own imports, newest first"
    );
    assert_eq!(
        names(service::list(&state, &admin).await.unwrap()),
        ["member-2.csv", "member-1.csv", "admin.csv"]
    );
    let run = service::get(&state, &member, members_first).await.unwrap();
    assert_eq!(
        (run.file_name.as_str(), run.row_count, run.status),
        ("member-1.csv", 4, ImportStatus::Uploaded)
    );
    assert!(
        matches!(service::get(&state, &member, admins).await, Err(app::error::AppError::NotFound)),
        "another user's import is not the member's to see"
    );
    assert_eq!(
        service::get(&state, &admin, members_second).await.unwrap().file_name,
        "member-2.csv"
    );
}

#[tokio::test]
async fn the_scan_after_an_import_proposes_its_duplicates_within_the_file_and_outside() {
    let (db, state, _background, admin) = with_admin().await;
    let before = "客户名称,电话,地区\n远方物流集团,13500135000,北京\n";
    run_import(&db, &state, &admin, before.as_bytes(), ImportMode::SkipBad, false).await;
    // Each line has its own phone, so each is a new customer. One repeats the name already
    // there, two share a name in one region, and the same name elsewhere is another firm.
    let file = "客户名称,电话,地区\n远方物流集团,13500135001,北京\n\
                深圳市腾达电子有限公司,13500135002,深圳\n深圳市腾达电子有限公司,13500135003,深圳\n\
                深圳市腾达电子有限公司,13500135004,广州\n";
    let run = run_import(&db, &state, &admin, file.as_bytes(), ImportMode::SkipBad, false).await;
    assert_eq!(run.created, 4);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pending: i64 = sqlx::query_scalar(
            "select count(*) from job where kind = 'duplicate_scan' and status <> 'succeeded'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        if pending == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the duplicate scan did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pairs: Vec<(String, String, String)> = sqlx::query_as(
        "select a.phone, b.phone, p.reason from duplicate_pair p
         join customer a on a.id = p.customer_a join customer b on b.id = p.customer_b
         order by 1, 2",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        pairs,
        [
            ("13500135000".into(), "13500135001".into(), "name".into()),
            ("13500135002".into(), "13500135003".into(), "name".into()),
        ],
        "one pair inside the file, one with the customer before it; another region is no pair"
    );
}
