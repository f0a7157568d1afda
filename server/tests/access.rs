//! Access to every server function, generated from the list the server registers: a function
//! added without an entry here fails `every_registered_function_has_an_entry`.
//!
//! For each entry: anonymous callers get 401, each role below the entry's least role gets 403,
//! and a function that takes an owned record's id refuses the record of another team (ids
//! swapped) while its owner's team may use it. Every path refuses cross-site calls, GET and
//! `Origin: null`, and no malformed body (wrong types, missing fields, broken JSON, invalid UTF-8,
//! NUL bytes, far dates, extreme numbers, huge bodies) gets a 5xx.

mod common;

use app::{
    account::api::*,
    audit::model::AuditFilter,
    audit_log::api::*,
    auth::{
        api::*,
        model::{Role, ScopeKind, UserId},
    },
    automation::{
        api::*,
        calendar::Span,
        model::{RuleId, RuleInput},
    },
    backups::api::*,
    company::{api::*, model::CompanySettings},
    customers::{
        api::*,
        dedupe_model::MergeRequest,
        model::{
            CustomFieldDef, CustomFieldType, CustomerFilter, CustomerId, CustomerInput,
            CustomerSettings,
        },
    },
    exports::{api::*, model::ExportFormat},
    home::{
        api::*,
        model::{TileId, TileKind},
    },
    i18n::Locale,
    imports::{api::*, fields::ImportOptions, model::ImportMode},
    interactions::{api::*, model::InteractionInput},
    jobs::api::*,
    leads::{
        api::*,
        model::{ConvertInput, LeadFilter, LeadId, LeadInput, LeadStatus, Routing},
    },
    loyalty::{
        api::*,
        model::{Level, LoyaltySettings},
    },
    notifications::{api::*, model::Preferences},
    orders::{
        api::*,
        model::{OrderInput, OrderLineInput, ProductInput},
    },
    pipeline::{
        api::*,
        model::{BoardFilter, OpportunityId, OpportunityInput, PipelineInput, StageId},
    },
    reports::{
        api::*,
        churn::{api::*, model::ChurnFilter},
        cohorts::{
            api::*,
            model::{CohortCell, CohortQuery},
        },
        deals::{
            api::*,
            model::{DealFilter, DealQuery},
        },
        funnel::{
            api::*,
            model::{FunnelLeadFilter, FunnelQuery},
        },
        model::{RangeQuery, SalesFilter, SalesQuery},
        moves::{api::*, model::MovesFilter},
        saved::{
            api::*,
            model::{SavedDates, SavedReport, SavedReportKind},
        },
        statuses::{api::*, model::StatusFilter},
        value::{
            api::*,
            model::{ValueFilter, ValueQuery},
        },
    },
    search::api::*,
    surveys::{
        api::*,
        model::{AnswerValue, SendTarget, Survey},
    },
    tasks::{
        api::*,
        model::{TaskId, TaskInput},
    },
    tickets::{
        api::*,
        model::{
            BusinessCalendar, Category, MessageKind, Queue, SlaPolicy, TicketEdit, TicketId,
            TicketInput, TicketPriority, TicketStatus,
        },
    },
    tiers::{api::*, model::TierInput},
    users::{
        api::*,
        model::{NewUser, RoleScope, UserFilter, UserUpdate},
    },
};
use chrono::{NaiveDate, TimeZone, Utc};
use common::{Browser, TestServer};
use leptos::server_fn::ServerFn;
use reqwest::{Method, StatusCode, header};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Who may call a function at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Least {
    Anyone,
    Member,
    Manager,
    Admin,
}

/// Whether the arguments name a record owned by the west team, which the east team must not
/// reach through this function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owned {
    No,
    West,
    /// Answers an outsider as if the record did not exist: nothing (`null`, `[]`) or none
    /// changed (`0`), as the kanban's live updates and bulk actions expect.
    WestHidden,
}

struct Entry {
    path: &'static str,
    least: Least,
    owned: Owned,
    args: Value,
    /// Arguments for the east team's attempt where they must name someone the east team may
    /// assign to (so the refusal is about the record, not the assignee).
    east_args: Option<Value>,
    form_encoded: bool,
}

impl Entry {
    fn east(mut self, args: impl Serialize) -> Self {
        self.east_args = Some(serde_json::to_value(args).unwrap());
        self
    }
}

fn entry<F: ServerFn + Serialize>(least: Least, owned: Owned, args: F) -> Entry {
    Entry {
        path: F::PATH,
        least,
        owned,
        args: serde_json::to_value(&args).expect("arguments serialise"),
        east_args: None,
        form_encoded: false,
    }
}

/// A valid automation rule, for the entries that write or preview one.
fn access_rule() -> RuleInput {
    RuleInput {
        name: "访问测试规则".into(),
        task_title: "回访 {name}".into(),
        ..Default::default()
    }
}

/// Records the west team owns, created through the server functions themselves.
struct World {
    server: TestServer,
    admin: Browser,
    east_member: Browser,
    east_manager: Browser,
    west_member: Browser,
    west_manager: Browser,
    west_member_id: UserId,
    east_member_id: UserId,
    customer: CustomerId,
    /// A second west customer, for the functions that delete or merge.
    spare_customer: CustomerId,
    third_customer: CustomerId,
    fourth_customer: CustomerId,
    product: app::orders::model::ProductId,
    order: app::orders::model::OrderId,
    interaction: i64,
    opportunity: OpportunityId,
    stage: StageId,
    ticket: TicketId,
    task: TaskId,
    lead: LeadId,
    view: i64,
    import: i64,
    survey: i64,
    /// A report the west member saved to their dashboard: theirs alone.
    saved_report: i64,
}

async fn world() -> World {
    let server = TestServer::start().await;
    let east = server.db.team("East").await;
    let west = server.db.team("West").await;
    let password = common::PASSWORD;
    server.db.user("admin@example.com", Role::Admin, None, password).await;
    let east_member_id =
        server.db.user("east.member@example.com", Role::Member, Some(east), password).await;
    server.db.user("east.manager@example.com", Role::Manager, Some(east), password).await;
    let west_member_id =
        server.db.user("west.member@example.com", Role::Member, Some(west), password).await;
    server.db.user("west.manager@example.com", Role::Manager, Some(west), password).await;
    let admin = server.signed_in("admin@example.com").await;
    let east_member = server.signed_in("east.member@example.com").await;
    let east_manager = server.signed_in("east.manager@example.com").await;
    let west_member = server.signed_in("west.member@example.com").await;
    let west_manager = server.signed_in("west.manager@example.com").await;

    let customer_named = |name: &str| CreateCustomer {
        input: CustomerInput { name: name.into(), ..Default::default() },
        contacts: vec![],
    };
    let customer: CustomerId = west_member.ok(&customer_named("西部物流")).await;
    let spare_customer: CustomerId = west_member.ok(&customer_named("西部仓储")).await;
    let third_customer: CustomerId = west_member.ok(&customer_named("西部贸易")).await;
    let fourth_customer: CustomerId = west_member.ok(&customer_named("西部贸易公司")).await;
    let product: app::orders::model::ProductId = admin
        .ok(&SaveProduct {
            input: ProductInput {
                sku: "TEA-1".into(),
                name: "龙井".into(),
                unit_price: "100".into(),
                active: true,
                ..Default::default()
            },
        })
        .await;
    let order: app::orders::model::OrderId = west_member
        .ok(&AddOrder {
            input: OrderInput {
                customer_id: customer,
                lines: vec![OrderLineInput {
                    product_id: Some(product),
                    quantity: "2".into(),
                    unit_price: String::new(),
                }],
                ..Default::default()
            },
        })
        .await;
    let interaction: i64 = west_member
        .ok(&LogInteraction {
            input: InteractionInput {
                customer_id: customer,
                subject: "上门拜访".into(),
                ..Default::default()
            },
        })
        .await;
    let pipelines: Value = west_member.ok(&ListPipelines {}).await;
    let stage = StageId(pipelines[0]["stages"][1]["id"].as_i64().expect("a second stage"));
    let opportunity: OpportunityId = west_member
        .ok(&CreateOpportunity {
            input: OpportunityInput {
                customer_id: Some(customer),
                title: "年度合同".into(),
                amount: "12000".into(),
                expected_close: Some(day(2027, 1, 31)),
                ..Default::default()
            },
        })
        .await;
    let ticket: TicketId = west_member
        .ok(&CreateTicket {
            input: TicketInput {
                customer_id: Some(customer),
                subject: "发票问题".into(),
                description: "发票抬头错误".into(),
                ..Default::default()
            },
        })
        .await;
    let task: TaskId = west_member
        .ok(&CreateTask {
            input: TaskInput {
                title: "回访".into(),
                customer_id: Some(customer),
                due_at: Some(Utc.with_ymd_and_hms(2026, 12, 10, 9, 0, 0).unwrap()),
                ..Default::default()
            },
        })
        .await;
    let lead: LeadId = west_member
        .ok(&CreateLead {
            input: LeadInput {
                name: "周先生".into(),
                phone: "13900000001".into(),
                owner_id: Some(west_member_id),
                ..Default::default()
            },
        })
        .await;
    let view: i64 = west_member
        .ok(&SaveView { name: "我的客户".into(), filter: CustomerFilter::default() })
        .await;
    let upload = west_member
        .client
        .post(format!("{}/api/import-upload?name=o.csv&kind=orders", west_member.base))
        .header(header::ORIGIN, west_member.base.clone())
        .body("订单号,下单时间,手机,订单金额\nSO-1,2026-01-01,13800000000,100\n")
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), StatusCode::OK, "{}", upload.text().await.unwrap());
    let import = upload.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let survey: i64 = west_manager.ok(&SaveSurvey { survey: survey() }).await;
    let saved_report: SavedReport = west_member
        .ok(&SaveReportTile {
            report: SavedReportKind::Sales,
            title: "西部营收".into(),
            query: "by=owner".into(),
            dates: SavedDates::ThisMonth,
        })
        .await;

    World {
        server,
        admin,
        east_member,
        east_manager,
        west_member,
        west_manager,
        west_member_id,
        east_member_id,
        customer,
        spare_customer,
        third_customer,
        fourth_customer,
        product,
        order,
        interaction,
        opportunity,
        stage,
        ticket,
        task,
        lead,
        view,
        import,
        survey,
        saved_report: saved_report.id,
    }
}

fn survey() -> Survey {
    Survey {
        name_zh: "满意度".into(),
        name_en: "Satisfaction".into(),
        link_valid_days: 14,
        questions: vec![app::surveys::model::Question {
            text_zh: "满意吗".into(),
            text_en: "Satisfied?".into(),
            required: true,
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// One entry per server function, with arguments that decode, naming the west team's records.
fn entries(w: &World) -> Vec<Entry> {
    use Least::*;
    use Owned::*;
    let customer = w.customer;
    let today_end = Utc.with_ymd_and_hms(2026, 12, 4, 23, 59, 59).unwrap();
    let mut sign_in =
        entry(Anyone, No, SignIn { email: "nobody@example.com".into(), password: "x".into() });
    sign_in.form_encoded = true;
    vec![
        // Audit, company, jobs, exports.
        entry(Admin, No, ListAuditLog { filter: AuditFilter::default(), before_id: None }),
        entry(Admin, No, GetCompanySettings {}),
        entry(
            Admin,
            No,
            SaveCompanySettings {
                settings: CompanySettings {
                    time_zone: "Asia/Shanghai".into(),
                    recycle_bin_days: 30,
                    sla_warning_percent: 80,
                    version: 1,
                },
            },
        ),
        entry(Member, No, ListJobs { before_id: None }),
        entry(Member, No, GlobalSearch { query: "张".into() }),
        entry(Admin, No, GetMailboxHealth {}),
        entry(Member, No, MyNotifications { before: None }),
        entry(Member, No, MarkNotificationsRead { ids: None }),
        entry(Member, No, MyNotificationPreferences {}),
        entry(
            Member,
            No,
            SaveNotificationPreferences {
                preferences: Preferences { channels: vec![], digest: false },
            },
        ),
        entry(Admin, No, StartMaintenance {}),
        entry(Admin, No, GetBackupOverview {}),
        entry(Admin, No, ListBackups { before_id: None }),
        entry(Admin, No, StartBackup {}),
        entry(Admin, No, RetryJob { id: 1 }),
        entry(Admin, No, CancelJob { id: 1 }),
        entry(Admin, No, ListArchives {}),
        entry(Admin, No, StartArchive { format: ExportFormat::Csv }),
        // Sign-in and one's own account.
        entry(Anyone, No, GetCurrentUser {}),
        sign_in,
        entry(Anyone, No, SetLocale { locale: Locale::En }),
        entry(Member, No, ListMySessions {}),
        entry(Member, No, SignOutOtherSessions {}),
        entry(
            Member,
            No,
            ChangePassword {
                current_password: "wrong".into(),
                new_password: "a new long passphrase".into(),
                confirm_password: "a new long passphrase".into(),
            },
        ),
        // Customers.
        entry(Member, No, GetCustomerOptions {}),
        entry(Member, No, ListCustomers { filter: CustomerFilter::default(), cursor: None }),
        entry(Member, West, GetCustomer { id: customer }),
        entry(
            Member,
            No,
            CreateCustomer {
                input: CustomerInput { name: "新客户".into(), ..Default::default() },
                contacts: vec![],
            },
        ),
        entry(
            Member,
            West,
            UpdateCustomer {
                id: customer,
                version: 1,
                input: CustomerInput { name: "西部物流".into(), ..Default::default() },
                contacts: vec![],
            },
        ),
        entry(Manager, West, DeleteCustomer { id: w.spare_customer }),
        entry(Admin, No, ListDeletedCustomers {}),
        entry(Admin, No, RestoreCustomer { id: w.spare_customer }),
        entry(
            Member,
            WestHidden,
            AssignOwner { selection: Selection::Ids(vec![customer]), owner_id: w.west_member_id },
        )
        .east(AssignOwner {
            selection: Selection::Ids(vec![customer]),
            owner_id: w.east_member_id,
        }),
        entry(
            Member,
            WestHidden,
            TagCustomers { selection: Selection::Ids(vec![customer]), tag: "重点".into() },
        ),
        entry(Member, West, GetTimeline { id: customer, cursor: None }),
        entry(Member, No, ListSavedViews {}),
        entry(Member, No, SaveView { name: "视图".into(), filter: CustomerFilter::default() }),
        entry(Member, West, DeleteView { id: w.view }),
        entry(
            Admin,
            No,
            SaveCustomerSettings {
                settings: CustomerSettings {
                    active_window_days: 180,
                    loyal_min_orders: 3,
                    loyal_min_span_days: 180,
                    default_currency: "CNY".into(),
                    version: 1,
                    time_zone: "Asia/Shanghai".into(),
                },
            },
        ),
        entry(
            Admin,
            No,
            SaveCustomField {
                field: CustomFieldDef {
                    id: 0,
                    key: "wechat".into(),
                    label_zh: "微信".into(),
                    label_en: "WeChat".into(),
                    field_type: CustomFieldType::Text,
                    choices: vec![],
                    position: 1,
                    active: true,
                    version: 0,
                },
            },
        ),
        entry(Manager, No, ListDuplicates { after: None }),
        entry(Manager, No, DismissDuplicate { pair_id: 1 }),
        entry(
            Manager,
            West,
            MergeCustomers {
                request: MergeRequest {
                    survivor: w.third_customer,
                    merged: w.fourth_customer,
                    take_from_merged: vec![],
                },
            },
        ),
        entry(Manager, No, UndoMerge { merge_id: 1 }),
        entry(Manager, No, ListMerges {}),
        entry(Admin, No, StartDuplicateScan {}),
        // Imports.
        entry(Member, No, ListImports {}),
        entry(Member, West, GetImport { id: w.import }),
        entry(Member, West, ChooseImportSheet { id: w.import, sheet: "Sheet1".into() }),
        entry(
            Member,
            West,
            StartImport {
                id: w.import,
                mapping: vec![],
                mode: ImportMode::SkipBad,
                options: ImportOptions::default(),
                dry_run: true,
            },
        ),
        entry(Member, West, RevertImport { id: w.import }),
        // Interactions, orders.
        entry(
            Member,
            West,
            LogInteraction {
                input: InteractionInput {
                    customer_id: customer,
                    subject: "电话回访".into(),
                    ..Default::default()
                },
            },
        ),
        entry(Member, West, ListInteractions { customer_id: customer, before: None }),
        entry(
            Member,
            West,
            UpdateInteraction {
                id: w.interaction,
                version: 1,
                input: InteractionInput {
                    customer_id: customer,
                    subject: "上门拜访（已签到）".into(),
                    ..Default::default()
                },
            },
        ),
        entry(Member, No, ListProducts { include_inactive: false }),
        entry(
            Admin,
            No,
            SaveProduct {
                input: ProductInput {
                    sku: "SKU-1".into(),
                    name: "茶叶".into(),
                    unit_price: "100".into(),
                    active: true,
                    ..Default::default()
                },
            },
        ),
        entry(
            Member,
            West,
            AddOrder {
                input: OrderInput {
                    customer_id: customer,
                    order_no: "SO-9".into(),
                    lines: vec![OrderLineInput {
                        product_id: Some(w.product),
                        quantity: "1".into(),
                        unit_price: "100".into(),
                    }],
                    ..Default::default()
                },
            },
        ),
        entry(Member, West, ListOrders { customer_id: customer, before: None }),
        entry(
            Member,
            West,
            CorrectOrder {
                id: w.order,
                version: 1,
                input: OrderInput {
                    customer_id: customer,
                    lines: vec![OrderLineInput {
                        product_id: Some(w.product),
                        quantity: "3".into(),
                        unit_price: String::new(),
                    }],
                    ..Default::default()
                },
                reason: "数量录错".into(),
            },
        ),
        entry(
            Manager,
            West,
            RefundOrder { id: w.order, version: 2, amount: "10".into(), reason: "破损".into() },
        ),
        entry(Manager, West, CancelOrder { id: w.order, version: 3, reason: "退单".into() }),
        entry(Member, West, GetRecommendations { customer_id: customer }),
        entry(Admin, No, StartAffinityRebuild {}),
        // Leads.
        entry(Member, No, ListLeads { filter: LeadFilter::default(), before: None }),
        entry(
            Member,
            No,
            CreateLead {
                input: LeadInput {
                    name: "吴女士".into(),
                    phone: "13900000002".into(),
                    ..Default::default()
                },
            },
        ),
        entry(
            Member,
            West,
            SetLeadStatus { id: w.lead, version: 1, status: LeadStatus::Contacted, reason: None },
        ),
        entry(Member, West, LeadPossibleCustomers { id: w.lead }),
        entry(Member, West, GetLead { id: w.lead }),
        entry(
            Member,
            West,
            UpdateLead {
                id: w.lead,
                version: 1,
                input: LeadInput {
                    name: "吴女士".into(),
                    phone: "13900000003".into(),
                    ..Default::default()
                },
            },
        ),
        entry(
            Member,
            West,
            ConvertLead {
                id: w.lead,
                version: 1,
                input: ConvertInput {
                    opportunity_title: "首单".into(),
                    amount: "100".into(),
                    ..Default::default()
                },
            },
        ),
        entry(Admin, No, GetLeadRouting {}),
        entry(
            Admin,
            No,
            SaveLeadRouting { routing: Routing { follow_up_hours: 24, ..Default::default() } },
        ),
        entry(Admin, No, ListLeadForms {}),
        entry(Admin, No, CreateLeadForm { name: "官网".into() }),
        // Loyalty.
        entry(Member, West, GetMembership { customer_id: customer }),
        entry(
            Member,
            West,
            RedeemPoints { customer_id: customer, points: 1, reason: "礼品".into() },
        ),
        entry(
            Manager,
            West,
            AdjustPoints { customer_id: customer, delta: 10, reason: "补偿".into() },
        ),
        entry(Admin, No, GetLoyaltySetup {}),
        // Automation.
        entry(Manager, No, ListRules {}),
        entry(Manager, No, ListRuns { id: RuleId(1), before: None }),
        entry(Admin, No, SaveRule { id: None, version: 0, input: access_rule() }),
        entry(Admin, No, PreviewRule { id: None, input: access_rule() }),
        entry(Admin, No, RunRulesNow {}),
        entry(Member, No, GetCareCalendar { span: Span::Month, day: None, person: None }),
        entry(
            Admin,
            No,
            SaveLoyaltySettings {
                settings: LoyaltySettings { points_per_hundred: 1, expiry_days: 365, version: 1 },
            },
        ),
        entry(
            Admin,
            No,
            SaveLevel {
                level: Level {
                    name_zh: "金卡".into(),
                    name_en: "Gold".into(),
                    active: true,
                    ..Default::default()
                },
            },
        ),
        // Pipeline.
        entry(Member, No, ListPipelines {}),
        entry(
            Admin,
            No,
            SavePipeline {
                input: PipelineInput {
                    name_zh: "渠道".into(),
                    name_en: "Channel".into(),
                    ..Default::default()
                },
            },
        ),
        entry(Member, No, GetBoard { filter: BoardFilter::default() }),
        entry(
            Member,
            No,
            GetColumnPage { filter: BoardFilter::default(), stage_id: w.stage, after: None },
        ),
        entry(Member, No, ListOpportunities { filter: BoardFilter::default(), after: None }),
        entry(Member, WestHidden, GetCard { id: w.opportunity }),
        entry(Member, West, GetOpportunity { id: w.opportunity }),
        entry(
            Member,
            West,
            CreateOpportunity {
                input: OpportunityInput {
                    customer_id: Some(customer),
                    title: "追加".into(),
                    amount: "100".into(),
                    expected_close: Some(day(2027, 1, 31)),
                    ..Default::default()
                },
            },
        ),
        entry(
            Member,
            West,
            UpdateOpportunity {
                id: w.opportunity,
                version: 1,
                input: OpportunityInput {
                    customer_id: Some(customer),
                    title: "年度合同".into(),
                    amount: "13000".into(),
                    expected_close: Some(day(2027, 1, 31)),
                    ..Default::default()
                },
            },
        ),
        entry(
            Member,
            West,
            MoveOpportunity { id: w.opportunity, version: 1, stage_id: w.stage, lost_reason: None },
        ),
        entry(Member, West, CustomerOpportunities { customer_id: customer }),
        entry(Member, No, GetForecast {}),
        entry(Member, No, GetSalesReport { query: SalesQuery::default() }),
        entry(Member, No, GetReportChoices {}),
        entry(Member, No, GetCohortReport { query: CohortQuery::default() }),
        entry(Member, No, ListCohortCustomers { cell: CohortCell::default(), after: None }),
        entry(Member, No, GetCohortCellSize { cell: CohortCell::default() }),
        entry(Member, No, GetDealReport { query: DealQuery::default() }),
        entry(Member, No, ListClosedDeals { filter: DealFilter::default(), after: None }),
        entry(Member, No, GetFunnelReport { query: FunnelQuery::default() }),
        entry(Member, No, GetChurnReport { query: RangeQuery::default() }),
        entry(Member, No, ListChurnedCustomers { filter: ChurnFilter::default(), after: None }),
        entry(Member, No, GetStatusReport { query: RangeQuery::default() }),
        entry(Member, No, ListStatusCustomers { filter: StatusFilter::default(), after: None }),
        entry(Member, No, GetMovesReport { query: RangeQuery::default() }),
        entry(Member, No, ListCustomerMoves { filter: MovesFilter::default(), after: None }),
        entry(Member, No, GetValueReport { query: ValueQuery::default() }),
        entry(Member, No, ListValueCustomers { filter: ValueFilter::default(), after: None }),
        entry(Member, No, ListFunnelLeads { filter: FunnelLeadFilter::default(), after: None }),
        entry(Member, No, GetDashboardLayout {}),
        entry(
            Member,
            No,
            SaveDashboardLayout { tiles: vec![TileId::Built(TileKind::MyTasks)], version: 0 },
        ),
        entry(
            Member,
            No,
            SaveReportTile {
                report: SavedReportKind::Cohorts,
                title: "留存".into(),
                query: String::new(),
                dates: SavedDates::Last12Months,
            },
        ),
        // Saved reports are their owner's alone (the dashboard tests refuse a teammate too).
        entry(Member, West, GetReportTile { id: w.saved_report }),
        entry(Member, West, DeleteSavedReport { id: w.saved_report }),
        // The role check is the tile's: job health is for admins.
        entry(Admin, No, GetDashboardTile { kind: TileKind::JobHealth }),
        entry(Member, No, ListReportOrders { filter: SalesFilter::default(), after: None }),
        entry(Member, No, ExplainForecast { month: day(2026, 12, 1), owner_id: None }),
        entry(
            Manager,
            No,
            SaveQuota {
                owner_id: w.west_member_id,
                month: day(2026, 12, 1),
                amount: "50000".into(),
                version: 0,
            },
        ),
        entry(Manager, No, GetQuotas { year: Some(2026) }),
        // Surveys.
        entry(Member, No, ListSurveys {}),
        entry(Member, No, GetSurvey { id: w.survey }),
        entry(Manager, No, SaveSurvey { survey: survey() }),
        entry(
            Member,
            West,
            SendSurvey { survey_id: w.survey, target: SendTarget::Customer(customer) },
        ),
        entry(Manager, No, GetSurveyResults { id: w.survey }),
        entry(Anyone, No, GetPublicSurvey { token: "no-such-token".into() }),
        entry(
            Anyone,
            No,
            SubmitSurveyAnswer {
                token: "no-such-token".into(),
                answers: vec![AnswerValue::Score(5)],
            },
        ),
        // Tasks.
        entry(Member, No, GetMyDay { today_end }),
        entry(
            Member,
            WestHidden,
            ListRecordTasks { customer_id: Some(customer), opportunity_id: None, ticket_id: None },
        ),
        entry(
            Member,
            West,
            CreateTask {
                input: TaskInput {
                    title: "报价".into(),
                    customer_id: Some(customer),
                    due_at: Some(today_end),
                    ..Default::default()
                },
            },
        ),
        // Edited first: completing and deleting from version 1 then meet a conflict, which
        // still shows the task was reached.
        entry(
            Member,
            West,
            UpdateTask {
                id: w.task,
                version: 1,
                input: TaskInput {
                    title: "改期回访".into(),
                    due_at: Some(today_end),
                    ..Default::default()
                },
            },
        ),
        entry(Member, West, CompleteTask { id: w.task, version: 1 }),
        entry(Member, West, DeleteTask { id: w.task, version: 1 }),
        entry(Admin, No, ListDeletedTasks { after: None }),
        entry(Admin, No, RestoreTask { id: w.task }),
        entry(Member, No, GetDueReminders {}),
        // Service desk.
        entry(Member, No, ListQueue { queue: Queue::AllOpen, search: None, after: None }),
        entry(Member, West, GetTicket { id: w.ticket }),
        entry(
            Member,
            West,
            UpdateTicket {
                id: w.ticket,
                version: 1,
                edit: TicketEdit {
                    customer_id: customer,
                    category: Category::Complaint,
                    priority: TicketPriority::High,
                    assignee_id: None,
                },
            },
        ),
        entry(
            Member,
            West,
            CreateTicket {
                input: TicketInput {
                    customer_id: Some(customer),
                    subject: "退货".into(),
                    description: "包装破损".into(),
                    ..Default::default()
                },
            },
        ),
        entry(
            Member,
            West,
            ReplyToTicket { id: w.ticket, kind: MessageKind::Note, body: "已联系".into() },
        ),
        entry(
            Member,
            West,
            SetTicketStatus { id: w.ticket, version: 1, status: TicketStatus::Open },
        ),
        entry(Member, West, ClaimTicket { id: w.ticket }),
        entry(Member, No, ListTriage { before: None }),
        entry(Member, No, TriageEmail { id: 1, customer_id: None }),
        entry(
            Manager,
            WestHidden,
            AssignTickets { ids: vec![w.ticket], assignee_id: w.west_member_id },
        )
        .east(AssignTickets { ids: vec![w.ticket], assignee_id: w.east_member_id }),
        entry(Member, No, ListAgents {}),
        entry(Member, West, GetCustomerService { customer_id: customer }),
        entry(Manager, No, GetServiceReport { days: 30 }),
        entry(Admin, No, GetServiceSettings {}),
        entry(
            Admin,
            No,
            SaveServiceSettings {
                calendar: BusinessCalendar {
                    time_zone: "Asia/Shanghai".into(),
                    work_days: vec![1, 2, 3, 4, 5],
                    day_start_minute: 540,
                    day_end_minute: 1080,
                    holidays: vec![],
                    version: 1,
                },
                policies: vec![SlaPolicy {
                    id: None,
                    priority: Default::default(),
                    tier_id: None,
                    first_response_minutes: 60,
                    resolution_minutes: 480,
                    business_hours: true,
                }],
            },
        ),
        // Tiers and segments.
        entry(Member, No, ListTiers {}),
        entry(Admin, No, LoadTierEditor {}),
        entry(Admin, No, PreviewTiers { tiers: vec![tier()] }),
        entry(Admin, No, SaveTiers { tiers: vec![tier()], window_days: 365, version: 1 }),
        entry(Admin, No, StartTierRecompute {}),
        entry(Member, West, GetCustomerTier { customer_id: customer }),
        entry(
            Manager,
            West,
            SetTierOverride {
                customer_id: customer,
                tier_id: None,
                reason: "合同约定".into(),
                until: None,
            },
        ),
        entry(Manager, No, GetDistribution {}),
        entry(Member, No, ListSegments {}),
        entry(Member, No, CountCustomers { filter: CustomerFilter::default() }),
        entry(
            Manager,
            No,
            SaveSegment {
                id: None,
                version: 0,
                name: "大客户".into(),
                description: String::new(),
                filter: CustomerFilter::default(),
            },
        ),
        // Users and teams.
        entry(Admin, No, ListUsers { filter: UserFilter::default(), after_id: None }),
        entry(
            Admin,
            No,
            CreateUser {
                input: NewUser {
                    email: "new.person@example.com".into(),
                    display_name: "新同事".into(),
                    role: Some(Role::Member),
                    team_id: None,
                    password: "a long enough passphrase".into(),
                },
            },
        ),
        entry(
            Admin,
            No,
            UpdateUser {
                update: UserUpdate {
                    id: w.west_member_id,
                    version: 1,
                    display_name: "west.member@example.com".into(),
                    role: Role::Member,
                    team_id: None,
                },
            },
        ),
        entry(Admin, No, SetUserActive { id: w.west_member_id, version: 1, active: true }),
        entry(
            Admin,
            No,
            ResetUserPassword {
                id: w.west_member_id,
                new_password: "another long passphrase".into(),
            },
        ),
        entry(Admin, No, ListTeams {}),
        entry(Admin, No, CreateTeam { name: "North".into() }),
        entry(
            Admin,
            No,
            RenameTeam { id: app::auth::model::TeamId(1), version: 1, name: "East".into() },
        ),
        entry(Admin, No, ListDataScopes {}),
        entry(
            Admin,
            No,
            SetDataScope { scope: RoleScope { role: Role::Member, scope: ScopeKind::Own } },
        ),
        // After every other entry naming the lead, the opportunity, the interaction or the
        // ticket, from the version they moved past: the owner's team reaches it (and is told it
        // changed) without it going to the bin.
        entry(Member, West, DeleteLead { id: w.lead, version: 1 }),
        entry(Member, West, DeleteOpportunity { id: w.opportunity, version: 1 }),
        entry(Admin, No, ListDeletedOpportunities { after: None }),
        entry(Admin, No, RestoreOpportunity { id: w.opportunity }),
        entry(Admin, No, ListDeletedLeads { after: None }),
        entry(Admin, No, RestoreLead { id: w.lead }),
        entry(Member, West, DeleteInteraction { id: w.interaction, version: 1 }),
        entry(Admin, No, ListDeletedInteractions { after: None }),
        entry(Admin, No, RestoreInteraction { id: w.interaction }),
        entry(Manager, West, DeleteTicket { id: w.ticket, version: 1 }),
        entry(Admin, No, ListDeletedTickets { after: None }),
        entry(Admin, No, RestoreTicket { id: w.ticket }),
        // Last: it ends the caller's session.
        entry(Anyone, No, SignOut {}),
    ]
}

fn tier() -> TierInput {
    TierInput {
        id: None,
        name_zh: "高价值".into(),
        name_en: "High".into(),
        color: "#aa3322".into(),
        rule: "m >= 4".into(),
    }
}

/// Posts raw arguments to a server function from this site.
async fn post(browser: &Browser, entry: &Entry, args: &Value) -> reqwest::Response {
    let request = browser
        .client
        .post(format!("{}{}", browser.base, entry.path))
        .header(header::ORIGIN, &browser.base)
        .header("sec-fetch-site", "same-origin");
    let request = if entry.form_encoded { request.form(args) } else { request.json(args) };
    request.send().await.unwrap()
}

async fn status_and_body(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn every_registered_function_has_an_entry() {
    let w = world().await;
    let listed: BTreeSet<&str> = entries(&w).iter().map(|e| e.path).collect();
    assert_eq!(listed.len(), entries(&w).len(), "a function is listed twice");
    let registered: BTreeSet<&str> =
        leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path).collect();
    let missing: Vec<_> = registered.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&registered).collect();
    assert!(missing.is_empty(), "server functions without an access entry: {missing:?}");
    assert!(stale.is_empty(), "entries for functions the server does not register: {stale:?}");
}

#[tokio::test]
async fn anonymous_and_lesser_roles_are_refused_everywhere() {
    let w = world().await;
    let anonymous = w.server.browser();
    let mut failures = Vec::new();
    for entry in entries(&w) {
        if entry.path == SignOut::PATH {
            continue; // Anyone may sign out; it has nothing to refuse.
        }
        if entry.least > Least::Anyone {
            let (status, body) = status_and_body(post(&anonymous, &entry, &entry.args).await).await;
            if status != StatusCode::UNAUTHORIZED {
                failures.push(format!("{} anonymous: {status} {body}", entry.path));
            }
        }
        let lesser: &[(&Browser, Least)] =
            &[(&w.east_member, Least::Member), (&w.east_manager, Least::Manager)];
        for (browser, role) in lesser {
            if *role >= entry.least {
                continue;
            }
            let (status, body) = status_and_body(post(browser, &entry, &entry.args).await).await;
            if status != StatusCode::FORBIDDEN {
                failures.push(format!("{} as {role:?}: {status} {body}", entry.path));
            }
        }
    }
    assert!(failures.is_empty(), "not refused:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn another_teams_records_are_refused_and_their_own_team_reaches_them() {
    let w = world().await;
    let mut failures = Vec::new();
    let entries = entries(&w);
    let owned: Vec<&Entry> = entries.iter().filter(|e| e.owned != Owned::No).collect();
    assert!(owned.len() >= 40, "the owned-record functions are listed");
    for entry in &owned {
        let east = if entry.least == Least::Manager { &w.east_manager } else { &w.east_member };
        let args = entry.east_args.as_ref().unwrap_or(&entry.args);
        let (status, body) = status_and_body(post(east, entry, args).await).await;
        if !refused(entry.owned, status, &body) {
            failures.push(format!("{} from the east team: {status} {body}", entry.path));
        }
    }
    // The same arguments from the owner's team are not refused, so the refusals above come from
    // the scope and not from arguments that never decode.
    for entry in &owned {
        let west = if entry.least == Least::Manager { &w.west_manager } else { &w.west_member };
        let (status, body) = status_and_body(post(west, entry, &entry.args).await).await;
        // A conflict or a validation error about the record's own state also shows it was
        // reached; only a refusal, an undecodable request or a server error fail.
        let reached = !refused(entry.owned, status, &body)
            && !status.is_server_error()
            && !matches!(status, StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED);
        if !reached {
            failures.push(format!("{} from the west team: {status} {body}", entry.path));
        }
    }
    assert!(failures.is_empty(), "scope not kept:\n{}", failures.join("\n"));
}

/// A refusal that reveals nothing: not found, not allowed, a customer named in a new record
/// that "does not exist", or for hidden entries an empty answer.
fn refused(owned: Owned, status: StatusCode, body: &str) -> bool {
    match status {
        StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => true,
        StatusCode::UNPROCESSABLE_ENTITY => body.contains("UnknownReference"),
        StatusCode::OK => owned == Owned::WestHidden && matches!(body, "null" | "[]" | "0"),
        _ => false,
    }
}

#[tokio::test]
async fn every_path_refuses_cross_site_calls() {
    let w = world().await;
    let mut paths: Vec<&str> = entries(&w).iter().map(|e| e.path).collect();
    paths.extend(["/api/import-upload", "/api/lead-import"]);
    let mut failures = Vec::new();
    let admin = &w.admin;
    for path in paths {
        let url = format!("{}{path}", admin.base);
        let attempts = [
            (
                "cross-site POST",
                admin.client.post(&url).header(header::ORIGIN, "https://evil.example"),
            ),
            (
                "cross-site fetch",
                admin
                    .client
                    .post(&url)
                    .header(header::ORIGIN, "https://evil.example")
                    .header("sec-fetch-site", "cross-site"),
            ),
            ("same-site sibling", admin.client.post(&url).header("sec-fetch-site", "same-site")),
            ("Origin: null", admin.client.post(&url).header(header::ORIGIN, "null")),
            ("GET", admin.client.request(Method::GET, &url)),
        ];
        for (what, request) in attempts {
            let response = request
                .header(header::CONTENT_TYPE, "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = response.status();
            let expected =
                if what == "GET" { StatusCode::METHOD_NOT_ALLOWED } else { StatusCode::FORBIDDEN };
            if status != expected {
                failures.push(format!("{path} {what}: {status}"));
            }
        }
    }
    assert!(failures.is_empty(), "cross-site calls not refused:\n{}", failures.join("\n"));
    // The admin is still signed in: none of the refused calls ran (sign-out included).
    let me: Option<app::auth::model::CurrentUser> = admin.ok(&GetCurrentUser {}).await;
    assert!(me.is_some());
}

/// Variants of valid arguments that a careless or hostile client might send.
fn mutations(args: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    fn leaves(value: &Value, path: &mut Vec<String>, found: &mut Vec<(Vec<String>, Value)>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    path.push(key.clone());
                    found.push((path.clone(), inner.clone()));
                    leaves(inner, path, found);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, inner) in items.iter().enumerate() {
                    path.push(i.to_string());
                    found.push((path.clone(), inner.clone()));
                    leaves(inner, path, found);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    fn replaced(root: &Value, at: &[String], with: Option<Value>) -> Value {
        let mut copy = root.clone();
        let (last, parents) = at.split_last().unwrap();
        let mut cursor = &mut copy;
        for key in parents {
            cursor = match cursor {
                Value::Object(map) => map.get_mut(key).unwrap(),
                Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
                _ => unreachable!(),
            };
        }
        match (cursor, with) {
            (Value::Object(map), Some(v)) => {
                map.insert(last.clone(), v);
            }
            (Value::Object(map), None) => {
                map.remove(last);
            }
            (Value::Array(items), Some(v)) => items[last.parse::<usize>().unwrap()] = v,
            (Value::Array(items), None) => {
                items.remove(last.parse::<usize>().unwrap());
            }
            _ => unreachable!(),
        }
        copy
    }
    let mut found = Vec::new();
    leaves(args, &mut Vec::new(), &mut found);
    for (at, value) in found {
        let name = at.join(".");
        out.push((format!("{name} missing"), replaced(args, &at, None)));
        out.push((
            format!("{name} wrong type"),
            replaced(args, &at, Some(json!({"unexpected": [true]}))),
        ));
        let variants: Vec<(&str, Value)> = match &value {
            Value::String(s) => vec![
                ("NUL byte", json!(format!("{s}\u{0}x"))),
                ("100,000 characters", json!("长".repeat(100_000))),
                ("far past date", json!("-262143-01-01")),
                ("far future timestamp", json!("+262142-12-31T23:59:59Z")),
                ("year 0 date", json!("0000-01-01")),
                ("number text", json!("-9223372036854775808")),
                ("decimal overflow", json!("99999999999999999999999999999999999999")),
            ],
            Value::Number(_) => vec![
                ("i64::MIN", json!(i64::MIN)),
                ("i64::MAX", json!(i64::MAX)),
                ("-1", json!(-1)),
                ("u64::MAX", json!(u64::MAX)),
                ("float", json!(1.5e300)),
            ],
            _ => vec![],
        };
        for (what, with) in variants {
            out.push((format!("{name} {what}"), replaced(args, &at, Some(with))));
        }
    }
    out
}

#[tokio::test]
async fn no_malformed_argument_gets_a_server_error() {
    let w = world().await;
    let admin = &w.admin;
    let mut failures = Vec::new();
    let mut calls = 0;
    for entry in entries(&w) {
        if entry.path == SignOut::PATH || entry.form_encoded {
            continue; // Sign-out ends the session the sweep uses; sign-in has its own tests.
        }
        let url = format!("{}{}", admin.base, entry.path);
        let raw = |body: Vec<u8>| {
            admin
                .client
                .post(&url)
                .header(header::ORIGIN, &admin.base)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body)
        };
        let bodies: Vec<(&str, Vec<u8>)> = vec![
            ("broken JSON", b"{\"a\":".to_vec()),
            ("an array", b"[1,2,3]".to_vec()),
            ("a string", b"\"hello\"".to_vec()),
            ("invalid UTF-8", b"{\"name\":\"\xff\xfe\"}".to_vec()),
            ("empty", Vec::new()),
            ("deep nesting", "[".repeat(100_000).into_bytes()),
        ];
        for (what, body) in bodies {
            calls += 1;
            let (status, text) = status_and_body(raw(body).send().await.unwrap()).await;
            // An array is a valid encoding of the arguments, and a function without arguments
            // ignores what it is sent; broken JSON and a bare string never decode.
            let must_refuse = matches!(what, "broken JSON" | "a string" | "deep nesting");
            if status.is_server_error() || must_refuse && !status.is_client_error() {
                failures.push(format!("{} {what}: {status} {}", entry.path, excerpt(&text)));
            }
        }
        let huge = raw(vec![b' '; 3 * 1024 * 1024]).send().await.unwrap().status();
        if huge != StatusCode::PAYLOAD_TOO_LARGE {
            failures.push(format!("{} 3 MiB body: {huge}", entry.path));
        }
        for (what, args) in mutations(&entry.args) {
            calls += 1;
            let (status, text) = status_and_body(post(admin, &entry, &args).await).await;
            if status.is_server_error() {
                failures.push(format!("{} {what}: {status} {}", entry.path, excerpt(&text)));
            }
        }
    }
    eprintln!("{calls} malformed calls");
    assert!(failures.is_empty(), "{} server errors:\n{}", failures.len(), failures.join("\n"));
    let alive = reqwest::get(format!("{}/healthz", admin.base)).await.unwrap();
    assert_eq!(alive.status(), StatusCode::OK);
}

fn excerpt(text: &str) -> String {
    text.chars().take(160).collect()
}
