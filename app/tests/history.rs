//! A company's history in and everything out, against real Postgres through the job queue:
//! order imports (idempotent by order number, money as people write it, dates in the company's
//! time zone, GBK, UTF-16 and Excel files, the refresh of everything derived, revert),
//! interaction imports, exports as CSV (formulas neutralised) and `.xlsx` (read back), and a
//! member's reach kept to their data scope.

use app::{
    auth::{model::Role, server::Authenticated},
    customers::{
        model::{ActivityStatus, CustomerDetail, CustomerId, CustomerInput, LifecycleStage},
        service as customers,
    },
    exports::{
        model::{ExportEntity, ExportFormat},
        routes::Output,
        sheet::CsvEncoding,
        source::{Request, Who},
    },
    i18n::Locale,
    imports::{
        model::{Encoding, ImportKind, ImportMode, ImportOptions, ImportRun, ImportStatus},
        service,
    },
    registry::EXPORTS,
    state::AppState,
    testing::{Background, StopsAfter, TestDatabase, started_import},
};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::time::{Duration, Instant};

const PASSWORD: &str = "a long enough password";

struct World {
    db: TestDatabase,
    state: AppState,
    _background: Background,
    admin: Authenticated,
}

impl World {
    async fn new() -> Self {
        let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn").try_init();
        let db = TestDatabase::new().await;
        let state = db.state();
        let background = Background::start(&state);
        let admin = db
            .caller(db.user("admin@example.com", Role::Admin, None, PASSWORD).await)
            .await
            .unwrap();
        // A small catalogue: history names these.
        sqlx::query(
            "insert into product (sku, name, category, unit_price_minor) values
                 ('TEA-01', '龙井茶礼盒', '茶叶', 68000), ('CUP-02', '青瓷茶杯', '茶具', 12000)",
        )
        .execute(&db.pool)
        .await
        .unwrap();
        World { db, state, _background: background, admin }
    }

    async fn member(&self, email: &str) -> Authenticated {
        self.db.caller(self.db.user(email, Role::Member, None, PASSWORD).await).await.unwrap()
    }

    async fn customer(&self, owner: &Authenticated, name: &str, phone: &str) -> CustomerId {
        let input = CustomerInput { name: name.into(), phone: phone.into(), ..Default::default() };
        customers::create(&self.state, owner, input, vec![]).await.unwrap()
    }

    async fn detail(&self, id: CustomerId) -> CustomerDetail {
        let settings = app::customers::repo::settings(&self.db.pool).await.unwrap();
        app::customers::repo::detail(
            &mut self.db.pool.acquire().await.unwrap(),
            id,
            None,
            &settings,
        )
        .await
        .unwrap()
        .unwrap()
    }

    /// Uploads `bytes` as `kind` and runs a check or the import to its end.
    async fn import(
        &self,
        caller: &Authenticated,
        kind: ImportKind,
        bytes: &[u8],
        options: ImportOptions,
        dry_run: bool,
    ) -> ImportRun {
        let id = service::upload(&self.state, caller, kind, "history.csv", Encoding::Auto, bytes)
            .await
            .unwrap();
        self.run(caller, id, ImportMode::SkipBad, options, dry_run).await
    }

    async fn run(
        &self,
        caller: &Authenticated,
        id: i64,
        mode: ImportMode,
        options: ImportOptions,
        dry_run: bool,
    ) -> ImportRun {
        let run = service::get(&self.state, caller, id).await.unwrap();
        service::start(&self.state, caller, id, run.mapping.clone(), mode, options, dry_run)
            .await
            .unwrap();
        self.settled(caller, id).await
    }

    async fn settled(&self, caller: &Authenticated, id: i64) -> ImportRun {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let run = service::get(&self.state, caller, id).await.unwrap();
            if !run.status.is_running() {
                return run;
            }
            if Instant::now() > deadline {
                let jobs: Vec<(String, String, i32, Option<String>)> = sqlx::query_as(
                    "select kind, status, attempts, last_error from job order by id",
                )
                .fetch_all(&self.db.pool)
                .await
                .unwrap();
                panic!("import {id} stuck in {:?}; jobs: {jobs:?}", run.status);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn revert(&self, caller: &Authenticated, id: i64) -> ImportRun {
        service::start_revert(&self.state, caller, id).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let run = self.settled(caller, id).await;
            if run.status == ImportStatus::Reverted {
                return run;
            }
            assert!(Instant::now() < deadline, "revert of {id} stuck in {:?}", run.status);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.db.pool).await.unwrap()
    }

    async fn export(
        &self,
        caller: &Authenticated,
        entity: ExportEntity,
        format: ExportFormat,
        request: Request,
    ) -> Vec<u8> {
        let who = Who {
            user_id: caller.id(),
            visible_owners: caller.scope.visible_owners(),
            admin: caller.role().includes(Role::Admin),
        };
        let output = Output {
            format,
            encoding: CsvEncoding::Utf8,
            locale: Locale::ZhCn,
            zone: Tz::Asia__Shanghai,
        };
        let (_, bytes) =
            EXPORTS.write(&self.db.pool, &who, entity, &request, output, Vec::new()).await.unwrap();
        bytes
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// Rows of a UTF-8 CSV with a BOM, as text cells.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

const ORDERS: &str = "订单号,下单时间,客户名称,手机,SKU,数量,单价\n\
SO-1001,2026-03-01,华信科技,13800138000,TEA-01,2,680\n\
SO-1001,2026-03-01,华信科技,13800138000,CUP-02,4,¥120.00\n\
SO-1002,2026-06-15 10:30,华信科技,13800138000,TEA-01,1,\n\
SO-1003,2026-07-01,远方物流,13900139000,TEA-01,1,680\n\
SO-1004,2026-07-02,查无此人,13700000000,TEA-01,1,680\n";

#[tokio::test]
async fn an_order_file_imports_once_and_brings_status_stage_and_tier_up_to_date() {
    let w = World::new().await;
    let huaxin = w.customer(&w.admin, "华信科技", "13800138000").await;
    let yuanfang = w.customer(&w.admin, "远方物流", "13900139000").await;
    // Graded as every night (the nightly recompute), so the import's tier move has a "from".
    app::tiers::service::grade_everyone(&mut w.db.pool.acquire().await.unwrap()).await.unwrap();
    let before = w.detail(huaxin).await;
    assert_eq!(
        (before.status, before.stage),
        (ActivityStatus::Potential, LifecycleStage::Potential)
    );

    // A check writes nothing and says what would happen, naming the bad row and why.
    let check = w
        .import(&w.admin, ImportKind::Orders, ORDERS.as_bytes(), ImportOptions::default(), true)
        .await;
    assert_eq!(check.status, ImportStatus::Checked);
    assert_eq!((check.created, check.rejected, check.new_orders), (4, 1, 3));
    assert_eq!(w.count("select count(*) from sales_order").await, 0);
    let (_, _, report) =
        service::rejected_report(&w.state, &w.admin, check.id, Locale::En, Tz::Asia__Shanghai)
            .await
            .unwrap();
    let report = csv_rows(&report);
    assert_eq!(report[1][0], "5", "the fifth data row");
    assert!(report[1].last().unwrap().contains("手机: No customer matches"), "{report:?}");

    let first = w
        .import(&w.admin, ImportKind::Orders, ORDERS.as_bytes(), ImportOptions::default(), false)
        .await;
    assert_eq!(first.status, ImportStatus::Imported);
    assert_eq!((first.created, first.unchanged, first.rejected, first.new_orders), (4, 0, 1, 3));
    // Lines of one order became one order; the catalogue price filled the empty one.
    let totals: Vec<(String, i64, i64)> = sqlx::query_as(
        "select o.order_no, o.total_minor, count(l.id) from sales_order o
         join order_line l on l.order_id = o.id group by 1, 2 order by 1",
    )
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(
        totals,
        vec![
            ("SO-1001".into(), 184_000, 2),
            ("SO-1002".into(), 68_000, 1),
            ("SO-1003".into(), 68_000, 1)
        ]
    );

    // Everything derived is up to date: type, aggregates, status, stage, scores and tier, each
    // move on the timeline once however many orders caused it.
    let after = w.detail(huaxin).await;
    assert_eq!(after.order_count, 2);
    assert_eq!(after.total_spend.minor, 252_000);
    assert_eq!(after.customer_type, app::customers::model::CustomerType::Existing);
    assert_eq!(after.stage, LifecycleStage::Repeat);
    let moves: Vec<String> = sqlx::query_scalar(
        "select kind from timeline_event where customer_id = $1 and kind in
             ('type_changed', 'stage_changed', 'tier_changed', 'order') order by kind",
    )
    .bind(huaxin.0)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(
        moves,
        vec!["order", "order", "stage_changed", "tier_changed", "type_changed"],
        "one move of each, not one per order"
    );
    let tier = app::tiers::service::customer_tier(&w.db.pool, huaxin, None).await.unwrap();
    assert!(tier.scores.m > 0 && tier.tier.is_some(), "{tier:?}");
    assert_eq!(w.detail(yuanfang).await.stage, LifecycleStage::New);
    let affinities = w.count("select count(*) from product_affinity").await;
    assert_eq!(affinities, 2, "tea and cups were bought together: recommendations know it");

    // The same file again creates nothing: order numbers are the natural key.
    let again = w
        .import(&w.admin, ImportKind::Orders, ORDERS.as_bytes(), ImportOptions::default(), false)
        .await;
    assert_eq!((again.created, again.unchanged, again.rejected, again.new_orders), (0, 4, 1, 0));
    assert_eq!(w.count("select count(*) from sales_order").await, 3);

    // Revert takes the orders out and puts type, stage and tier back.
    let reverted = w.revert(&w.admin, first.id).await;
    assert_eq!(reverted.status, ImportStatus::Reverted);
    assert_eq!(w.count("select count(*) from sales_order").await, 0);
    let back = w.detail(huaxin).await;
    assert_eq!(
        (back.status, back.stage, back.order_count),
        (ActivityStatus::Potential, LifecycleStage::Potential, 0)
    );
    assert_eq!(back.customer_type, app::customers::model::CustomerType::Potential);
    let tier = app::tiers::service::customer_tier(&w.db.pool, huaxin, None).await.unwrap();
    assert_eq!(tier.scores.m, 0);
    assert_eq!(w.count("select count(*) from timeline_event where kind = 'order'").await, 0);
}

#[tokio::test]
async fn a_date_near_midnight_lands_on_the_company_day() {
    let w = World::new().await;
    let id = w.customer(&w.admin, "夜猫子商行", "13800000001").await;
    let file = "订单号,下单时间,手机,订单金额\nN-1,2026-03-01 00:30,13800000001,100\nN-2,2026-02-28,13800000001,100\n";
    let run = w
        .import(&w.admin, ImportKind::Orders, file.as_bytes(), ImportOptions::default(), false)
        .await;
    assert_eq!((run.created, run.rejected), (2, 0));
    let times: Vec<(String, DateTime<Utc>)> =
        sqlx::query_as("select order_no, ordered_at from sales_order order by order_no")
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    // Half past midnight on 1 March in Shanghai is still 28 February in UTC; a date alone is
    // the start of that day in Shanghai.
    assert_eq!(times[0], ("N-1".into(), at("2026-02-28T16:30:00Z")));
    assert_eq!(times[1], ("N-2".into(), at("2026-02-27T16:00:00Z")));
    // Counted in the company's days: the order is in March, on the customer's last-order day.
    let month: NaiveDate = sqlx::query_scalar(
        "select date_trunc('month', ordered_at at time zone company_time_zone())::date
         from sales_order where order_no = 'N-1'",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(month, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
    let csv = w
        .export(
            &w.admin,
            ExportEntity::Orders,
            ExportFormat::Csv,
            Request {
                from: NaiveDate::from_ymd_opt(2026, 3, 1),
                to: NaiveDate::from_ymd_opt(2026, 3, 31),
                ..Default::default()
            },
        )
        .await;
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 2, "March holds N-1 only: {rows:?}");
    assert_eq!(rows[1][2], "2026-03-01 00:30", "shown on the company's clock");
    let _ = id;
}

#[tokio::test]
async fn gbk_utf16_and_excel_files_import_the_same_orders() {
    let w = World::new().await;
    w.customer(&w.admin, "华信科技", "13800138000").await;
    let text = "订单号,下单时间,手机,产品名称,数量,行金额\nG-1,2026-05-01,13800138000,龙井茶礼盒,1,680元\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let run = w.import(&w.admin, ImportKind::Orders, &gbk, ImportOptions::default(), false).await;
    assert_eq!((run.encoding.as_str(), run.created, run.rejected), ("gbk", 1, 0));

    let tabbed = text.replace("G-1", "U-1").replace(',', "\t");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(tabbed.encode_utf16().flat_map(u16::to_le_bytes));
    let run = w.import(&w.admin, ImportKind::Orders, &utf16, ImportOptions::default(), false).await;
    assert_eq!((run.encoding.as_str(), run.created, run.rejected), ("utf-16le", 1, 0));

    // A workbook whose second sheet holds the orders; numbers and dates typed as Excel types.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook.add_worksheet().set_name("说明").unwrap().write_string(0, 0, "订单在下一页").unwrap();
    let sheet = workbook.add_worksheet().set_name("订单").unwrap();
    sheet.write_row(0, 0, ["订单号", "下单时间", "手机", "产品名称", "数量", "行金额"]).unwrap();
    sheet.write_string(1, 0, "X-1").unwrap();
    let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 5, 2).unwrap();
    sheet
        .write_datetime_with_format(
            1,
            1,
            &day,
            &rust_xlsxwriter::Format::new().set_num_format("yyyy/m/d"),
        )
        .unwrap();
    sheet.write_number(1, 2, 13800138000.0).unwrap();
    sheet.write_string(1, 3, "龙井茶礼盒").unwrap();
    sheet.write_number(1, 4, 2.0).unwrap();
    sheet.write_number(1, 5, 1360.0).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let id = service::upload(
        &w.state,
        &w.admin,
        ImportKind::Orders,
        "orders.xlsx",
        Encoding::Auto,
        &bytes,
    )
    .await
    .unwrap();
    let uploaded = service::get(&w.state, &w.admin, id).await.unwrap();
    assert_eq!(uploaded.sheets, vec!["说明", "订单"]);
    service::choose_sheet(&w.state, &w.admin, id, "订单").await.unwrap();
    let run = w.run(&w.admin, id, ImportMode::SkipBad, ImportOptions::default(), false).await;
    assert_eq!((run.encoding.as_str(), run.created, run.rejected), ("xlsx", 1, 0));
    let total: i64 =
        sqlx::query_scalar("select total_minor from sales_order where order_no = 'X-1'")
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(total, 136_000);
}

#[tokio::test]
async fn every_money_spelling_is_read_exactly() {
    let w = World::new().await;
    w.customer(&w.admin, "华信科技", "13800138000").await;
    let spellings = [
        ("¥1,280.00", 128_000),
        ("1280元", 128_000),
        ("1.28万", 1_280_000),
        ("1.28万元", 1_280_000),
        ("￥99.9", 9_990),
        ("RMB 5,000", 500_000),
        ("0.29", 29),
        ("3万", 3_000_000),
    ];
    let mut file = String::from("订单号,下单时间,手机,金额\n");
    for (n, (spelling, _)) in spellings.iter().enumerate() {
        file.push_str(&format!("M-{n},2026-04-01,13800138000,\"{spelling}\"\n"));
    }
    file.push_str("M-bad,2026-04-01,13800138000,12.345\n");
    let run = w
        .import(&w.admin, ImportKind::Orders, file.as_bytes(), ImportOptions::default(), false)
        .await;
    assert_eq!((run.created, run.rejected), (spellings.len() as i32, 1));
    for (n, (spelling, minor)) in spellings.iter().enumerate() {
        let total: i64 =
            sqlx::query_scalar("select total_minor from sales_order where order_no = $1")
                .bind(format!("M-{n}"))
                .fetch_one(&w.db.pool)
                .await
                .unwrap();
        assert_eq!(total, *minor, "{spelling}");
    }
}

#[tokio::test]
async fn an_order_with_one_bad_line_is_left_out_whole_and_options_create_what_is_missing() {
    let w = World::new().await;
    w.customer(&w.admin, "华信科技", "13800138000").await;
    let file = "订单号,下单时间,客户名称,手机,SKU,产品名称,数量,单价\n\
B-1,2026-05-01,华信科技,13800138000,TEA-01,,1,680\n\
C-1,2026-05-03,新客户甲,13600000001,NEW-9,新品茶饼,1,300\n\
B-1,2026-05-01,华信科技,13800138000,TEA-01,,x,680\n";
    let run = w
        .import(&w.admin, ImportKind::Orders, file.as_bytes(), ImportOptions::default(), false)
        .await;
    // B-1's third row is bad, so its first row is refused with it; C-1 names an unknown
    // customer and product.
    assert_eq!((run.created, run.rejected), (0, 3));
    let (_, _, report) =
        service::rejected_report(&w.state, &w.admin, run.id, Locale::En, Tz::Asia__Shanghai)
            .await
            .unwrap();
    let text = String::from_utf8(report).unwrap();
    assert!(text.contains("Row 3 of the same order was refused"), "{text}");

    let options =
        ImportOptions { create_customers: true, create_products: true, ..Default::default() };
    let fixed = file.replace(",x,", ",3,");
    let run = w.import(&w.admin, ImportKind::Orders, fixed.as_bytes(), options, false).await;
    assert_eq!((run.created, run.rejected, run.new_customers, run.new_products), (3, 0, 1, 1));
    let made: (String, i64) =
        sqlx::query_as("select name, unit_price_minor from product where sku = 'NEW-9'")
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(made, ("新品茶饼".to_owned(), 30_000));
    // Reverting removes the customer and product it created.
    w.revert(&w.admin, run.id).await;
    assert_eq!(w.count("select count(*) from product where sku = 'NEW-9'").await, 0);
    assert_eq!(
        w.count("select count(*) from customer where name = '新客户甲' and deleted_at is null")
            .await,
        0
    );
}

#[tokio::test]
async fn interactions_import_once_and_revert() {
    let w = World::new().await;
    let id = w.customer(&w.admin, "华信科技", "13800138000").await;
    let file = "手机,沟通方式,时间,主题,结果\n\
13800138000,拜访,2026-05-01 09:00,季度回访,满意\n\
13800138000,电话,2026-05-02 14:00,报价跟进,\n\
13999999999,电话,2026-05-02 14:00,谁,\n";
    let run = w
        .import(
            &w.admin,
            ImportKind::Interactions,
            file.as_bytes(),
            ImportOptions::default(),
            false,
        )
        .await;
    assert_eq!((run.created, run.unchanged, run.rejected), (2, 0, 1));
    let again = w
        .import(
            &w.admin,
            ImportKind::Interactions,
            file.as_bytes(),
            ImportOptions::default(),
            false,
        )
        .await;
    assert_eq!((again.created, again.unchanged, again.rejected), (0, 2, 1));
    let on_timeline =
        w.count("select count(*) from timeline_event where kind = 'interaction'").await;
    assert_eq!(on_timeline, 2);
    w.revert(&w.admin, run.id).await;
    assert_eq!(w.count("select count(*) from interaction").await, 0);
    assert_eq!(w.count("select count(*) from timeline_event where kind = 'interaction'").await, 0);
    let _ = id;
}

#[tokio::test]
async fn formula_cells_are_neutralised_in_every_csv_we_write() {
    let w = World::new().await;
    let evil = "=HYPERLINK(\"http://evil.example\",\"点我\")";
    let id = w.customer(&w.admin, evil, "13800138000").await;
    // A web-form lead, an order, an interaction, a ticket and a task all carrying a formula.
    sqlx::query("insert into lead (name, company, source) values ($1, '+cmd|calc', 'web_form')")
        .bind(evil)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let orders = format!(
        "订单号,下单时间,手机,订单金额,备注\n@SUM-1,2026-05-01,13800138000,10,\"{}\"\n",
        "-1+1"
    );
    let run = w
        .import(&w.admin, ImportKind::Orders, orders.as_bytes(), ImportOptions::default(), false)
        .await;
    assert_eq!(run.created, 1);
    sqlx::query(
        "insert into interaction (customer_id, kind, occurred_at, subject) values ($1, 'call', now(), '=1+2')",
    )
    .bind(id.0)
    .execute(&w.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into task (title, assignee_id, due_at, customer_id) values ('\t=cmd', $1, now(), $2)",
    )
    .bind(w.admin.id().0)
    .bind(id.0)
    .execute(&w.db.pool)
    .await
    .unwrap();
    for entity in [
        ExportEntity::Customers,
        ExportEntity::Leads,
        ExportEntity::Orders,
        ExportEntity::OrderLines,
        ExportEntity::Interactions,
        ExportEntity::Tasks,
        ExportEntity::Tickets,
        ExportEntity::Opportunities,
        ExportEntity::SurveyAnswers,
        ExportEntity::Contacts,
        ExportEntity::Products,
        ExportEntity::Points,
        ExportEntity::AuditLog,
    ] {
        let bytes = w.export(&w.admin, entity, ExportFormat::Csv, Request::default()).await;
        for row in csv_rows(&bytes) {
            for cell in &row {
                let risky = cell.starts_with(['=', '+', '@', '\t', '\r'])
                    || (cell.starts_with('-') && cell.parse::<f64>().is_err());
                assert!(!risky, "{entity:?} wrote {cell:?}");
            }
        }
    }
    let customers = String::from_utf8(
        w.export(&w.admin, ExportEntity::Customers, ExportFormat::Csv, Request::default()).await,
    )
    .unwrap();
    assert!(customers.contains("'=HYPERLINK"), "kept, as text: {customers}");

    // The rejected-rows report of an import is a CSV we write too.
    let bad = format!("订单号,下单时间,手机,订单金额\n=EVIL(),not a date,13800138000,{}\n", "+5");
    let run = w
        .import(&w.admin, ImportKind::Orders, bad.as_bytes(), ImportOptions::default(), true)
        .await;
    let (_, _, report) =
        service::rejected_report(&w.state, &w.admin, run.id, Locale::ZhCn, Tz::Asia__Shanghai)
            .await
            .unwrap();
    for row in csv_rows(&report) {
        for cell in row {
            assert!(!cell.starts_with(['=', '+', '@']), "report wrote {cell:?}");
        }
    }
}

#[tokio::test]
async fn an_xlsx_export_reads_back_the_same_rows_with_phones_as_text() {
    use calamine::{Data, Reader};
    let w = World::new().await;
    let id = w.customer(&w.admin, "零号客户", "013800138000").await;
    let orders =
        "订单号,下单时间,手机,SKU,数量,单价\nE-1,2026-05-01 08:00,013800138000,TEA-01,3,680\n";
    w.import(&w.admin, ImportKind::Orders, orders.as_bytes(), ImportOptions::default(), false)
        .await;
    let csv = csv_rows(
        &w.export(&w.admin, ExportEntity::Customers, ExportFormat::Csv, Request::default()).await,
    );
    let bytes =
        w.export(&w.admin, ExportEntity::Customers, ExportFormat::Xlsx, Request::default()).await;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = workbook.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows.len(), csv.len(), "header and the same rows");
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, csv[0]);
    let phone = header.iter().position(|h| h == "电话").unwrap();
    assert_eq!(rows[1][phone], Data::String("013800138000".into()), "text: the leading zero stays");
    let id_column = header.iter().position(|h| h == "编号").unwrap();
    assert_eq!(rows[1][id_column], Data::String(id.0.to_string()));
    let spend = header.iter().position(|h| h == "消费总额").unwrap();
    assert_eq!(rows[1][spend], Data::Float(2040.0), "money is a number");
    let last = header.iter().position(|h| h == "最近下单").unwrap();
    assert!(
        matches!(&rows[1][last], Data::DateTime(d) if d.as_datetime().unwrap().date() == NaiveDate::from_ymd_opt(2026, 5, 1).unwrap())
    );
    for (n, row) in rows.iter().enumerate().skip(1) {
        for (cell, text) in row.iter().zip(&csv[n]) {
            if let Data::String(value) = cell {
                assert_eq!(value, text.trim_start_matches('\''));
            }
        }
    }
}

#[tokio::test]
async fn a_members_import_and_export_stay_inside_their_scope() {
    let w = World::new().await;
    let alice = w.member("alice@example.com").await;
    let bob = w.member("bob@example.com").await;
    let hers = w.customer(&alice, "东方贸易", "13800000011").await;
    let his = w.customer(&bob, "西部物流", "13800000022").await;
    // Alice's file names her customer and Bob's (by phone, and by Bob's customer's name).
    let file = "订单号,下单时间,手机,客户名称,订单金额\n\
A-1,2026-05-01,13800000011,,100\n\
A-2,2026-05-01,13800000022,,100\n\
A-3,2026-05-01,,西部物流,100\n";
    let options = ImportOptions { create_customers: true, ..Default::default() };
    let run = w.import(&alice, ImportKind::Orders, file.as_bytes(), options, false).await;
    assert_eq!(
        (run.created, run.rejected, run.new_customers),
        (1, 2, 0),
        "refused, never created beside his"
    );
    assert_eq!(w.detail(his).await.order_count, 0, "Bob's customer untouched");
    assert_eq!(w.detail(hers).await.order_count, 1);
    let (_, _, report) =
        service::rejected_report(&w.state, &alice, run.id, Locale::En, Tz::Asia__Shanghai)
            .await
            .unwrap();
    assert!(String::from_utf8(report).unwrap().contains("cannot assign"));

    // Bob cannot see or revert Alice's import by its id; members do not import customers.
    assert!(matches!(
        service::get(&w.state, &bob, run.id).await,
        Err(app::error::AppError::NotFound)
    ));
    assert!(service::start_revert(&w.state, &bob, run.id).await.is_err());
    let denied = service::upload(
        &w.state,
        &alice,
        ImportKind::Customers,
        "c.csv",
        Encoding::Auto,
        b"name\nx\n",
    )
    .await;
    assert!(matches!(denied, Err(app::error::AppError::Forbidden)));

    // Her exports hold her customers only, whatever filter names Bob.
    let customers = csv_rows(
        &w.export(&alice, ExportEntity::Customers, ExportFormat::Csv, Request::default()).await,
    );
    assert_eq!(customers.len(), 2);
    assert_eq!(customers[1][2], "东方贸易");
    let bobs =
        app::customers::model::CustomerFilter { owner_id: Some(bob.id()), ..Default::default() };
    let swapped =
        Request { filter: Some(serde_json::to_value(bobs).unwrap()), ..Default::default() };
    assert_eq!(
        csv_rows(&w.export(&alice, ExportEntity::Customers, ExportFormat::Csv, swapped).await)
            .len(),
        1
    );
    let orders = csv_rows(
        &w.export(&alice, ExportEntity::Orders, ExportFormat::Csv, Request::default()).await,
    );
    assert_eq!(orders.iter().skip(1).map(|r| r[0].as_str()).collect::<Vec<_>>(), ["A-1"]);
    // The audit log is an admin's.
    let who =
        Who { user_id: alice.id(), visible_owners: alice.scope.visible_owners(), admin: false };
    let output = Output {
        format: ExportFormat::Csv,
        encoding: CsvEncoding::Utf8,
        locale: Locale::En,
        zone: Tz::Asia__Shanghai,
    };
    let audit = EXPORTS
        .write(&w.db.pool, &who, ExportEntity::AuditLog, &Request::default(), output, Vec::new())
        .await;
    assert!(matches!(audit, Err(app::error::AppError::Forbidden)));
}

#[tokio::test]
async fn the_company_archive_holds_every_list_and_a_manifest() {
    use std::io::Read;
    let w = World::new().await;
    w.customer(&w.admin, "华信科技", "13800138000").await;
    w.import(&w.admin, ImportKind::Orders, ORDERS.as_bytes(), ImportOptions::default(), false)
        .await;
    let payload = app::exports::archive::ArchivePayload {
        file_id: sqlx::query_scalar(
            "insert into export_file (name, content_type, created_by) values ('a.zip', 'application/zip', $1) returning id",
        )
        .bind(w.admin.id().0)
        .fetch_one(&w.db.pool)
        .await
        .unwrap(),
        format: ExportFormat::Csv,
        locale: Locale::ZhCn,
    };
    let mut connection = w.db.pool.acquire().await.unwrap();
    let mut job = app::jobs::queue::NewJob::new(
        app::jobs::model::kinds::COMPANY_ARCHIVE,
        serde_json::to_value(&payload).unwrap(),
    );
    job.created_by = Some(w.admin.id());
    app::jobs::queue::enqueue(&mut connection, job).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while w
        .count(&format!(
            "select count(*) from export_file where id = {} and completed_at is not null",
            payload.file_id
        ))
        .await
        == 0
    {
        assert!(Instant::now() < deadline, "the archive was not built");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let chunks: Vec<Vec<u8>> = sqlx::query_scalar(
        "select data from export_file_chunk where file_id = $1 order by position",
    )
    .bind(payload.file_id)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(chunks.concat())).unwrap();
    let mut manifest = String::new();
    zip.by_name("manifest.json").unwrap().read_to_string(&mut manifest).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(files.len(), app::exports::archive::CONTENTS.len());
    let orders = files.iter().find(|f| f["list"] == "orders").unwrap();
    assert_eq!(orders["rows"], 2, "远方物流 is not a customer here");
    assert_eq!(zip.len(), files.len() + 1);
    assert_eq!(manifest["time_zone"], "Asia/Shanghai");
}

#[tokio::test]
async fn imported_history_earns_points_only_when_an_admin_chooses_and_a_revert_takes_them_back() {
    let w = World::new().await;
    let id = w.customer(&w.admin, "华信科技", "13800138000").await;
    sqlx::query("update loyalty_settings set points_per_hundred = 1, expiry_days = 3650")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let chosen = ImportOptions { award_points: true, ..Default::default() };
    // A manager's choice is ignored: points for history are a company decision.
    let manager =
        w.db.caller(w.db.user("manager@example.com", Role::Manager, None, PASSWORD).await)
            .await
            .unwrap();
    let theirs = w.customer(&manager, "经理的客户", "13900000000").await;
    let file = "订单号,下单时间,手机,订单金额\nM-1,2026-05-01,13900000000,1000\n";
    let run = w.import(&manager, ImportKind::Orders, file.as_bytes(), chosen.clone(), false).await;
    assert_eq!(run.created, 1);
    assert_eq!(app::loyalty::service::balance(&w.db.pool, theirs).await.unwrap(), 0);

    let file = "订单号,下单时间,手机,订单金额\nP-1,2026-05-01,13800138000,1000\nP-2,2026-06-01,13800138000,250\n";
    let run = w.import(&w.admin, ImportKind::Orders, file.as_bytes(), chosen, false).await;
    let balance = app::loyalty::service::balance(&w.db.pool, id).await.unwrap();
    assert_eq!(balance, 12, "1 point per ¥100: 10 + 2");
    // The older lot is partly spent; the revert takes the untouched lot away and closes the
    // spent one with an adjustment, so the ledger still adds up and nothing spent is undone.
    app::loyalty::service::redeem(&w.state, &w.admin, id, 5, "礼品").await.unwrap();
    w.revert(&w.admin, run.id).await;
    assert_eq!(app::loyalty::service::balance(&w.db.pool, id).await.unwrap(), 0);
    let ledger: Vec<(String, i64)> =
        sqlx::query_as("select kind, delta from points_entry where customer_id = $1 order by id")
            .bind(id.0)
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(ledger, vec![("earn".into(), 10), ("redeem".into(), -5), ("adjust".into(), -5)]);
}

#[tokio::test]
async fn a_revert_takes_imported_orders_away_after_they_were_refunded_or_cancelled() {
    use app::orders::{model::OrderId, repo as orders_repo, service as orders};
    let w = World::new().await;
    let id = w.customer(&w.admin, "华信科技", "13800138000").await;
    let chosen = ImportOptions { award_points: true, ..Default::default() };
    let file = "订单号,下单时间,手机,订单金额\nR-1,2026-05-01,13800138000,1000\nR-2,2026-06-01,13800138000,500\n";
    let run = w.import(&w.admin, ImportKind::Orders, file.as_bytes(), chosen, false).await;
    assert_eq!(run.created, 2);
    let pool = &w.db.pool;
    let order_id = |no: &'static str| async move {
        let id: i64 = sqlx::query_scalar("select id from sales_order where order_no = $1")
            .bind(no)
            .fetch_one(pool)
            .await
            .unwrap();
        orders_repo::order(&mut pool.acquire().await.unwrap(), OrderId(id)).await.unwrap()
    };
    let refunded = order_id("R-1").await;
    orders::refund_order(&w.state, &w.admin, refunded.id, refunded.version, "300", "破损")
        .await
        .unwrap();
    let cancelled = order_id("R-2").await;
    orders::cancel_order(&w.state, &w.admin, cancelled.id, cancelled.version, "退单")
        .await
        .unwrap();
    let spend: i64 = sqlx::query_scalar("select total_spend_minor from customer where id = $1")
        .bind(id.0)
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(spend, 70_000, "¥1,000 less ¥300 refunded; the cancelled order no longer counts");

    let reverted = w.revert(&w.admin, run.id).await;
    assert_eq!(reverted.status, ImportStatus::Reverted);
    let (count, spend): (i32, i64) =
        sqlx::query_as("select order_count, total_spend_minor from customer where id = $1")
            .bind(id.0)
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!((count, spend), (0, 0));
    let left: i64 = sqlx::query_scalar(
        "select count(*) from timeline_event where customer_id = $1
         and kind in ('order', 'order_refunded', 'order_cancelled')",
    )
    .bind(id.0)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(left, 0, "the orders' own timeline entries go with them");
    assert_eq!(app::loyalty::service::balance(&w.db.pool, id).await.unwrap(), 0);
}

#[tokio::test]
async fn a_stopped_order_import_goes_on_after_its_last_committed_batch() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let admin =
        db.caller(db.user("admin@example.com", Role::Admin, None, PASSWORD).await).await.unwrap();
    customers::create(
        &state,
        &admin,
        CustomerInput {
            name: "大客户".into(), phone: "13800138000".into(), ..Default::default()
        },
        vec![],
    )
    .await
    .unwrap();
    // 2,500 orders of two lines each, the lines of an order not next to each other.
    let orders = 2_500;
    let mut file = String::from("订单号,下单时间,手机,金额\n");
    for pass in 0..2 {
        for n in 0..orders {
            file.push_str(&format!("R-{n:05},2026-05-01 10:00,13800138000,{}\n", 100 + pass));
        }
    }
    let id = started_import(&state, &admin, ImportKind::Orders, file.as_bytes()).await;
    // No job runner: the test plays the job's two attempts. The first stops after one batch.
    let stopped = service::execute(&db.pool, id, false, &mut StopsAfter(1)).await;
    assert!(stopped.is_err());
    let written: i64 =
        sqlx::query_scalar("select count(*) from sales_order").fetch_one(&db.pool).await.unwrap();
    assert_eq!(written, 1000, "one batch committed");
    service::execute(&db.pool, id, false, &mut service::Unreported).await.unwrap();
    let done = service::get(&state, &admin, id).await.unwrap();
    assert_eq!(
        (done.status, done.created, done.new_orders),
        (ImportStatus::Imported, 5_000, 2_500)
    );
    let orders_on_file: i64 =
        sqlx::query_scalar("select count(*) from sales_order").fetch_one(&db.pool).await.unwrap();
    assert_eq!(orders_on_file, 2_500, "nothing twice");
    // Two rows of an order, read far apart, made one order with both amounts.
    let totals: Vec<i64> = sqlx::query_scalar("select distinct total_minor from sales_order")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(totals, vec![20_100]);
}
