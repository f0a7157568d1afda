//! The home dashboard against real Postgres: each tile's figures equal a direct count or sum
//! over the same rows, a member's tiles count only their own records while their manager's
//! count the team's, tiles above a role are refused, the tile order is saved per user with its
//! version checked, and a saved report's tile (sales, cohorts, win/loss, funnel or churn) is its
//! owner's alone, read with their scope now.

use app::{
    auth::{model::Role, server::Authenticated},
    customers::{
        model::{CustomerId, CustomerInput},
        service as customers,
    },
    error::AppError,
    home::{
        model::{Target, TileData, TileId, TileKind},
        service as home,
    },
    orders::{
        model::{OrderInput, OrderLineInput, ProductId},
        service as orders,
    },
    reports::{
        model::{SalesFigures, SalesReport},
        saved::{
            model::{
                MAX_SAVED_REPORTS, ReportFigures, ReportQuery, SavedDates, SavedReport,
                SavedReportKind,
            },
            service as saved,
        },
    },
    state::AppState,
    testing::{TestDatabase, company_today},
};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, TimeZone, Utc};

struct World {
    db: TestDatabase,
    state: AppState,
    admin: Authenticated,
    manager: Authenticated,
    east_member: Authenticated,
    east_colleague: Authenticated,
    west_member: Authenticated,
    product: ProductId,
    today: NaiveDate,
}

impl World {
    async fn new() -> Self {
        let db = TestDatabase::new().await;
        let state = db.state();
        let east = db.team("华东").await;
        let west = db.team("华南").await;
        let pw = "a long enough password";
        // Every account before any caller: a caller's team is read when it signs in.
        let admin = db.user("admin@x.cn", Role::Admin, None, pw).await;
        let manager = db.user("lina@x.cn", Role::Manager, Some(east), pw).await;
        let east_member = db.user("zhang@x.cn", Role::Member, Some(east), pw).await;
        let east_colleague = db.user("wang@x.cn", Role::Member, Some(east), pw).await;
        let west_member = db.user("emily@x.cn", Role::Member, Some(west), pw).await;
        let today = company_today(&db.pool).await;
        let product: i64 = sqlx::query_scalar(
            "insert into product (sku, name, unit_price_minor) values ('TEA', '龙井', 10000) returning id",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        World {
            product: ProductId(product),
            admin: db.caller(admin).await.unwrap(),
            manager: db.caller(manager).await.unwrap(),
            east_member: db.caller(east_member).await.unwrap(),
            east_colleague: db.caller(east_colleague).await.unwrap(),
            west_member: db.caller(west_member).await.unwrap(),
            state,
            db,
            today,
        }
    }

    async fn customer(&self, owner: &Authenticated, name: &str) -> CustomerId {
        customers::create(
            &self.state,
            &self.admin,
            CustomerInput { name: name.into(), owner_id: Some(owner.id()), ..Default::default() },
            vec![],
        )
        .await
        .unwrap()
    }

    async fn tile(&self, caller: &Authenticated, kind: TileKind) -> TileData {
        home::tile(&self.db.pool, caller, kind, self.today).await.unwrap().data
    }

    async fn exec(&self, sql: &str, owner: &Authenticated) {
        sqlx::query(sql).bind(owner.id().0).execute(&self.db.pool).await.unwrap();
    }

    /// A placed order of `yuan` at `clock` on `day` in the company's zone (Asia/Shanghai).
    async fn order(&self, customer: CustomerId, day: NaiveDate, clock: &str, yuan: i64) {
        let local = day.and_time(NaiveTime::parse_from_str(clock, "%H:%M").unwrap());
        let at: DateTime<Utc> =
            chrono_tz::Asia::Shanghai.from_local_datetime(&local).unwrap().with_timezone(&Utc);
        orders::add_order(
            &self.state,
            &self.admin,
            OrderInput {
                customer_id: customer,
                ordered_at: Some(at),
                lines: vec![OrderLineInput {
                    product_id: Some(self.product),
                    quantity: "1".into(),
                    unit_price: yuan.to_string(),
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }

    /// Orders and revenue of placed orders on company days `from..=to`, within `owners`.
    async fn direct_sales(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        owners: Option<Vec<i64>>,
    ) -> SalesFigures {
        app::testing::sales_summed_from_orders(&self.db.pool, from, to, owners).await
    }
}

fn count_of(data: &TileData) -> i64 {
    match data {
        TileData::Items { count, .. } => *count,
        other => panic!("not a list tile: {other:?}"),
    }
}

/// Three tasks, two open opportunities and an overdue lead for `owner`, and one customer of
/// theirs that fell silent this month. "Later today" is halfway from now to midnight: a fixed
/// 23:59 was already past when the test ran in the day's last minute.
async fn records_of(w: &World, owner: &Authenticated, name: &str) -> CustomerId {
    let customer = w.customer(owner, name).await;
    w.exec(
        "insert into task (title, assignee_id, due_at) values
           ('overdue call', $1, now() - interval '2 hours'),
           ('call later today', $1, now() + (((now() at time zone company_time_zone())::date + 1)::timestamp at time zone company_time_zone() - now()) / 2),
           ('next week', $1, now() + interval '7 days')",
        owner,
    )
    .await;
    sqlx::query(
        "insert into opportunity (customer_id, title, amount_minor, expected_close, owner_id, pipeline_id, stage_id)
         values ($1, 'a', 100000, current_date + 40, $2, 1, 2), ($1, 'b', 300000, current_date + 40, $2, 1, 3)",
    )
    .bind(customer.0)
    .bind(owner.id().0)
    .execute(&w.db.pool)
    .await
    .unwrap();
    w.exec(
        "insert into lead (name, owner_id, created_at) values
           ('waited two days', $1, now() - interval '2 days'), ('just in', $1, now())",
        owner,
    )
    .await;
    customer
}

#[tokio::test]
async fn a_members_tiles_count_only_their_own_records_and_the_managers_the_teams() {
    let w = World::new().await;
    let east = records_of(&w, &w.east_member, "东方茶行").await;
    let colleague = records_of(&w, &w.east_colleague, "同事客户").await;
    records_of(&w, &w.west_member, "南方茶行").await;
    // Silent this month: the last order is window + 1 days before today (180-day window).
    let silent_day = w.today - Duration::days(181);
    let still_active_day = w.today - Duration::days(180);
    for (customer, day) in [(east, silent_day), (colleague, still_active_day)] {
        sqlx::query(
            "update customer set last_order_at = ($2::date + time '12:00') at time zone company_time_zone(),
                 order_count = 1, customer_type = 'existing' where id = $1",
        )
        .bind(customer.0)
        .bind(day)
        .execute(&w.db.pool)
        .await
        .unwrap();
    }

    match w.tile(&w.east_member, TileKind::MyTasks).await {
        TileData::Tasks { overdue, due_today, items } => {
            assert_eq!((overdue, due_today), (1, 1));
            assert_eq!(items.len(), 2, "only tasks due by the end of today are listed");
            assert_eq!(items[0].label, "overdue call");
        }
        other => panic!("{other:?}"),
    }
    match w.tile(&w.east_member, TileKind::OpenPipeline).await {
        TileData::Bars { bars, .. } => {
            let sums: Vec<(String, i64, i64)> =
                bars.iter().map(|b| (b.name_en.clone(), b.count, b.amount_minor)).collect();
            assert_eq!(
                sums,
                vec![("Qualification".into(), 1, 100000), ("Proposal".into(), 1, 300000)]
            );
        }
        other => panic!("{other:?}"),
    }
    match w.tile(&w.manager, TileKind::OpenPipeline).await {
        TileData::Bars { bars, .. } => {
            let total: i64 = bars.iter().map(|b| b.amount_minor).sum();
            assert_eq!(total, 800000, "the east team's two members, not the west's");
        }
        other => panic!("{other:?}"),
    }
    let waiting = w.tile(&w.east_member, TileKind::LeadsWaiting).await;
    assert_eq!(count_of(&waiting), 1, "the lead past the 24-hour follow-up only");
    assert_eq!(count_of(&w.tile(&w.manager, TileKind::LeadsWaiting).await), 2);
    assert_eq!(count_of(&w.tile(&w.admin, TileKind::LeadsWaiting).await), 3);

    let silent = w.tile(&w.east_member, TileKind::TurnedSilent).await;
    assert_eq!(count_of(&silent), 1);
    if let TileData::Items { items, href, .. } = &silent {
        assert!(items.iter().all(|i| i.label == "东方茶行"));
        assert!(href.starts_with("/customers?status=silent&last_from="), "{href}");
    }
    // The colleague's customer is still inside its window; the west member sees neither.
    assert_eq!(count_of(&w.tile(&w.east_colleague, TileKind::TurnedSilent).await), 0);
    assert_eq!(count_of(&w.tile(&w.west_member, TileKind::TurnedSilent).await), 0);

    // The silent tile counts what the customer list it links to shows.
    let settings = app::customers::repo::settings(&w.db.pool).await.unwrap();
    let listed = app::customers::repo::list(
        &w.db.pool,
        &app::customers::model::CustomerFilter {
            status: Some(app::customers::model::ActivityStatus::Silent),
            last_order_from: Some(w.today.with_day(1).unwrap() - Duration::days(181)),
            last_order_to: Some(w.today - Duration::days(181)),
            ..Default::default()
        },
        w.east_member.scope.visible_owners().as_deref(),
        None,
        50,
        &settings,
    )
    .await
    .unwrap();
    assert_eq!(listed.items.len() as i64, count_of(&silent));
}

#[tokio::test]
async fn tiles_above_a_role_are_refused() {
    let w = World::new().await;
    for kind in
        [TileKind::JobHealth, TileKind::ForecastVsQuota, TileKind::WonByRep, TileKind::TierDrops]
    {
        let refused = home::tile(&w.db.pool, &w.east_member, kind, w.today).await;
        assert!(matches!(refused, Err(AppError::Forbidden)), "{kind:?}: {refused:?}");
    }
    let refused = home::tile(&w.db.pool, &w.manager, TileKind::JobHealth, w.today).await;
    assert!(matches!(refused, Err(AppError::Forbidden)));
    assert!(home::tile(&w.db.pool, &w.admin, TileKind::JobHealth, w.today).await.is_ok());
}

#[tokio::test]
async fn the_forecast_tile_sums_won_weighted_and_quota_of_the_month_and_quarter() {
    let w = World::new().await;
    let customer = w.customer(&w.east_member, "预测客户").await;
    let month_start = w.today.with_day(1).unwrap();
    let quarter = app::home::model::quarter_start(w.today);
    let next_quarter = quarter + Months::new(3);
    let pool = &w.db.pool;
    let won_at = |day: NaiveDate| {
        chrono_tz::Asia::Shanghai
            .from_local_datetime(&day.and_hms_opt(0, 0, 30).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    // Won: at the first half-minute of this month (counts), half a minute before it (the
    // quarter's only if the quarter started earlier), and by the west member (not the team's).
    for (owner, at, amount) in [
        (&w.east_member, won_at(month_start), 500_000i64),
        (&w.east_member, won_at(month_start) - Duration::minutes(1), 200_000),
        (&w.west_member, won_at(month_start), 900_000),
    ] {
        sqlx::query(
            "insert into opportunity (customer_id, title, amount_minor, expected_close, owner_id,
                 pipeline_id, stage_id, closed_at)
             values ($1, 'won', $2, current_date, $3, 1, 5, $4)",
        )
        .bind(customer.0)
        .bind(amount)
        .bind(owner.id().0)
        .bind(at)
        .execute(pool)
        .await
        .unwrap();
    }
    // Open: closing this month at 50 %, later this quarter (when there is a later month) at 75 %,
    // and next quarter (counted nowhere).
    let later_this_quarter =
        (month_start + Months::new(1) < next_quarter).then(|| month_start + Months::new(1));
    let open = [
        (Some(w.today), 3, 100_001i64),
        (later_this_quarter, 4, 200_000),
        (Some(next_quarter), 4, 999_999),
    ];
    for (close, stage, amount) in open {
        let Some(close) = close else { continue };
        sqlx::query(
            "insert into opportunity (customer_id, title, amount_minor, expected_close, owner_id, pipeline_id, stage_id)
             values ($1, 'open', $2, $3, $4, 1, $5)",
        )
        .bind(customer.0)
        .bind(amount)
        .bind(close)
        .bind(w.east_member.id().0)
        .bind(stage as i64)
        .execute(pool)
        .await
        .unwrap();
    }
    for (month, amount) in [(quarter, 1_000_000i64), (month_start, 2_000_000), (next_quarter, 7)] {
        sqlx::query("insert into quota (owner_id, month, amount_minor) values ($1, $2, $3) on conflict do nothing")
            .bind(w.east_member.id().0)
            .bind(month)
            .bind(amount)
            .execute(pool)
            .await
            .unwrap();
    }

    let TileData::Forecast { month, quarter: in_quarter, .. } =
        w.tile(&w.manager, TileKind::ForecastVsQuota).await
    else {
        panic!("not a forecast")
    };
    let earlier_in_quarter = month_start > quarter;
    assert_eq!(
        month,
        Target { won_minor: 500_000, weighted_minor: 50_000, quota_minor: 2_000_000 },
        "50 % of 1,000.01 rounds down per opportunity, as the forecast weighs it"
    );
    assert_eq!(
        in_quarter,
        Target {
            won_minor: 500_000 + if earlier_in_quarter { 200_000 } else { 0 },
            weighted_minor: 50_000 + if later_this_quarter.is_some() { 150_000 } else { 0 },
            quota_minor: if earlier_in_quarter { 3_000_000 } else { 2_000_000 },
        }
    );
    // The admin's adds the west member's win; the member's own equals the manager's here.
    let TileData::Forecast { month: company, .. } =
        w.tile(&w.admin, TileKind::ForecastVsQuota).await
    else {
        panic!("not a forecast")
    };
    assert_eq!(company.won_minor, 1_400_000);

    match w.tile(&w.manager, TileKind::WonByRep).await {
        TileData::Bars { bars, .. } => {
            assert_eq!(bars.len(), 1);
            assert_eq!((bars[0].name_en.as_str(), bars[0].amount_minor), ("zhang@x.cn", 500_000));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_revenue_tile_equals_the_orders_of_the_same_days() {
    let w = World::new().await;
    let east = w.customer(&w.east_member, "东方茶行").await;
    let west = w.customer(&w.west_member, "南方茶行").await;
    let month_start = w.today.with_day(1).unwrap();
    // Either side of midnight at the month's start, the same day last month and last year.
    w.order(east, month_start, "00:01", 100).await;
    w.order(west, month_start, "00:01", 1000).await;
    w.order(east, month_start - Duration::days(1), "23:59", 200).await;
    w.order(east, month_start - Months::new(1), "12:00", 300).await;
    w.order(east, w.today - Months::new(1), "23:59", 400).await;
    w.order(east, w.today - Months::new(12), "00:01", 500).await;
    w.order(east, w.today - Months::new(12) + Duration::days(1), "00:01", 600).await;

    for (caller, owners) in [
        (&w.admin, None),
        (&w.east_member, Some(vec![w.east_member.id().0])),
        (&w.west_member, Some(vec![w.west_member.id().0])),
    ] {
        let TileData::Revenue { this_month, last_month, last_year, .. } =
            w.tile(caller, TileKind::Revenue).await
        else {
            panic!("not revenue")
        };
        assert_eq!(this_month, w.direct_sales(month_start, w.today, owners.clone()).await);
        assert_eq!(
            last_month,
            w.direct_sales(month_start - Months::new(1), w.today - Months::new(1), owners.clone())
                .await
        );
        assert_eq!(
            last_year,
            w.direct_sales(
                month_start - Months::new(12),
                w.today - Months::new(12),
                owners.clone()
            )
            .await
        );
        if caller.id() == w.admin.id() {
            assert_eq!(this_month, SalesFigures { orders: 2, revenue_minor: 110_000, units: 0 });
            assert_eq!(
                last_year.revenue_minor, 50_000,
                "the day after last year's date is not counted"
            );
        }
    }
}

#[tokio::test]
async fn customers_tiers_service_and_jobs_tiles_count_this_month() {
    let w = World::new().await;
    let pool = &w.db.pool;
    let kept = w.customer(&w.east_member, "新客户").await;
    let lost = w.customer(&w.east_member, "流失客户").await;
    let west = w.customer(&w.west_member, "华南新客户").await;
    sqlx::query(
        "update customer set customer_type = 'former', churn_reason = '价格', churned_at = now() where id = $1",
    )
    .bind(lost.0)
    .execute(pool)
    .await
    .unwrap();
    // Older than this month: counted in neither.
    sqlx::query("update customer set created_at = now() - interval '70 days' where id = $1")
        .bind(west.0)
        .execute(pool)
        .await
        .unwrap();
    match w.tile(&w.admin, TileKind::CustomerGains).await {
        TileData::Customers { added, lost, .. } => assert_eq!((added, lost), (2, 1)),
        other => panic!("{other:?}"),
    }
    match w.tile(&w.west_member, TileKind::CustomerGains).await {
        TileData::Customers { added, lost, .. } => assert_eq!((added, lost), (0, 0)),
        other => panic!("{other:?}"),
    }

    // Tiers: High (1) → Low (3) is a drop, Low → Medium (2) a rise.
    sqlx::query(
        "insert into tier_change (customer_id, from_tier_id, to_tier_id) values ($1, 1, 3), ($2, 3, 2), ($3, 2, 3)",
    )
    .bind(kept.0)
    .bind(lost.0)
    .bind(west.0)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into customer_score (customer_id, computed_tier_id) values ($1, 3), ($2, 2), ($3, 3)",
    )
    .bind(kept.0)
    .bind(lost.0)
    .bind(west.0)
    .execute(pool)
    .await
    .unwrap();
    match w.tile(&w.manager, TileKind::TierDrops).await {
        TileData::Items { count, items, .. } => {
            assert_eq!(count, 1, "the east team's one drop");
            assert_eq!(items[0].label, "新客户");
            assert_eq!(items[0].detail_en, "High → Low");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count_of(&w.tile(&w.admin, TileKind::TierDrops).await), 2);
    match w.tile(&w.admin, TileKind::TierShare).await {
        TileData::Bars { bars, .. } => {
            let counts: Vec<(String, i64)> =
                bars.iter().map(|b| (b.name_en.clone(), b.count)).collect();
            assert_eq!(counts, vec![("Medium".into(), 1), ("Low".into(), 2)]);
        }
        other => panic!("{other:?}"),
    }

    // Service: one ticket met both deadlines, one breached its first response, one is open and
    // late now, one is not yet due.
    for (resolved, breached, resolution_due) in [
        ("now()", false, "now() + interval '1 day'"),
        ("now()", true, "now() + interval '1 day'"),
        ("null", false, "now() - interval '1 hour'"),
        ("null", false, "now() + interval '1 day'"),
    ] {
        sqlx::query(&format!(
            "insert into ticket (customer_id, channel, category, priority, status, assignee_id, subject,
                 first_response_due, resolution_due, first_responded_at, resolved_at, first_response_breached)
             values ($1, 'phone', 'question', 'normal', case when {resolved} is null then 'open' else 'resolved' end,
                 $2, '漏水', now() + interval '1 hour', {resolution_due}, now(), {resolved}, $3)"
        ))
        .bind(kept.0)
        .bind(w.east_member.id().0)
        .bind(breached)
        .execute(pool)
        .await
        .unwrap();
    }
    match w.tile(&w.east_member, TileKind::SlaAttainment).await {
        TileData::Sla { due, met, breached_open } => {
            assert_eq!((due, met, breached_open), (3, 1, 1))
        }
        other => panic!("{other:?}"),
    }
    match w.tile(&w.west_member, TileKind::SlaAttainment).await {
        TileData::Sla { due, .. } => assert_eq!(due, 0),
        other => panic!("{other:?}"),
    }
    assert_eq!(count_of(&w.tile(&w.east_member, TileKind::TicketsNearBreach).await), 1);

    sqlx::query(
        "insert into job (kind, status, last_error, finished_at) values
           ('import', 'failed', 'row 3: bad date', now() - interval '1 day'),
           ('import', 'failed', 'too old', now() - interval '8 days'),
           ('backup', 'queued', null, null)",
    )
    .execute(pool)
    .await
    .unwrap();
    match w.tile(&w.admin, TileKind::JobHealth).await {
        TileData::Jobs { queued, failed_this_week, last_failure, .. } => {
            assert_eq!(failed_this_week, 1);
            assert!(queued >= 1);
            assert_eq!(last_failure.unwrap().detail_en, "row 3: bad date");
        }
        other => panic!("{other:?}"),
    }
}

fn built(kinds: &[TileKind]) -> Vec<TileId> {
    kinds.iter().copied().map(TileId::Built).collect()
}

#[tokio::test]
async fn the_tile_order_is_saved_per_user_and_a_stale_save_is_refused() {
    let w = World::new().await;
    let pool = &w.db.pool;
    let fresh = home::layout(pool, &w.east_member).await.unwrap();
    assert_eq!(fresh.shown, built(&TileKind::defaults(Role::Member)));
    assert_eq!(fresh.version, 0);

    let mine = built(&[TileKind::TurnedSilent, TileKind::MyTasks]);
    let saved = home::save_layout(pool, &w.east_member, &mine, 0).await.unwrap();
    assert_eq!(saved.shown, mine);
    assert_eq!(saved.version, 1);
    assert!(saved.hidden.contains(&TileId::Built(TileKind::OpenPipeline)));
    assert_eq!(home::layout(pool, &w.east_member).await.unwrap(), saved);
    // Another member's dashboard is their own.
    assert_eq!(home::layout(pool, &w.east_colleague).await.unwrap().version, 0);

    // A second page that read version 0 (or 1 after the first moved on) may not overwrite.
    let tasks_only = built(&[TileKind::MyTasks]);
    let stale = home::save_layout(pool, &w.east_member, &tasks_only, 0).await;
    assert!(matches!(stale, Err(AppError::Conflict)), "{stale:?}");
    let next = home::save_layout(pool, &w.east_member, &tasks_only, 1).await.unwrap();
    assert_eq!(next.version, 2);
    let stale = home::save_layout(pool, &w.east_member, &mine, 1).await;
    assert!(matches!(stale, Err(AppError::Conflict)), "{stale:?}");

    // Hiding everything is a choice, not an error; a tile above the role is.
    assert!(home::save_layout(pool, &w.east_colleague, &[], 0).await.unwrap().shown.is_empty());
    let above = home::save_layout(pool, &w.west_member, &built(&[TileKind::JobHealth]), 0).await;
    assert!(matches!(above, Err(AppError::Validation(_))), "{above:?}");
}

/// Saves `query` (a report page's address query) as `caller`'s tile.
async fn save_report(
    w: &World,
    caller: &Authenticated,
    report: SavedReportKind,
    query: &str,
    dates: SavedDates,
) -> Result<SavedReport, AppError> {
    saved::save(&w.db.pool, caller, report, "我的报表", query, dates, w.today).await
}

async fn sales_tile(w: &World, caller: &Authenticated, id: i64, today: NaiveDate) -> SalesReport {
    match saved::tile(&w.db.pool, caller, id, today).await.unwrap().figures {
        ReportFigures::Sales(report) => report,
        other => panic!("not a sales tile: {other:?}"),
    }
}

#[tokio::test]
async fn a_saved_report_is_a_tile_read_with_the_readers_scope_and_rolling_dates() {
    let w = World::new().await;
    let pool = &w.db.pool;
    let month_start = w.today.with_day(1).unwrap();
    let last_month = (month_start - Duration::days(1)).with_day(1).unwrap();
    let mine = w.customer(&w.east_member, "杭州茶社").await;
    let colleagues = w.customer(&w.east_colleague, "苏州茶楼").await;
    let wests = w.customer(&w.west_member, "广州茶行").await;
    // Orders a minute either side of the month's first midnight, and in both months.
    w.order(mine, month_start, "00:01", 500).await;
    w.order(mine, month_start - Duration::days(1), "23:59", 300).await;
    w.order(colleagues, w.today, "00:00", 700).await;
    w.order(wests, w.today, "00:00", 900).await;

    // A member saves the by-rep report of last month's dates, rolling as "this month": the
    // tile lands last on her dashboard (after her role's defaults) and reads this month.
    let query = format!("from={last_month}&to={}&by=owner", month_start - Duration::days(1));
    let report =
        save_report(&w, &w.east_member, SavedReportKind::Sales, &query, SavedDates::ThisMonth)
            .await
            .unwrap();
    let layout = home::layout(pool, &w.east_member).await.unwrap();
    let mut expected = built(&TileKind::defaults(Role::Member));
    expected.push(TileId::Report(report.id));
    assert_eq!(layout.shown, expected);
    assert_eq!(layout.reports, vec![report.clone()]);
    let tile = saved::tile(pool, &w.east_member, report.id, w.today).await.unwrap();
    assert_eq!(
        tile.query.href(),
        format!("/reports/sales?from={month_start}&to={}&by=owner", w.today)
    );
    let ReportFigures::Sales(figures) = tile.figures else { panic!("not sales") };
    assert_eq!((figures.from, figures.to), (month_start, w.today));
    let own = w.direct_sales(month_start, w.today, Some(vec![w.east_member.id().0])).await;
    assert_eq!(figures.total, own);
    assert_eq!(own.revenue_minor, 50_000);

    // Saved with its dates as they are, the same question keeps last month.
    let fixed =
        save_report(&w, &w.east_member, SavedReportKind::Sales, &query, SavedDates::AsSaved)
            .await
            .unwrap();
    let figures = sales_tile(&w, &w.east_member, fixed.id, w.today).await;
    assert_eq!((figures.from, figures.to), (last_month, month_start - Duration::days(1)));
    assert_eq!(figures.total.revenue_minor, 30_000);
    // A query without dates is written out with the days it showed, not left to roll.
    let undated =
        save_report(&w, &w.east_member, SavedReportKind::Sales, "by=week", SavedDates::AsSaved)
            .await
            .unwrap();
    assert_eq!(undated.query, format!("from={month_start}&to={}&by=week", w.today));

    // A saved question cannot widen a member's scope: naming a colleague gives nothing, and
    // a manager's tile of the same question counts the whole team.
    let colleague = format!("owner={}", w.east_colleague.id().0);
    let narrowed =
        save_report(&w, &w.east_member, SavedReportKind::Sales, &colleague, SavedDates::ThisMonth)
            .await
            .unwrap();
    assert_eq!(
        sales_tile(&w, &w.east_member, narrowed.id, w.today).await.total,
        SalesFigures::default()
    );
    let team = save_report(&w, &w.manager, SavedReportKind::Sales, "", SavedDates::ThisMonth)
        .await
        .unwrap();
    let team_scope = w.manager.scope.visible_owners();
    assert_eq!(
        sales_tile(&w, &w.manager, team.id, w.today).await.total,
        w.direct_sales(month_start, w.today, team_scope).await
    );
    // The scope is the reader's now, not the saver's then: moved to the west team, the
    // manager's saved tile counts the west's sales.
    sqlx::query(
        "update app_user set team_id = (select team_id from app_user where id = $2) where id = $1",
    )
    .bind(w.manager.id().0)
    .bind(w.west_member.id().0)
    .execute(pool)
    .await
    .unwrap();
    let moved = w.db.caller(w.manager.id()).await.unwrap();
    assert_eq!(
        sales_tile(&w, &moved, team.id, w.today).await.total,
        w.direct_sales(month_start, w.today, moved.scope.visible_owners()).await
    );
    assert_eq!(sales_tile(&w, &moved, team.id, w.today).await.total.revenue_minor, 90_000);

    // Tomorrow, a rolling month is still this month (or next, on its first day).
    let tomorrow = w.today + Duration::days(1);
    let rolled = sales_tile(&w, &w.east_member, report.id, tomorrow).await;
    assert_eq!((rolled.from, rolled.to), (tomorrow.with_day(1).unwrap(), tomorrow));

    // Cohorts save the same way and count her customers only.
    let cohorts =
        save_report(&w, &w.east_member, SavedReportKind::Cohorts, "", SavedDates::Last12Months)
            .await
            .unwrap();
    match saved::tile(pool, &w.east_member, cohorts.id, w.today).await.unwrap().figures {
        ReportFigures::Cohorts(report) => assert_eq!(report.customers(), 1),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn win_loss_funnel_churn_moves_and_statuses_save_as_tiles_of_the_readers_own_figures() {
    let w = World::new().await;
    let pool = &w.db.pool;
    // Now, for her and for a colleague in the other team: a won deal, a web-form lead and a
    // customer lost.
    for (owner, name) in [(&w.east_member, "杭州茶社"), (&w.west_member, "广州茶行")] {
        let customer = w.customer(owner, name).await;
        w.exec(
            &format!(
                "insert into opportunity (customer_id, title, amount_minor, expected_close, owner_id,
                                          pipeline_id, stage_id, closed_at)
                 select {}, 'deal', 50000, current_date, $1, s.pipeline_id, s.id, now()
                 from pipeline_stage s join pipeline p on p.id = s.pipeline_id
                 where p.is_default and s.kind = 'won' order by s.position limit 1",
                customer.0
            ),
            owner,
        )
        .await;
        w.exec("insert into lead (name, source, owner_id) values ('lead', 'web_form', $1)", owner)
            .await;
        w.exec("insert into lead (name, source, owner_id) values ('lead', 'phone', $1)", owner)
            .await;
        w.exec(
            &format!(
                "update customer set customer_type = 'former', churn_reason = '搬迁', churned_at = now()
                 where id = {} and owner_id = $1",
                customer.0
            ),
            owner,
        )
        .await;
    }
    let member = &w.east_member;
    let save =
        |kind, query: &'static str| save_report(&w, member, kind, query, SavedDates::ThisMonth);
    let deals = save(SavedReportKind::Deals, "").await.unwrap();
    let funnel = save(SavedReportKind::Funnel, "source=web_form").await.unwrap();
    let churn = save(SavedReportKind::Churn, "").await.unwrap();

    let tile = saved::tile(pool, member, deals.id, w.today).await.unwrap();
    let ReportQuery::Deals(query) = &tile.query else { panic!("{:?}", tile.query) };
    let direct = app::reports::deals::service::deal_report(pool, member, query).await.unwrap();
    match tile.figures {
        ReportFigures::Deals(report) => {
            assert_eq!((report.from, report.to), (w.today.with_day(1).unwrap(), w.today));
            assert_eq!((report.total.won.count, report.total.won.amount_minor), (1, 50_000));
            assert_eq!(report, direct);
        }
        other => panic!("{other:?}"),
    }
    // The funnel keeps its source: one of her two leads.
    let tile = saved::tile(pool, member, funnel.id, w.today).await.unwrap();
    let ReportQuery::Funnel(query) = &tile.query else { panic!("{:?}", tile.query) };
    assert_eq!(query.source, Some(app::leads::model::LeadSource::WebForm));
    match tile.figures {
        ReportFigures::Funnel(report) => assert_eq!(report.total.created, 1),
        other => panic!("{other:?}"),
    }
    match saved::tile(pool, member, churn.id, w.today).await.unwrap().figures {
        ReportFigures::Churn(report) => {
            assert_eq!(report.customers, 1);
            assert_eq!(report.reasons[0].reason.as_deref(), Some("搬迁"));
        }
        other => panic!("{other:?}"),
    }
    // Her manager's own tile counts the team: still only the east member's.
    let team = save_report(&w, &w.manager, SavedReportKind::Churn, "", SavedDates::ThisMonth)
        .await
        .unwrap();
    match saved::tile(pool, &w.manager, team.id, w.today).await.unwrap().figures {
        ReportFigures::Churn(report) => assert_eq!(report.customers, 1),
        other => panic!("{other:?}"),
    }

    // Tier moves: her customer down a tier today, the colleague's too; hers alone on her tile.
    w.exec(
        "insert into tier_change (customer_id, from_tier_id, to_tier_id)
         select c.id, f.id, t.id from customer c, tier f, tier t
         where c.owner_id = $1 and f.position = 1 and t.position = 2",
        member,
    )
    .await;
    w.exec(
        "insert into tier_change (customer_id, from_tier_id, to_tier_id)
         select c.id, f.id, t.id from customer c, tier f, tier t
         where c.owner_id = $1 and f.position = 3 and t.position = 2",
        &w.west_member,
    )
    .await;
    let moves = save(SavedReportKind::Moves, "").await.unwrap();
    let tile = saved::tile(pool, member, moves.id, w.today).await.unwrap();
    assert_eq!(tile.query.href().split('?').next(), Some("/reports/tiers"));
    match tile.figures {
        ReportFigures::Moves(report) => assert_eq!((report.up, report.down), (0, 1)),
        other => panic!("{other:?}"),
    }

    // Customers over time over the last twelve months: her customer lost today is her one
    // former customer; the colleague's is not on her tile.
    let statuses = save_report(&w, member, SavedReportKind::Statuses, "", SavedDates::Last12Months)
        .await
        .unwrap();
    let tile = saved::tile(pool, member, statuses.id, w.today).await.unwrap();
    assert_eq!(tile.query.href().split('?').next(), Some("/reports/statuses"));
    match tile.figures {
        ReportFigures::Statuses(report) => {
            assert_eq!(report.months.len(), 12);
            let now = report.months.last().unwrap();
            assert_eq!((now.active, now.silent, now.former, now.turned_former), (0, 0, 1, 1));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn saved_reports_are_their_owners_alone_and_checked_when_saved() {
    let w = World::new().await;
    let pool = &w.db.pool;
    let report =
        save_report(&w, &w.east_member, SavedReportKind::Sales, "by=team", SavedDates::ThisMonth)
            .await
            .unwrap();

    // Another user can neither read, place nor delete it, whatever their role.
    for other in [&w.east_colleague, &w.admin] {
        let read = saved::tile(pool, other, report.id, w.today).await;
        assert!(matches!(read, Err(AppError::NotFound)), "{read:?}");
        let placed = home::save_layout(pool, other, &[TileId::Report(report.id)], 0).await;
        assert!(matches!(placed, Err(AppError::Validation(_))), "{placed:?}");
        let deleted = saved::delete(pool, other, report.id).await;
        assert!(matches!(deleted, Err(AppError::NotFound)), "{deleted:?}");
    }
    assert!(home::layout(pool, &w.admin).await.unwrap().reports.is_empty());

    // Saving checks the title, the query and the report's own range, and saves nothing then.
    let field_of = |result: Result<SavedReport, AppError>| match result {
        Err(AppError::Validation(errors)) => errors.0.keys().cloned().collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let untitled = saved::save(
        pool,
        &w.east_member,
        SavedReportKind::Sales,
        "  ",
        "",
        SavedDates::ThisMonth,
        w.today,
    )
    .await;
    assert_eq!(field_of(untitled), ["title"]);
    let long_title = "长".repeat(81);
    let long = saved::save(
        pool,
        &w.east_member,
        SavedReportKind::Sales,
        &long_title,
        "",
        SavedDates::ThisMonth,
        w.today,
    )
    .await;
    assert_eq!(field_of(long), ["title"]);
    let reversed = save_report(
        &w,
        &w.east_member,
        SavedReportKind::Sales,
        "from=2026-05-02&to=2026-05-01",
        SavedDates::AsSaved,
    )
    .await;
    assert_eq!(field_of(reversed), ["to"]);
    let forged = save_report(
        &w,
        &w.east_member,
        SavedReportKind::Sales,
        &"x=1&".repeat(501),
        SavedDates::AsSaved,
    )
    .await;
    assert_eq!(field_of(forged), ["query"]);
    assert_eq!(home::layout(pool, &w.east_member).await.unwrap().reports.len(), 1);

    // Deleting takes the tile off the dashboard too.
    saved::delete(pool, &w.east_member, report.id).await.unwrap();
    let after = home::layout(pool, &w.east_member).await.unwrap();
    assert!(!after.shown.contains(&TileId::Report(report.id)));
    assert!(!after.hidden.contains(&TileId::Report(report.id)));
    assert!(after.reports.is_empty());

    // A dashboard holds at most MAX_SAVED_REPORTS of them. A page that was arranging tiles
    // meanwhile saves its order: the reports saved in between are then hidden, not lost.
    let arranging = home::layout(pool, &w.east_colleague).await.unwrap();
    for _ in 0..MAX_SAVED_REPORTS {
        save_report(&w, &w.east_colleague, SavedReportKind::Sales, "", SavedDates::ThisMonth)
            .await
            .unwrap();
    }
    let one_more =
        save_report(&w, &w.east_colleague, SavedReportKind::Sales, "", SavedDates::ThisMonth).await;
    assert_eq!(field_of(one_more), ["title"]);
    let reports_in =
        |tiles: &[TileId]| tiles.iter().filter(|tile| matches!(tile, TileId::Report(_))).count();
    let before_arranging = home::layout(pool, &w.east_colleague).await.unwrap();
    assert_eq!(reports_in(&before_arranging.shown), MAX_SAVED_REPORTS as usize);
    let arranged = home::save_layout(pool, &w.east_colleague, &arranging.shown, arranging.version)
        .await
        .unwrap();
    assert_eq!(arranged.reports.len(), MAX_SAVED_REPORTS as usize);
    assert_eq!(reports_in(&arranged.shown), 0);
    assert_eq!(reports_in(&arranged.hidden), MAX_SAVED_REPORTS as usize);
    assert_eq!(home::layout(pool, &w.east_colleague).await.unwrap(), arranged);
    // One saved after the order is shown last.
    let first = arranged.reports[0].id;
    saved::delete(pool, &w.east_colleague, first).await.unwrap();
    let newest =
        save_report(&w, &w.east_colleague, SavedReportKind::Cohorts, "", SavedDates::ThisYear)
            .await
            .unwrap();
    let layout = home::layout(pool, &w.east_colleague).await.unwrap();
    assert_eq!(layout.shown.last(), Some(&TileId::Report(newest.id)));
    assert_eq!(reports_in(&layout.hidden), MAX_SAVED_REPORTS as usize - 1);
}

/// A row of `tier_count`: owner, computed tier, override tier and end, customers.
type TierCountRow = (Option<i64>, Option<i64>, Option<i64>, Option<NaiveDate>, i32);

/// Customers per tier in force, straight from the customers and their scores: what the tile's
/// kept counts must equal.
async fn direct_tier_share(w: &World, owners: Option<Vec<i64>>) -> Vec<(Option<i64>, i64)> {
    sqlx::query_as(
        "select case when s.override_tier_id is not null
                      and (s.override_until is null or s.override_until >= $2)
                     then s.override_tier_id else s.computed_tier_id end as tier, count(*)
         from customer c left join customer_score s on s.customer_id = c.id
         where c.deleted_at is null and ($1::bigint[] is null or c.owner_id = any($1))
         group by 1 order by 1 nulls last",
    )
    .bind(owners)
    .bind(w.today)
    .fetch_all(&w.db.pool)
    .await
    .unwrap()
}

async fn tile_tier_share(w: &World, caller: &Authenticated) -> Vec<(Option<i64>, i64)> {
    let TileData::Bars { bars, .. } = w.tile(caller, TileKind::TierShare).await else {
        panic!("not bars")
    };
    // The tile names tiers; map the names back to ids to compare.
    let mut out = Vec::new();
    for bar in bars {
        let id: Option<i64> = sqlx::query_scalar("select id from tier where name_en = $1")
            .bind(&bar.name_en)
            .fetch_optional(&w.db.pool)
            .await
            .unwrap();
        out.push((id, bar.count));
    }
    out.sort_by_key(|(id, _)| (id.is_none(), *id));
    out
}

#[tokio::test]
async fn customers_per_tier_follow_every_write_that_moves_one() {
    let w = World::new().await;
    let pool = &w.db.pool;
    let east = w.east_member.id().0;
    let check = |step: &'static str| {
        let w = &w;
        async move {
            for (caller, owners) in [(&w.admin, None), (&w.east_member, Some(vec![east]))] {
                assert_eq!(
                    tile_tier_share(w, caller).await,
                    direct_tier_share(w, owners).await,
                    "{step}"
                );
            }
        }
    };
    let a = w.customer(&w.east_member, "甲").await;
    let b = w.customer(&w.east_member, "乙").await;
    let c = w.customer(&w.west_member, "丙").await;
    check("new customers, no scores").await;

    // The real recompute: orders, then every customer graded (scores inserted and updated).
    w.order(a, w.today - Duration::days(3), "10:00", 9000).await;
    w.order(a, w.today - Duration::days(2), "10:00", 9000).await;
    w.order(b, w.today - Duration::days(2), "10:00", 100).await;
    let mut conn = pool.acquire().await.unwrap();
    app::tiers::service::grade_everyone(&mut conn).await.unwrap();
    check("graded").await;
    app::tiers::service::grade_everyone(&mut conn).await.unwrap();
    check("graded again").await;

    // Overrides: one ended yesterday (the computed tier is in force again), one runs on.
    sqlx::query(
        "insert into customer_score (customer_id, override_tier_id, override_reason, override_until)
         values ($1, 1, 'VIP', $3), ($2, 3, '试用', $4)
         on conflict (customer_id) do update set override_tier_id = excluded.override_tier_id,
             override_reason = excluded.override_reason, override_until = excluded.override_until",
    )
    .bind(b.0)
    .bind(c.0)
    .bind(w.today - Duration::days(1))
    .bind(w.today + Duration::days(30))
    .execute(pool)
    .await
    .unwrap();
    check("overrides").await;

    // Reassigned, binned, restored, and a binned customer deleted for good with its score.
    sqlx::query("update customer set owner_id = $2 where id = $1")
        .bind(c.0)
        .bind(east)
        .execute(pool)
        .await
        .unwrap();
    check("reassigned to the east member").await;
    sqlx::query("update customer set deleted_at = now() where id = $1")
        .bind(a.0)
        .execute(pool)
        .await
        .unwrap();
    check("binned").await;
    sqlx::query("update customer set deleted_at = null where id = $1")
        .bind(a.0)
        .execute(pool)
        .await
        .unwrap();
    check("restored").await;
    sqlx::query("update customer set deleted_at = now() where id = $1")
        .bind(b.0)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("delete from customer_score where customer_id = $1")
        .bind(b.0)
        .execute(pool)
        .await
        .unwrap();
    check("score of a binned customer removed").await;

    // What the triggers kept equals a count from scratch.
    let kept: Vec<TierCountRow> = sqlx::query_as(
        "select owner_id, computed_tier_id, override_tier_id, override_until, customers
         from tier_count where customers <> 0 order by 1, 2, 3, 4",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    sqlx::query("select tier_count_rebuild()").execute(pool).await.unwrap();
    let rebuilt: Vec<TierCountRow> = sqlx::query_as(
        "select owner_id, computed_tier_id, override_tier_id, override_until, customers
         from tier_count where customers <> 0 order by 1, 2, 3, 4",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(kept, rebuilt);
}
