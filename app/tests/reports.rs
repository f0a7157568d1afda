//! The sales report against real Postgres: every total equals a direct SQL sum over the same
//! orders (a minute either side of midnight in the company's zone included), the daily summary
//! follows corrections, refunds, cancellations, reassignments, deletions, bulk inserts and a
//! change of time zone, and no filter widens a caller's data scope. Cohort retention matches a
//! hand computation and, after every kind of write, the same count straight from the orders.
//! Win/loss equals the closed deals counted directly, within the caller's scope; so does the
//! lead funnel, whose revenue goes to the latest lead a customer converted from; so do the
//! customers that churned, by month and reason; so does customer value (the RFM grid and the
//! spend by tier) after every write that moves a customer between cells. A tier narrows churn
//! and win/loss to the customers in it now, overrides and their end included, and the sales and
//! cohort reports to their orders after every write that moves a customer's tier. Customers
//! new, active, silent and former month by month equal the orders and marks counted day by day.

use app::{
    auth::{model::Role, server::Authenticated},
    customers::{
        model::{CustomerId, CustomerInput},
        service as customers,
    },
    error::{AppError, FieldError},
    leads::{model::ConvertInput, model::LeadId, service as leads},
    orders::{
        model::{Channel, OrderInput, OrderLineInput, ProductId},
        service as orders,
    },
    reports::{
        churn::{model::ChurnFilter, service as churn},
        cohorts::{
            model::{CohortCell, CohortQuery, CohortReport, month_start, months_after},
            service as cohorts,
        },
        deals::{
            model::{DealFilter, DealQuery, Outcome, WinLoss},
            service as deals,
        },
        funnel::{
            model::{FunnelLeadFilter, FunnelQuery, FunnelStep},
            service as funnel,
        },
        model::{
            BarKey, Comparison, Grouping, Narrowing, RangeQuery, SalesFigures, SalesFilter,
            SalesQuery,
        },
        moves::{
            model::{Direction, MovesFilter},
            service as moves,
        },
        service as reports,
        statuses::service as statuses,
        value::{
            model::{ValueFilter, ValueQuery, ValueReport},
            service as value,
        },
    },
    state::AppState,
    testing::{TestDatabase, company_today},
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use std::collections::BTreeMap;

struct World {
    db: TestDatabase,
    state: AppState,
    admin: Authenticated,
    manager: Authenticated,
    east_member: Authenticated,
    west_member: Authenticated,
    product: ProductId,
    day: NaiveDate,
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
        let west_member = db.user("emily@x.cn", Role::Member, Some(west), pw).await;
        let admin = db.caller(admin).await.unwrap();
        let manager = db.caller(manager).await.unwrap();
        let east_member = db.caller(east_member).await.unwrap();
        let west_member = db.caller(west_member).await.unwrap();
        let product: i64 = sqlx::query_scalar(
            "insert into product (sku, name, unit_price_minor) values ('TEA', '龙井', 10000) returning id",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        let day = company_today(&db.pool).await - Duration::days(10);
        World {
            admin,
            manager,
            east_member,
            west_member,
            state,
            db,
            product: ProductId(product),
            day,
        }
    }

    async fn customer(&self, owner: &Authenticated, name: &str, region: &str) -> CustomerId {
        customers::create(
            &self.state,
            &self.admin,
            CustomerInput {
                name: name.into(),
                region: region.into(),
                owner_id: Some(owner.id()),
                ..Default::default()
            },
            vec![],
        )
        .await
        .unwrap()
    }

    /// An order placed at `clock` on `day` in the company's zone (Asia/Shanghai).
    async fn order(
        &self,
        customer: CustomerId,
        day: NaiveDate,
        clock: &str,
        yuan: i64,
        channel: Channel,
    ) -> app::orders::model::OrderId {
        let at = company_instant(day, clock);
        orders::add_order(
            &self.state,
            &self.admin,
            OrderInput {
                customer_id: customer,
                ordered_at: Some(at),
                channel,
                lines: vec![OrderLineInput {
                    product_id: Some(self.product),
                    quantity: "1".into(),
                    unit_price: yuan.to_string(),
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap()
    }

    async fn report(
        &self,
        caller: &Authenticated,
        query: SalesQuery,
    ) -> app::reports::model::SalesReport {
        reports::sales_report(&self.db.pool, caller, &query).await.unwrap()
    }

    fn range(&self, from: NaiveDate, to: NaiveDate) -> SalesFilter {
        SalesFilter { from: Some(from), to: Some(to), ..Default::default() }
    }

    /// The same figure straight from the orders, owners in `owners` (all when `None`).
    async fn direct(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        owners: Option<Vec<i64>>,
    ) -> SalesFigures {
        app::testing::sales_summed_from_orders(&self.db.pool, from, to, owners).await
    }
}

#[tokio::test]
async fn totals_equal_the_orders_summed_directly_a_minute_either_side_of_midnight() {
    let w = World::new().await;
    let east = w.customer(&w.east_member, "东方茶行", "上海").await;
    let west = w.customer(&w.west_member, "南方茶庄", "广州").await;
    let next = w.day + Duration::days(1);
    w.order(east, w.day, "23:59", 100, Channel::Store).await;
    w.order(east, next, "00:00", 200, Channel::Store).await;
    w.order(west, next, "00:01", 400, Channel::Wechat).await;
    w.order(west, w.day, "00:00", 800, Channel::Online).await;
    w.order(east, w.day - Duration::days(1), "23:59", 1600, Channel::Sales).await;

    // The day itself: its first and last minute, not the minute after.
    let one_day = w
        .report(&w.admin, SalesQuery { filter: w.range(w.day, w.day), ..Default::default() })
        .await;
    assert_eq!(one_day.total, SalesFigures { orders: 2, revenue_minor: 90_000, units: 0 });
    assert_eq!(one_day.total, w.direct(w.day, w.day, None).await);
    let two_days =
        w.report(&w.admin, SalesQuery { filter: w.range(w.day, next), ..Default::default() }).await;
    assert_eq!(two_days.total, w.direct(w.day, next, None).await);
    assert_eq!(two_days.bars.len(), 2, "a bar per day");
    assert_eq!(two_days.bars[0].key, BarKey::Period(w.day));
    assert_eq!(two_days.bars[0].figures.revenue_minor, 90_000);
    assert_eq!(two_days.bars[1].figures.revenue_minor, 60_000);
    // The bar drills into exactly its day.
    assert_eq!((two_days.bars[1].drill.from, two_days.bars[1].drill.to), (Some(next), Some(next)));

    // Every grouping adds up to the same total; channels and regions are split as placed.
    let wide = w.range(w.day - Duration::days(3), next);
    let expected = w.direct(w.day - Duration::days(3), next, None).await;
    for grouping in Grouping::ALL {
        let report = w
            .report(
                &w.admin,
                SalesQuery { filter: wide.clone(), grouping: *grouping, ..Default::default() },
            )
            .await;
        if grouping.is_by_product() {
            // Each order here is one line of one product, a unit at the order's total.
            let units = expected.orders;
            assert_eq!(report.total, SalesFigures { units, ..expected }, "{grouping:?}");
        } else {
            assert_eq!(report.total, expected, "{grouping:?}");
        }
        let summed = report.bars.iter().fold(0, |sum, b| sum + b.figures.revenue_minor);
        assert_eq!(summed, expected.revenue_minor, "{grouping:?} bars");
    }
    let by_channel = w
        .report(
            &w.admin,
            SalesQuery { filter: wide.clone(), grouping: Grouping::Channel, ..Default::default() },
        )
        .await;
    let store = by_channel.bars.iter().find(|b| b.key == BarKey::Channel(Channel::Store)).unwrap();
    assert_eq!(store.figures, SalesFigures { orders: 2, revenue_minor: 30_000, units: 0 });
    let wechat_only = w
        .report(
            &w.admin,
            SalesQuery {
                filter: SalesFilter { channel: Some(Channel::Wechat), ..wide.clone() },
                ..Default::default()
            },
        )
        .await;
    assert_eq!(wechat_only.total.revenue_minor, 40_000);
    let shanghai = w
        .report(
            &w.admin,
            SalesQuery {
                filter: SalesFilter { region: Some("上海".into()), ..wide.clone() },
                ..Default::default()
            },
        )
        .await;
    assert_eq!(shanghai.total.revenue_minor, 190_000);

    // The orders behind the figure are the same orders.
    let behind = reports::report_orders(&w.db.pool, &w.admin, &two_days.bars[0].drill, None, 50)
        .await
        .unwrap();
    assert_eq!(behind.items.len(), 2);
    assert_eq!(behind.items.iter().map(|o| o.net_minor).sum::<i64>(), 90_000);
    // In pages of one, newest first, nothing twice.
    let mut after = None;
    let mut seen = vec![];
    loop {
        let page = reports::report_orders(&w.db.pool, &w.admin, &wide, after, 1).await.unwrap();
        seen.extend(page.items.iter().map(|o| o.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    seen.dedup();
    assert_eq!(seen.len(), 5);

    // Comparison: the previous period of the same length.
    let compared = w
        .report(
            &w.admin,
            SalesQuery {
                filter: w.range(next, next),
                comparison: Comparison::PreviousPeriod,
                ..Default::default()
            },
        )
        .await;
    assert_eq!(compared.compared_range, Some((w.day, w.day)));
    assert_eq!(
        compared.compared_total,
        Some(SalesFigures { orders: 2, revenue_minor: 90_000, units: 0 })
    );
}

/// The order's version, as a correction, cancellation or refund must name it.
async fn order_version(w: &World, id: app::orders::model::OrderId) -> i32 {
    sqlx::query_scalar("select version from sales_order where id = $1")
        .bind(id.0)
        .fetch_one(&w.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_summary_follows_every_write_that_changes_a_figure() {
    let w = World::new().await;
    let east = w.customer(&w.east_member, "东方茶行", "上海").await;
    let other = w.customer(&w.east_member, "北方茶社", "北京").await;
    let first = w.order(east, w.day, "10:00", 1000, Channel::Store).await;
    let second = w.order(east, w.day, "11:00", 500, Channel::Store).await;
    w.order(other, w.day, "12:00", 300, Channel::Store).await;
    let range = w.range(w.day, w.day);
    let check = |label: &'static str| {
        let w = &w;
        let range = range.clone();
        async move {
            let report =
                w.report(&w.admin, SalesQuery { filter: range, ..Default::default() }).await;
            assert_eq!(report.total, w.direct(w.day, w.day, None).await, "{label}");
            report.total
        }
    };
    assert_eq!(check("placed").await.revenue_minor, 180_000);

    let version = |id| order_version(&w, id);
    orders::refund_order(&w.state, &w.admin, first, version(first).await, "200", "破损")
        .await
        .unwrap();
    assert_eq!(check("refunded").await.revenue_minor, 160_000);
    orders::cancel_order(&w.state, &w.admin, second, version(second).await, "客户取消")
        .await
        .unwrap();
    assert_eq!(
        check("cancelled").await,
        SalesFigures { orders: 2, revenue_minor: 110_000, units: 0 }
    );

    // A reassigned customer's sales move to the new owner, with nothing left behind.
    sqlx::query("update customer set owner_id = $1, region = '杭州' where id = $2")
        .bind(w.west_member.id().0)
        .bind(other.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let mine = |caller: &Authenticated| {
        let w = &w;
        let caller = caller.clone();
        let range = range.clone();
        async move { w.report(&caller, SalesQuery { filter: range, ..Default::default() }).await.total }
    };
    assert_eq!(mine(&w.west_member).await.revenue_minor, 30_000);
    assert_eq!(mine(&w.east_member).await.revenue_minor, 80_000);
    let hangzhou = w
        .report(
            &w.admin,
            SalesQuery {
                filter: SalesFilter { region: Some("杭州".into()), ..range.clone() },
                ..Default::default()
            },
        )
        .await;
    assert_eq!(hangzhou.total.revenue_minor, 30_000);

    // A customer in the recycle bin does not count; restored, it counts again.
    sqlx::query("update customer set deleted_at = now() where id = $1")
        .bind(east.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(check("deleted").await.revenue_minor, 30_000);
    sqlx::query("update customer set deleted_at = null where id = $1")
        .bind(east.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(check("restored").await.revenue_minor, 110_000);

    // Many orders in one statement (as an import writes them), then removed again (a revert).
    sqlx::query(
        "insert into sales_order (customer_id, order_no, ordered_at, channel, total_minor)
         select $1, 'BULK-' || g, $2::timestamptz + g * interval '1 second', 'online', 100
         from generate_series(1, 500) g",
    )
    .bind(east.0)
    .bind(
        chrono_tz::Asia::Shanghai
            .from_local_datetime(&w.day.and_hms_opt(8, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc),
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(check("bulk insert").await.orders, 502);
    sqlx::query("delete from sales_order where order_no like 'BULK-%'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(check("bulk delete").await.orders, 2);

    // Another time zone starts its days at other hours: the summary is counted again.
    w.order(east, w.day, "07:00", 64, Channel::Phone).await;
    sqlx::query("update company_settings set time_zone = 'America/New_York'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    for day in [w.day - Duration::days(1), w.day] {
        let report = w
            .report(&w.admin, SalesQuery { filter: w.range(day, day), ..Default::default() })
            .await;
        assert_eq!(report.total, w.direct(day, day, None).await, "{day} in New York");
    }
    let moved = w
        .report(
            &w.admin,
            SalesQuery {
                filter: w.range(w.day - Duration::days(1), w.day - Duration::days(1)),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(
        moved.total.revenue_minor, 116_400,
        "a Shanghai morning is the evening before in New York"
    );
}

#[tokio::test]
async fn no_filter_widens_a_callers_data_scope() {
    let w = World::new().await;
    let east = w.customer(&w.east_member, "东方茶行", "上海").await;
    let mine = w.customer(&w.manager, "经理的客户", "上海").await;
    let west = w.customer(&w.west_member, "南方茶庄", "广州").await;
    w.order(east, w.day, "10:00", 100, Channel::Store).await;
    w.order(mine, w.day, "10:00", 200, Channel::Store).await;
    w.order(west, w.day, "10:00", 400, Channel::Store).await;
    let range = w.range(w.day, w.day);
    let total = |caller: &Authenticated, filter: SalesFilter| {
        let w = &w;
        let caller = caller.clone();
        async move {
            w.report(
                &caller,
                SalesQuery { filter, grouping: Grouping::Owner, ..Default::default() },
            )
            .await
            .total
            .revenue_minor
        }
    };
    assert_eq!(total(&w.east_member, range.clone()).await, 10_000, "a member: their own");
    assert_eq!(total(&w.manager, range.clone()).await, 30_000, "a manager: their team");
    assert_eq!(total(&w.admin, range.clone()).await, 70_000, "an admin: everyone");
    let west_team: i64 = sqlx::query_scalar("select id from team where name = '华南'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    for filter in [
        SalesFilter { owner: Some(w.west_member.id().0), ..range.clone() },
        SalesFilter { owner: Some(0), ..range.clone() },
        SalesFilter { team: Some(west_team), ..range.clone() },
        SalesFilter { team: Some(0), ..range.clone() },
    ] {
        assert_eq!(total(&w.east_member, filter.clone()).await, 0, "{filter:?}");
        assert_eq!(total(&w.manager, filter.clone()).await, 0, "{filter:?}");
        let orders =
            reports::report_orders(&w.db.pool, &w.east_member, &filter, None, 50).await.unwrap();
        assert!(orders.items.is_empty(), "{filter:?}");
    }
    // By team, with the sales of an owner in no team as a bar of their own that drills into
    // exactly those orders.
    let headquarters = w.customer(&w.admin, "总部客户", "北京").await;
    w.order(headquarters, w.day, "09:00", 800, Channel::Online).await;
    let by_team = w
        .report(
            &w.admin,
            SalesQuery { filter: range.clone(), grouping: Grouping::Team, ..Default::default() },
        )
        .await;
    let figures: Vec<(Option<i64>, i64)> = by_team
        .bars
        .iter()
        .map(|b| match &b.key {
            BarKey::Team(id, _) => (*id, b.figures.revenue_minor),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(figures, vec![(None, 80_000), (Some(west_team), 40_000), (figures[2].0, 30_000)]);
    let no_team = &by_team.bars[0];
    assert_eq!(no_team.drill.team, Some(0));
    let behind =
        reports::report_orders(&w.db.pool, &w.admin, &no_team.drill, None, 50).await.unwrap();
    assert_eq!(behind.items.iter().map(|o| o.net_minor).collect::<Vec<_>>(), vec![80_000]);
    assert_eq!(total(&w.manager, SalesFilter { team: Some(0), ..range.clone() }).await, 0);

    // The filter's choices name only what the caller may see.
    let choices = reports::filter_choices(&w.db.pool, &w.east_member).await.unwrap();
    assert_eq!(
        choices.owners.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        vec![w.east_member.id().0]
    );
    assert!(!choices.sees_unowned);
    let mut regions = choices.regions.clone();
    regions.sort();
    // Regions are the company's, whoever owns the customers there.
    let mut expected = vec!["上海".to_owned(), "广州".to_owned(), "北京".to_owned()];
    expected.sort();
    assert_eq!(regions, expected);
    let admins = reports::filter_choices(&w.db.pool, &w.admin).await.unwrap();
    assert_eq!(admins.owners.len(), 4);
    assert!(admins.sees_unowned);
    let by_owner = w
        .report(
            &w.manager,
            SalesQuery { filter: range.clone(), grouping: Grouping::Owner, ..Default::default() },
        )
        .await;
    assert_eq!(by_owner.bars.len(), 2);
    assert!(
        by_owner
            .bars
            .iter()
            .all(|b| matches!(b.key, BarKey::Owner(Some(id), _) if id != w.west_member.id().0))
    );
}

#[tokio::test]
async fn a_reversed_or_overlong_range_is_refused_at_its_field() {
    let w = World::new().await;
    let reversed =
        SalesQuery { filter: w.range(w.day, w.day - Duration::days(1)), ..Default::default() };
    match reports::sales_report(&w.db.pool, &w.admin, &reversed).await {
        Err(AppError::Validation(errors)) => {
            assert_eq!(errors.get("to"), &[FieldError::InvalidDate])
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    let too_many_days = SalesQuery {
        filter: w.range(w.day - Duration::days(400), w.day),
        grouping: Grouping::Day,
        ..Default::default()
    };
    match reports::sales_report(&w.db.pool, &w.admin, &too_many_days).await {
        Err(AppError::Validation(errors)) => assert!(!errors.get("by").is_empty()),
        other => panic!("expected a validation error, got {other:?}"),
    }
    // The same range by month is fine.
    let by_month = SalesQuery { grouping: Grouping::Month, ..too_many_days };
    assert!(reports::sales_report(&w.db.pool, &w.admin, &by_month).await.is_ok());
}

/// Customers per (cohort, month) as the report shows them: the cohort's size at its own month.
fn cells(report: &CohortReport) -> BTreeMap<(NaiveDate, NaiveDate), i64> {
    let mut cells = BTreeMap::new();
    for row in &report.rows {
        if row.size != 0 {
            cells.insert((row.cohort, row.cohort), row.size);
        }
        for (n, returning) in row.returning.iter().enumerate() {
            if *returning != 0 {
                cells.insert((row.cohort, months_after(row.cohort, n as u32 + 1)), *returning);
            }
        }
    }
    cells
}

#[tokio::test]
async fn cohort_retention_matches_a_hand_computation_and_the_orders_after_every_write() {
    let w = World::new().await;
    let this_month = month_start(company_today(&w.db.pool).await);
    let m: Vec<NaiveDate> = (0..4).map(|n| this_month - chrono::Months::new(3 - n)).collect();
    let last_day = |month: NaiveDate| months_after(month, 1) - Duration::days(1);
    let a = w.customer(&w.east_member, "阿茶", "上海").await;
    let b = w.customer(&w.east_member, "白茶", "上海").await;
    let c = w.customer(&w.east_member, "川茶", "杭州").await;
    let e = w.customer(&w.east_member, "峨眉", "杭州").await;
    let f = w.customer(&w.west_member, "福茶", "广州").await;
    // A: the last minute of M0 (Shanghai), then M1 and M3.
    w.order(a, last_day(m[0]), "23:59", 100, Channel::Store).await;
    w.order(a, m[1] + Duration::days(3), "10:00", 100, Channel::Store).await;
    w.order(a, m[3], "09:00", 100, Channel::Store).await;
    // B: M0 and M2.
    w.order(b, m[0], "10:00", 100, Channel::Store).await;
    w.order(b, m[2] + Duration::days(5), "10:00", 100, Channel::Store).await;
    // C: the first minute of M1 (still M0 in UTC), again in M1, then M2.
    w.order(c, m[1], "00:00", 100, Channel::Online).await;
    w.order(c, m[1] + Duration::days(9), "10:00", 100, Channel::Online).await;
    w.order(c, m[2], "10:00", 100, Channel::Online).await;
    // E: one order, cancelled: never a customer of any cohort.
    let cancelled = w.order(e, m[1] + Duration::days(1), "10:00", 100, Channel::Store).await;
    orders::cancel_order(&w.state, &w.admin, cancelled, 1, "下错单").await.unwrap();
    // F (the west team): M0 and M1.
    w.order(f, m[0] + Duration::days(2), "10:00", 100, Channel::Wechat).await;
    w.order(f, m[1] + Duration::days(2), "10:00", 100, Channel::Wechat).await;

    let query = CohortQuery { from: Some(m[0]), to: Some(m[3]), ..Default::default() };
    let report = |caller: &Authenticated, query: CohortQuery| {
        let pool = w.db.pool.clone();
        let caller = caller.clone();
        async move { cohorts::cohort_report(&pool, &caller, &query).await.unwrap() }
    };
    // By hand: cohort M0 is A, B, F; in M1 A and F ordered (2 of 3), in M2 B, in M3 A.
    // Cohort M1 is C alone, who ordered again in M2 and not in M3. M2 and M3 have no new
    // customers; E's cancelled order counts nowhere.
    let admin = report(&w.admin, query.clone()).await;
    let sizes: Vec<i64> = admin.rows.iter().map(|r| r.size).collect();
    assert_eq!(sizes, vec![3, 1, 0, 0]);
    assert_eq!(admin.rows[0].returning, vec![2, 1, 1]);
    assert_eq!(admin.rows[1].returning, vec![1, 0]);
    assert_eq!(admin.rows[2].returning, vec![0]);
    assert!(admin.rows[3].returning.is_empty(), "this month has no month after it yet");
    assert_eq!(admin.offsets, 3);
    let two_thirds = admin.rows[0].retention_percent(1).unwrap();
    assert!((two_thirds - 200.0 / 3.0).abs() < 1e-9);
    // Month 1 over both cohorts that reached it: (2 + 1) of (3 + 1).
    assert_eq!(admin.overall_percent(1), Some(75.0));
    assert_eq!(cells(&admin), app::testing::cohorts_counted_from_orders(&w.db.pool, None).await);

    // A member sees their own customers only, and no filter widens that.
    let east = report(&w.east_member, query.clone()).await;
    assert_eq!(east.rows[0].size, 2);
    assert_eq!(east.rows[0].returning, vec![1, 1, 1]);
    let west_team: i64 = sqlx::query_scalar("select id from team where name = '华南'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    for narrowing in [
        Narrowing { owner: Some(w.west_member.id().0), ..Default::default() },
        Narrowing { owner: Some(0), ..Default::default() },
        Narrowing { team: Some(west_team), ..Default::default() },
        Narrowing { region: Some("广州".into()), ..Default::default() },
    ] {
        let narrowed = CohortQuery { narrowing: narrowing.clone(), ..query.clone() };
        let seen = report(&w.east_member, narrowed.clone()).await;
        assert_eq!(seen.customers(), 0, "{narrowing:?}");
        let cell = CohortCell::of(&narrowed, m[0], 1);
        let behind = cohorts::cell_customers(&w.db.pool, &w.east_member, &cell, None, 50).await;
        assert!(behind.unwrap().items.is_empty(), "{narrowing:?}");
    }
    let hangzhou_only = Narrowing { region: Some("杭州".into()), ..Default::default() };
    let hangzhou =
        report(&w.admin, CohortQuery { narrowing: hangzhou_only, ..query.clone() }).await;
    assert_eq!(hangzhou.rows[1].size, 1);
    assert_eq!(hangzhou.customers(), 1);

    // The customers behind a cell are the ones it counts, in pages, each once.
    let cell = CohortCell::of(&query, m[0], 1);
    assert_eq!(cohorts::cell_size(&w.db.pool, &w.admin, &cell).await.unwrap(), 2);
    let first = cohorts::cell_customers(&w.db.pool, &w.admin, &cell, None, 1).await.unwrap();
    let second = cohorts::cell_customers(&w.db.pool, &w.admin, &cell, first.next, 1).await.unwrap();
    let mut ids = vec![first.items[0].id, second.items[0].id];
    ids.sort();
    assert_eq!(ids, vec![a.0, f.0]);
    assert_eq!(second.next, None);
    assert_eq!(first.items[0].orders, 1);
    let east_cell =
        cohorts::cell_customers(&w.db.pool, &w.east_member, &cell, None, 50).await.unwrap();
    assert_eq!(east_cell.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![a.0]);

    let follows = |label: &'static str| {
        let w = &w;
        let query = query.clone();
        async move {
            let now = cohorts::cohort_report(&w.db.pool, &w.admin, &query).await.unwrap();
            assert_eq!(
                cells(&now),
                app::testing::cohorts_counted_from_orders(&w.db.pool, None).await,
                "{label}"
            );
            let east = cohorts::cohort_report(&w.db.pool, &w.east_member, &query).await.unwrap();
            let east_owners = Some(vec![w.east_member.id().0]);
            assert_eq!(
                cells(&east),
                app::testing::cohorts_counted_from_orders(&w.db.pool, east_owners).await,
                "{label}, east"
            );
            now
        }
    };
    // An older order imported later moves C into cohort M0 with all its months.
    let earlier = w.order(c, m[0] + Duration::days(1), "10:00", 100, Channel::Online).await;
    let moved = follows("an earlier order").await;
    assert_eq!(moved.rows[0].size, 4);
    assert_eq!(moved.rows[0].returning, vec![3, 2, 1]);
    assert_eq!(moved.rows[1].size, 0);
    // Cancelling it puts C back.
    orders::cancel_order(&w.state, &w.admin, earlier, 1, "重复").await.unwrap();
    assert_eq!(follows("cancelled").await.rows[1].size, 1);
    // The only M3 order refunded in full no longer counts.
    let only_m3: i64 = sqlx::query_scalar(
        "select id from sales_order where customer_id = $1 order by ordered_at desc limit 1",
    )
    .bind(a.0)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    orders::refund_order(
        &w.state,
        &w.admin,
        app::orders::model::OrderId(only_m3),
        1,
        "100",
        "退货",
    )
    .await
    .unwrap();
    assert_eq!(follows("refunded").await.rows[0].returning, vec![2, 1, 0]);
    // An order moved to another month (a corrected date), in one statement with others.
    sqlx::query(
        "update sales_order set ordered_at = ordered_at + interval '1 month'
         where customer_id = $1 and status = 'placed'",
    )
    .bind(b.0)
    .execute(&w.db.pool)
    .await
    .unwrap();
    follows("dates corrected").await;
    // Reassigned to the west team, in the recycle bin, and back.
    sqlx::query("update customer set owner_id = $1, region = '深圳' where id = $2")
        .bind(w.west_member.id().0)
        .bind(a.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    follows("reassigned").await;
    sqlx::query("update customer set deleted_at = now() where id = $1")
        .bind(f.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    follows("in the recycle bin").await;
    sqlx::query("update customer set deleted_at = null where id = $1")
        .bind(f.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    follows("restored").await;
    // Merged: C's orders move to A, and C goes to the recycle bin.
    app::customers::dedupe::merge(
        &w.state,
        &w.admin,
        &app::customers::dedupe_model::MergeRequest {
            survivor: a,
            merged: c,
            take_from_merged: vec![],
        },
    )
    .await
    .unwrap();
    follows("merged").await;
    // Many orders in one statement (an import), removed again (a revert).
    sqlx::query(
        "insert into sales_order (customer_id, order_no, ordered_at, channel, total_minor)
         select id, 'BULK-' || id || '-' || g, $1::timestamptz + g * interval '9 days', 'online', 100
         from customer, generate_series(0, 9) g where deleted_at is null",
    )
    .bind(
        chrono_tz::Asia::Shanghai
            .from_local_datetime(&m[0].and_hms_opt(8, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc),
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    follows("bulk insert").await;
    sqlx::query("delete from sales_order where order_no like 'BULK-%'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    follows("bulk delete").await;
    // In New York A's last minute of M0 is still M0, but C's first minute of M1 is not.
    sqlx::query("update company_settings set time_zone = 'America/New_York'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    follows("another time zone").await;
}

#[tokio::test]
async fn two_first_orders_of_one_customer_placed_at_once_count_it_once() {
    let w = World::new().await;
    let customer = w.customer(&w.east_member, "并发茶行", "上海").await;
    let place = "insert into sales_order (customer_id, order_no, ordered_at, channel, total_minor)
                 values ($1, $2, now(), 'store', 100)";
    let mut first = w.db.pool.begin().await.unwrap();
    sqlx::query(place).bind(customer.0).bind("RACE-1").execute(&mut *first).await.unwrap();
    // The second reaches the customer while the first is still open, and must wait for it.
    let pool = w.db.pool.clone();
    let second = tokio::spawn(async move {
        let mut tx = pool.begin().await.unwrap();
        sqlx::query(place).bind(customer.0).bind("RACE-2").execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second order waits for the first");
    first.commit().await.unwrap();
    second.await.unwrap();
    let report =
        cohorts::cohort_report(&w.db.pool, &w.admin, &CohortQuery::default()).await.unwrap();
    assert_eq!(report.customers(), 1);
    assert_eq!(cells(&report), app::testing::cohorts_counted_from_orders(&w.db.pool, None).await);
}

/// `clock` (`HH:MM`) on `day` in the company's zone (Asia/Shanghai).
fn company_instant(day: NaiveDate, clock: &str) -> DateTime<Utc> {
    let local = day.and_time(NaiveTime::parse_from_str(clock, "%H:%M").unwrap());
    chrono_tz::Asia::Shanghai.from_local_datetime(&local).unwrap().with_timezone(&Utc)
}

/// A deal of `yuan` for `customer`, owned by `owner`, closed won or lost (`kind`) at `clock` on
/// company day `day`, `age_days` after it was created.
#[allow(clippy::too_many_arguments)]
async fn closed_deal(
    w: &World,
    customer: CustomerId,
    owner: &Authenticated,
    kind: &str,
    day: NaiveDate,
    clock: &str,
    yuan: i64,
    age_days: i32,
    reason: Option<&str>,
) -> i64 {
    let closed = company_instant(day, clock);
    sqlx::query_scalar(
        "insert into opportunity (customer_id, title, amount_minor, expected_close, owner_id,
                                  pipeline_id, stage_id, lost_reason, closed_at, created_at)
         select $1, 'deal', $2, $3::timestamptz::date, $4, s.pipeline_id, s.id, $5, $3,
                $3 - make_interval(days => $6)
         from pipeline_stage s join pipeline p on p.id = s.pipeline_id
         where p.is_default and s.kind = $7 order by s.position limit 1 returning id",
    )
    .bind(customer.0)
    .bind(yuan * 100)
    .bind(closed)
    .bind(owner.id().0)
    .bind(reason)
    .bind(age_days)
    .bind(kind)
    .fetch_one(&w.db.pool)
    .await
    .unwrap()
}

/// Won and lost counts and amounts straight from the opportunities closed on company days
/// `from..=to`, owners in `owners` (all when `None`).
async fn direct_deals(
    w: &World,
    from: NaiveDate,
    to: NaiveDate,
    owners: Option<Vec<i64>>,
) -> BTreeMap<String, (i64, i64)> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "select s.kind, count(*), sum(o.amount_minor)::bigint
         from opportunity o join pipeline_stage s on s.id = o.stage_id
         where s.kind in ('won', 'lost') and o.deleted_at is null
           and (o.closed_at at time zone company_time_zone())::date between $1 and $2
           and ($3::bigint[] is null or o.owner_id = any($3))
         group by 1",
    )
    .bind(from)
    .bind(to)
    .bind(owners)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    rows.into_iter().map(|(kind, count, amount)| (kind, (count, amount))).collect()
}

fn as_map(total: &WinLoss) -> BTreeMap<String, (i64, i64)> {
    let mut map = BTreeMap::new();
    for (kind, figures) in [("won", total.won), ("lost", total.lost)] {
        if figures.count > 0 {
            map.insert(kind.to_owned(), (figures.count, figures.amount_minor));
        }
    }
    map
}

#[tokio::test]
async fn win_loss_equals_the_deals_counted_directly_and_stays_in_scope() {
    let w = World::new().await;
    let pool = &w.db.pool;
    let (from, to) = (w.day, w.day + Duration::days(2));
    let east = w.customer(&w.east_member, "杭州茶社", "华东").await;
    let west = w.customer(&w.west_member, "广州茶行", "华南").await;
    // A minute either side of each end of the range, in the company's zone.
    closed_deal(&w, east, &w.east_member, "won", from, "00:01", 1_000, 10, None).await;
    closed_deal(&w, east, &w.east_member, "won", from - Duration::days(1), "23:59", 2_000, 3, None)
        .await;
    closed_deal(&w, east, &w.east_member, "lost", to, "23:59", 500, 4, Some("价格太高")).await;
    closed_deal(&w, east, &w.east_member, "lost", to + Duration::days(1), "00:00", 800, 1, None)
        .await;
    closed_deal(&w, east, &w.east_member, "lost", from, "12:00", 700, 6, Some(" 价格太高 ")).await;
    closed_deal(&w, east, &w.east_member, "lost", from, "12:00", 300, 8, None).await;
    closed_deal(&w, west, &w.west_member, "won", from, "09:00", 900, 2, None).await;

    let query = DealQuery { from: Some(from), to: Some(to), ..Default::default() };
    let everyone = deals::deal_report(pool, &w.admin, &query).await.unwrap();
    assert_eq!(as_map(&everyone.total), direct_deals(&w, from, to, None).await);
    assert_eq!(everyone.total.won.count, 2);
    assert_eq!(everyone.total.lost.count, 3);
    assert_eq!(everyone.total.win_rate(), Some(40.0));
    // Medians of whole days from creation to close: won 10 and 2, lost 4, 6 and 8.
    assert_eq!(everyone.total.won.median_days, Some(6.0));
    assert_eq!(everyone.total.lost.median_days, Some(6.0));
    // Reasons as written, spaces trimmed; most frequent first.
    let reasons: Vec<(Option<&str>, i64, i64)> =
        everyone.reasons.iter().map(|r| (r.reason.as_deref(), r.count, r.amount_minor)).collect();
    assert_eq!(reasons, [(Some("价格太高"), 2, 120_000), (Some(""), 1, 30_000)]);
    let reps: Vec<(Option<i64>, i64, i64)> = everyone
        .reps
        .iter()
        .map(|rep| (rep.owner, rep.record.won.count, rep.record.lost.count))
        .collect();
    assert_eq!(reps, [(Some(w.east_member.id().0), 1, 3), (Some(w.west_member.id().0), 1, 0)]);

    // A member counts their own deals, and naming another rep gives nothing.
    let own = deals::deal_report(pool, &w.east_member, &query).await.unwrap();
    let mine = Some(vec![w.east_member.id().0]);
    assert_eq!(as_map(&own.total), direct_deals(&w, from, to, mine).await);
    let theirs = DealQuery {
        narrowing: Narrowing { owner: Some(w.west_member.id().0), ..Default::default() },
        ..query.clone()
    };
    let widened = deals::deal_report(pool, &w.east_member, &theirs).await.unwrap();
    assert_eq!(widened.total, WinLoss::default());
    assert!(widened.reps.is_empty());
    // The manager of the east team sees the east team, and the region narrows by customer.
    let team = deals::deal_report(pool, &w.manager, &query).await.unwrap();
    assert_eq!(team.total.won.count + team.total.lost.count, 4);
    let south = DealQuery {
        narrowing: Narrowing { region: Some("华南".into()), ..Default::default() },
        ..query.clone()
    };
    assert_eq!(
        deals::deal_report(pool, &w.admin, &south).await.unwrap().total.won.amount_minor,
        90_000
    );

    // The deals behind a reason are the ones it counted, in pages, latest closed first.
    let behind = DealFilter {
        query: query.clone(),
        outcome: Some(Outcome::Lost),
        reason: Some("价格太高".into()),
    };
    let first = deals::closed_deals(pool, &w.admin, &behind, None, 1).await.unwrap();
    let second = deals::closed_deals(pool, &w.admin, &behind, first.next, 1).await.unwrap();
    assert!(second.next.is_none());
    let amounts: Vec<i64> =
        first.items.iter().chain(&second.items).map(|deal| deal.amount_minor).collect();
    assert_eq!(amounts, [50_000, 70_000]);
    // Outside the caller's scope there is nothing behind a figure either.
    let west_won = DealFilter { query: theirs, outcome: Some(Outcome::Won), reason: None };
    let hidden = deals::closed_deals(pool, &w.east_member, &west_won, None, 50).await.unwrap();
    assert!(hidden.items.is_empty());
    let reversed = DealQuery { from: Some(to), to: Some(from), ..Default::default() };
    let refused = deals::deal_report(pool, &w.admin, &reversed).await;
    assert!(
        matches!(refused, Err(AppError::Validation(ref e)) if !e.get("to").is_empty()),
        "{refused:?}"
    );
}

/// A lead owned by `owner`, created at `clock` on company day `day`, first contacted `contacted`
/// hours later (never when `None`). Its id and creation time.
#[allow(clippy::too_many_arguments)]
async fn lead(
    w: &World,
    owner: &Authenticated,
    source: &str,
    region: &str,
    day: NaiveDate,
    clock: &str,
    contacted: Option<i32>,
    status: &str,
) -> (i64, DateTime<Utc>) {
    let created = company_instant(day, clock);
    let id = sqlx::query_scalar(
        "insert into lead (name, region, source, status, disqualify_reason, owner_id,
                           first_contacted_at, created_at)
         values ('lead', $1, $2, $3, case when $3 = 'disqualified' then '没有预算' end, $4,
                 $5 + make_interval(hours => $6), $5)
         returning id",
    )
    .bind(region)
    .bind(source)
    .bind(status)
    .bind(owner.id().0)
    .bind(created)
    .bind(contacted)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    (id, created)
}

/// Converts `lead` (created at `lead_at`) `after_days` later into an opportunity of `yuan` for
/// `customer`, at a stage of `kind`, closed `closed_after` days after it was created.
#[allow(clippy::too_many_arguments)]
async fn converted(
    w: &World,
    (lead, lead_at): (i64, DateTime<Utc>),
    customer: CustomerId,
    owner: &Authenticated,
    after_days: i64,
    kind: &str,
    closed_after: Option<i32>,
    yuan: i64,
) -> DateTime<Utc> {
    let at = lead_at + Duration::days(after_days);
    let opportunity: i64 = sqlx::query_scalar(
        "insert into opportunity (customer_id, title, amount_minor, expected_close, owner_id,
                                  pipeline_id, stage_id, closed_at, created_at, lead_id)
         select $1, 'deal', $2, $3::timestamptz::date, $4, s.pipeline_id, s.id,
                $3 + make_interval(days => $5), $3, $7
         from pipeline_stage s join pipeline p on p.id = s.pipeline_id
         where p.is_default and s.kind = $6 order by s.position limit 1 returning id",
    )
    .bind(customer.0)
    .bind(yuan * 100)
    .bind(at)
    .bind(owner.id().0)
    .bind(closed_after)
    .bind(kind)
    .bind(lead)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "update lead set status = 'converted', customer_id = $2, opportunity_id = $3,
                first_contacted_at = coalesce(first_contacted_at, $4)
         where id = $1",
    )
    .bind(lead)
    .bind(customer.0)
    .bind(opportunity)
    .bind(at)
    .execute(&w.db.pool)
    .await
    .unwrap();
    at
}

/// Leads created on company days `from..=to` and how far they went, straight from the tables,
/// owners in `owners` (all when `None`): created, contacted, converted, won.
async fn direct_funnel(
    w: &World,
    from: NaiveDate,
    to: NaiveDate,
    owners: Option<Vec<i64>>,
) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "select count(*), count(l.first_contacted_at), count(l.opportunity_id),
                count(*) filter (where s.kind = 'won')
         from lead l
         left join opportunity o on o.id = l.opportunity_id
         left join pipeline_stage s on s.id = o.stage_id
         where l.deleted_at is null
           and (l.created_at at time zone company_time_zone())::date between $1 and $2
           and ($3::bigint[] is null or l.owner_id = any($3))",
    )
    .bind(from)
    .bind(to)
    .bind(owners)
    .fetch_one(&w.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_funnel_equals_the_leads_counted_directly_and_revenue_goes_to_the_latest_lead() {
    let w = World::new().await;
    let pool = &w.db.pool;
    let (from, to) = (w.day, w.day + Duration::days(2));
    let day = |n: i64| from + Duration::days(n);
    let east = w.customer(&w.east_member, "杭州茶社", "华东").await;
    let west = w.customer(&w.west_member, "广州茶行", "华南").await;
    let (em, wm) = (&w.east_member, &w.west_member);
    // A minute either side of each end of the range, in the company's zone.
    let first = lead(&w, em, "web_form", "华东", from, "00:01", Some(2), "contacted").await;
    lead(&w, em, "web_form", "华东", day(-1), "23:59", Some(1), "contacted").await;
    lead(&w, em, "event", "华东", to, "23:59", None, "new").await;
    lead(&w, em, "event", "华东", day(3), "00:00", None, "new").await;
    lead(&w, em, "event", "华东", from, "12:00", Some(24), "disqualified").await;
    let lost = lead(&w, em, "referral", "华东", from, "12:00", Some(48), "qualified").await;
    let western = lead(&w, wm, "web_form", "华南", from, "09:00", Some(1), "contacted").await;
    // Converted one, three and two days on: won four days later, lost, still open.
    converted(&w, first, east, em, 1, "won", Some(4), 1_000).await;
    converted(&w, lost, east, em, 3, "lost", Some(1), 500).await;
    converted(&w, western, west, wm, 2, "open", None, 700).await;
    // The east customer came back later through a lead outside the range.
    let again = lead(&w, em, "phone", "华东", day(7), "10:00", Some(1), "contacted").await;
    converted(&w, again, east, em, 1, "open", None, 100).await;
    // Before converting: nobody's; after: the first lead's, then the later lead's.
    w.order(east, from, "08:00", 50, Channel::Store).await;
    w.order(east, day(3), "10:00", 300, Channel::Store).await;
    w.order(east, day(4), "10:00", 200, Channel::Online).await;
    w.order(east, day(9), "10:00", 900, Channel::Store).await;
    w.order(west, day(5), "10:00", 400, Channel::Store).await;

    let query = FunnelQuery { from: Some(from), to: Some(to), ..Default::default() };
    let everyone = funnel::funnel_report(pool, &w.admin, &query).await.unwrap();
    let total = everyone.total;
    let steps = (total.created, total.contacted, total.converted, total.won);
    assert_eq!(steps, direct_funnel(&w, from, to, None).await);
    assert_eq!(steps, (5, 4, 3, 1));
    assert_eq!(total.disqualified, 1);
    assert_eq!(total.won_amount_minor, 100_000);
    // Medians: converted after 1, 3 and 2 days; won 4 days after converting, 5 after the lead.
    assert_eq!(total.days_to_convert, Some(2.0));
    assert_eq!(total.days_to_win, Some(4.0));
    assert_eq!(total.days_lead_to_win, Some(5.0));
    assert_eq!(total.step_rate(FunnelStep::Converted), Some(75.0));
    // 300 for the first lead, 200 for the referral converted after it, 400 for the western
    // one; the 50 came before any conversion, the 900 after the later lead.
    assert_eq!((total.orders, total.revenue_minor), (3, 90_000));
    let sources: Vec<(&str, i64, i64, i64)> = everyone
        .sources
        .iter()
        .map(|s| (s.source.as_str(), s.counts.created, s.counts.converted, s.counts.revenue_minor))
        .collect();
    let expected = [("web_form", 2, 2, 70_000), ("referral", 1, 1, 20_000), ("event", 2, 0, 0)];
    assert_eq!(sources, expected);
    let later = FunnelQuery { from: Some(day(7)), to: Some(day(7)), ..Default::default() };
    let later = funnel::funnel_report(pool, &w.admin, &later).await.unwrap();
    assert_eq!((later.total.orders, later.total.revenue_minor), (1, 90_000));

    // A member counts their own leads, and naming another rep gives nothing.
    let own = funnel::funnel_report(pool, em, &query).await.unwrap().total;
    let mine = direct_funnel(&w, from, to, Some(vec![em.id().0])).await;
    assert_eq!((own.created, own.contacted, own.converted, own.won), mine);
    assert_eq!(own.revenue_minor, 50_000);
    let theirs = FunnelQuery {
        narrowing: Narrowing { owner: Some(wm.id().0), ..Default::default() },
        ..query.clone()
    };
    let widened = funnel::funnel_report(pool, em, &theirs).await.unwrap();
    assert_eq!(widened.total.created, 0);
    assert!(widened.sources.is_empty());
    // The east team's manager sees the east team; the region and the source narrow.
    assert_eq!(funnel::funnel_report(pool, &w.manager, &query).await.unwrap().total.created, 4);
    let south = FunnelQuery {
        narrowing: Narrowing { region: Some("华南".into()), ..Default::default() },
        ..query.clone()
    };
    assert_eq!(funnel::funnel_report(pool, &w.admin, &south).await.unwrap().total.created, 1);
    let events =
        FunnelQuery { source: Some(app::leads::model::LeadSource::Event), ..query.clone() };
    let events = funnel::funnel_report(pool, &w.admin, &events).await.unwrap().total;
    assert_eq!((events.created, events.contacted, events.disqualified), (2, 1, 1));

    // The leads behind a step are the ones it counted, in pages, newest first.
    let behind = FunnelLeadFilter { query: query.clone(), step: Some(FunnelStep::Converted) };
    let page = funnel::funnel_leads(pool, &w.admin, &behind, None, 2).await.unwrap();
    let rest = funnel::funnel_leads(pool, &w.admin, &behind, page.next, 2).await.unwrap();
    assert!(rest.next.is_none());
    let ids: Vec<i64> = page.items.iter().chain(&rest.items).map(|l| l.id).collect();
    assert_eq!(ids, [lost.0, western.0, first.0]);
    let hidden = FunnelLeadFilter { query: theirs, step: Some(FunnelStep::Created) };
    assert!(funnel::funnel_leads(pool, em, &hidden, None, 50).await.unwrap().items.is_empty());

    // What the real conversion writes is what the funnel counts.
    let today = company_today(pool).await;
    let fresh: i64 = sqlx::query_scalar(
        "insert into lead (name, company, source, owner_id) values ('王芳', '西湖茶庄', 'social', $1)
         returning id",
    )
    .bind(em.id().0)
    .fetch_one(pool)
    .await
    .unwrap();
    let input = ConvertInput {
        existing_customer: None,
        opportunity_title: "首单".into(),
        amount: "880".into(),
        expected_close: Some(today + Duration::days(30)),
    };
    leads::convert(&w.state, em, LeadId(fresh), 1, input).await.unwrap();
    let today_query = FunnelQuery { from: Some(today), to: Some(today), ..Default::default() };
    let now = funnel::funnel_report(pool, em, &today_query).await.unwrap().total;
    assert_eq!((now.created, now.contacted, now.converted, now.won), (1, 1, 1, 0));

    let reversed = FunnelQuery { from: Some(to), to: Some(from), ..Default::default() };
    let refused = funnel::funnel_report(pool, &w.admin, &reversed).await;
    assert!(
        matches!(refused, Err(AppError::Validation(ref e)) if !e.get("to").is_empty()),
        "{refused:?}"
    );
}

/// Marks `customer` former for `reason` at `clock` on company day `day`.
async fn churned(w: &World, customer: CustomerId, reason: &str, day: NaiveDate, clock: &str) {
    let at = company_instant(day, clock);
    sqlx::query(
        "update customer set customer_type = 'former', churn_reason = $2, churned_at = $3
         where id = $1",
    )
    .bind(customer.0)
    .bind(reason)
    .bind(at)
    .execute(&w.db.pool)
    .await
    .unwrap();
}

/// Customers churned on company days `from..=to` and what they had spent, straight from the
/// table, owners in `owners` (all when `None`).
async fn direct_churn(
    w: &World,
    from: NaiveDate,
    to: NaiveDate,
    owners: Option<Vec<i64>>,
) -> (i64, i64) {
    sqlx::query_as(
        "select count(*), coalesce(sum(total_spend_minor), 0)::bigint from customer
         where deleted_at is null and customer_type = 'former'
           and (churned_at at time zone company_time_zone())::date between $1 and $2
           and ($3::bigint[] is null or owner_id = any($3))",
    )
    .bind(from)
    .bind(to)
    .bind(owners)
    .fetch_one(&w.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn churn_equals_the_customers_counted_directly_and_stays_in_scope() {
    let w = World::new().await;
    let pool = &w.db.pool;
    let (from, to) = (w.day, w.day + Duration::days(2));
    let (em, wm) = (&w.east_member, &w.west_member);
    let first = w.customer(em, "杭州茶社", "华东").await;
    let second = w.customer(em, "宁波茶庄", "华东").await;
    let third = w.customer(em, "苏州茶楼", "华东").await;
    let before = w.customer(em, "无锡茶行", "华东").await;
    let after = w.customer(em, "绍兴茶铺", "华东").await;
    let western = w.customer(wm, "广州茶行", "华南").await;
    // What they spent before leaving; an order makes a customer existing, so it comes first.
    w.order(first, from - Duration::days(20), "10:00", 100, Channel::Store).await;
    w.order(western, from - Duration::days(20), "10:00", 50, Channel::Store).await;
    // A minute either side of each end of the range, in the company's zone.
    churned(&w, first, "价格太高", from, "00:01").await;
    churned(&w, second, " 价格太高 ", to, "23:59").await;
    churned(&w, third, "服务不满意", from + Duration::days(1), "12:00").await;
    churned(&w, before, "价格太高", from - Duration::days(1), "23:59").await;
    churned(&w, after, "价格太高", to + Duration::days(1), "00:00").await;
    churned(&w, western, "搬迁", from, "10:00").await;

    let query = RangeQuery { from: Some(from), to: Some(to), ..Default::default() };
    let everyone = churn::churn_report(pool, &w.admin, &query).await.unwrap();
    assert_eq!((everyone.customers, everyone.spent_minor), direct_churn(&w, from, to, None).await);
    assert_eq!((everyone.customers, everyone.spent_minor), (4, 15_000));
    let months: i64 = everyone.months.iter().map(|m| m.customers).sum();
    assert_eq!(months, 4);
    assert_eq!(everyone.months.first().unwrap().month, from.with_day(1).unwrap());
    // Reasons as written, spaces trimmed; most frequent first, then most spent.
    let reasons: Vec<(Option<&str>, i64, i64)> =
        everyone.reasons.iter().map(|r| (r.reason.as_deref(), r.count, r.amount_minor)).collect();
    assert_eq!(
        reasons,
        [(Some("价格太高"), 2, 10_000), (Some("搬迁"), 1, 5_000), (Some("服务不满意"), 1, 0)]
    );

    // A member counts their own customers, and naming another rep gives nothing.
    let own = churn::churn_report(pool, em, &query).await.unwrap();
    let mine = direct_churn(&w, from, to, Some(vec![em.id().0])).await;
    assert_eq!((own.customers, own.spent_minor), mine);
    let theirs = RangeQuery {
        narrowing: Narrowing { owner: Some(wm.id().0), ..Default::default() },
        ..query.clone()
    };
    let widened = churn::churn_report(pool, em, &theirs).await.unwrap();
    assert_eq!(widened.customers, 0);
    assert!(widened.reasons.is_empty());
    assert_eq!(churn::churn_report(pool, &w.manager, &query).await.unwrap().customers, 3);
    let south = RangeQuery {
        narrowing: Narrowing { region: Some("华南".into()), ..Default::default() },
        ..query.clone()
    };
    assert_eq!(churn::churn_report(pool, &w.admin, &south).await.unwrap().customers, 1);

    // The customers behind a reason are the ones it counted, in pages, latest churned first.
    let behind =
        ChurnFilter { query: query.clone(), reason: Some("价格太高".into()), month: None };
    let page = churn::churned_customers(pool, &w.admin, &behind, None, 1).await.unwrap();
    let rest = churn::churned_customers(pool, &w.admin, &behind, page.next, 1).await.unwrap();
    assert!(rest.next.is_none());
    let ids: Vec<i64> = page.items.iter().chain(&rest.items).map(|c| c.id).collect();
    assert_eq!(ids, [second.0, first.0]);
    // A month's customers are as many as its column.
    for month in &everyone.months {
        let filter = ChurnFilter { query: query.clone(), reason: None, month: Some(month.month) };
        let listed = churn::churned_customers(pool, &w.admin, &filter, None, 50).await.unwrap();
        assert_eq!(listed.items.len() as i64, month.customers, "{}", month.month);
    }
    let hidden = ChurnFilter { query: theirs, ..Default::default() };
    assert!(churn::churned_customers(pool, em, &hidden, None, 50).await.unwrap().items.is_empty());

    // Marking a customer former through the edit form is what the report counts.
    let leaving = w.customer(em, "湖州茶坊", "华东").await;
    let input = CustomerInput {
        name: "湖州茶坊".into(),
        region: "华东".into(),
        owner_id: Some(em.id()),
        customer_type: app::customers::model::CustomerType::Former,
        churn_reason: "预算取消".into(),
        ..Default::default()
    };
    customers::update(&w.state, em, leaving, 1, input, vec![]).await.unwrap();
    let today = company_today(pool).await;
    let today_query = RangeQuery { from: Some(today), to: Some(today), ..Default::default() };
    let now = churn::churn_report(pool, em, &today_query).await.unwrap();
    assert_eq!(now.customers, 1);
    assert_eq!(now.reasons[0].reason.as_deref(), Some("预算取消"));

    let reversed = RangeQuery { from: Some(to), to: Some(from), ..Default::default() };
    let refused = churn::churn_report(pool, &w.admin, &reversed).await;
    assert!(
        matches!(refused, Err(AppError::Validation(ref e)) if !e.get("to").is_empty()),
        "{refused:?}"
    );
}

/// Each product's placed order lines on company days `from..=to` straight from the lines, owners
/// in `owners` (all when `None`): (orders holding it, units, lines less their share of refunds).
async fn direct_products(
    w: &World,
    from: NaiveDate,
    to: NaiveDate,
    owners: Option<Vec<i64>>,
) -> BTreeMap<i64, (i64, i64, i64)> {
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "select l.product_id, count(distinct o.id), sum(l.quantity)::bigint,
                sum(case when o.refunded_minor = 0 then l.line_total_minor
                         else round(l.line_total_minor::numeric
                                    * (o.total_minor - o.refunded_minor) / o.total_minor)
                    end)::bigint
         from sales_order o
         join customer c on c.id = o.customer_id
         join order_line l on l.order_id = o.id
         where o.status = 'placed' and c.deleted_at is null
           and (o.ordered_at at time zone company_time_zone())::date between $1 and $2
           and ($3::bigint[] is null or c.owner_id = any($3))
         group by 1",
    )
    .bind(from)
    .bind(to)
    .bind(owners)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    rows.into_iter().map(|(product, orders, units, net)| (product, (orders, units, net))).collect()
}

/// The report by product as (orders, units, revenue) per product id.
async fn by_product(
    w: &World,
    caller: &Authenticated,
    filter: SalesFilter,
) -> BTreeMap<i64, (i64, i64, i64)> {
    let report = w
        .report(caller, SalesQuery { filter, grouping: Grouping::Product, ..Default::default() })
        .await;
    assert!(report.by_product);
    let bars: BTreeMap<i64, (i64, i64, i64)> = report
        .bars
        .iter()
        .map(|bar| match &bar.key {
            BarKey::Product(id, _, _) => {
                (*id, (bar.figures.orders, bar.figures.units, bar.figures.revenue_minor))
            }
            other => panic!("a product bar, not {other:?}"),
        })
        .collect();
    let summed = bars.values().fold((0, 0, 0), |s, v| (s.0 + v.0, s.1 + v.1, s.2 + v.2));
    let total = report.total;
    assert_eq!(summed, (total.orders, total.units, total.revenue_minor), "bars add up");
    bars
}

async fn product(w: &World, sku: &str, category: Option<&str>, yuan: i64) -> ProductId {
    let id: i64 = sqlx::query_scalar(
        "insert into product (sku, name, category, unit_price_minor)
         values ($1, $1 || ' 名', $2, $3) returning id",
    )
    .bind(sku)
    .bind(category)
    .bind(yuan * 100)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    ProductId(id)
}

/// An order of `lines` (product, quantity) at catalogue prices, placed at `clock` on `day`.
async fn order_of(
    w: &World,
    customer: CustomerId,
    day: NaiveDate,
    clock: &str,
    lines: &[(ProductId, i32)],
) -> app::orders::model::OrderId {
    orders::add_order(&w.state, &w.admin, order_input(customer, day, clock, lines)).await.unwrap()
}

fn order_input(
    customer: CustomerId,
    day: NaiveDate,
    clock: &str,
    lines: &[(ProductId, i32)],
) -> OrderInput {
    OrderInput {
        customer_id: customer,
        ordered_at: Some(company_instant(day, clock)),
        channel: Channel::Store,
        lines: lines
            .iter()
            .map(|(product, quantity)| OrderLineInput {
                product_id: Some(*product),
                quantity: quantity.to_string(),
                unit_price: String::new(),
            })
            .collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn products_equal_their_order_lines_summed_directly_after_every_write() {
    let w = World::new().await;
    let tea = product(&w, "TEA-A", Some("茶叶"), 300).await;
    let green = product(&w, "TEA-B", Some("茶叶"), 200).await;
    let cup = product(&w, "CUP", None, 50).await;
    let east = w.customer(&w.east_member, "东方茶行", "上海").await;
    let west = w.customer(&w.west_member, "南方茶庄", "广州").await;
    let next = w.day + Duration::days(1);
    let first = order_of(&w, east, w.day, "23:59", &[(tea, 2), (cup, 4)]).await;
    let second = order_of(&w, east, next, "00:00", &[(tea, 1), (green, 1)]).await;
    let third = order_of(&w, west, w.day, "00:00", &[(green, 3), (cup, 1), (cup, 1)]).await;
    order_of(&w, west, w.day - Duration::days(1), "23:59", &[(tea, 10)]).await;

    let one_day = w.range(w.day, w.day);
    let check = |label: &'static str| {
        let w = &w;
        let filter = one_day.clone();
        async move {
            let report = by_product(w, &w.admin, filter).await;
            assert_eq!(report, direct_products(w, w.day, w.day, None).await, "{label}");
            // A long range reads its whole months from the monthly summary and the rest of
            // its days from the daily one.
            let (from, to) = (w.day - Duration::days(300), w.day + Duration::days(40));
            let long = by_product(w, &w.admin, w.range(from, to)).await;
            assert_eq!(long, direct_products(w, from, to, None).await, "{label}, months");
            report
        }
    };
    // The day's first and last minute, not the minute after; two lines of one product in one
    // order are one order.
    let placed = check("placed").await;
    assert_eq!(placed[&tea.0], (1, 2, 60_000));
    assert_eq!(placed[&cup.0], (2, 6, 30_000));
    assert_eq!(placed[&green.0], (1, 3, 60_000));

    // By category: the products' figures summed, no category as its own slice.
    let categories = w
        .report(
            &w.admin,
            SalesQuery {
                filter: one_day.clone(),
                grouping: Grouping::Category,
                ..Default::default()
            },
        )
        .await;
    let category = |name: &str| {
        categories.bars.iter().find(|b| b.key == BarKey::Category(name.into())).unwrap().clone()
    };
    assert_eq!(category("茶叶").figures.revenue_minor, 120_000);
    assert_eq!(category("").figures.revenue_minor, 30_000);
    assert_eq!(category("").drill.category, Some(String::new()));

    // Narrowed to a product, the day-by-day report reads its lines, and the orders behind it
    // count for those lines only.
    let tea_only = w
        .report(
            &w.admin,
            SalesQuery {
                filter: SalesFilter { product: Some(tea.0), ..w.range(w.day, next) },
                ..Default::default()
            },
        )
        .await;
    assert_eq!(tea_only.product, Some(("TEA-A".into(), "TEA-A 名".into())));
    assert_eq!(tea_only.total.revenue_minor, 90_000);
    let behind = reports::report_orders(&w.db.pool, &w.admin, &tea_only.bars[0].drill, None, 50)
        .await
        .unwrap();
    assert_eq!(behind.items.iter().map(|o| o.id).collect::<Vec<_>>(), vec![first.0]);
    assert_eq!(behind.items[0].net_minor, 60_000, "the tea lines, not the whole order");
    let no_category = SalesFilter { category: Some(String::new()), ..one_day.clone() };
    let cups = reports::report_orders(&w.db.pool, &w.admin, &no_category, None, 50).await.unwrap();
    assert_eq!(cups.items.iter().map(|o| o.net_minor).sum::<i64>(), 30_000);

    // A member sees their own customers' products only, whatever the filter asks.
    let mine = by_product(&w, &w.west_member, one_day.clone()).await;
    let owners = Some(vec![w.west_member.id().0]);
    assert_eq!(mine, direct_products(&w, w.day, w.day, owners).await);
    let asked_for_east = SalesFilter { owner: Some(w.east_member.id().0), ..one_day.clone() };
    assert!(by_product(&w, &w.west_member, asked_for_east).await.is_empty());

    let version = |id| order_version(&w, id);
    // A refund is shared over the lines in proportion: 100 of 800 off a 600 line leaves 525.
    orders::refund_order(&w.state, &w.admin, first, version(first).await, "100", "破损")
        .await
        .unwrap();
    assert_eq!(check("refunded").await[&tea.0], (1, 2, 52_500));
    // A correction replaces the lines; a cancellation takes the order out.
    let corrected = order_input(west, w.day, "00:00", &[(tea, 1), (cup, 2)]);
    orders::correct_order(&w.state, &w.admin, third, version(third).await, corrected, "改单")
        .await
        .unwrap();
    assert!(!check("corrected").await.contains_key(&green.0));
    orders::cancel_order(&w.state, &w.admin, third, version(third).await, "客户取消")
        .await
        .unwrap();
    assert_eq!(check("cancelled").await[&tea.0], (1, 2, 52_500));
    // Moved to another day; reassigned, binned and restored customers.
    let moved = order_input(east, w.day, "08:00", &[(tea, 1), (green, 1)]);
    orders::correct_order(&w.state, &w.admin, second, version(second).await, moved, "日期")
        .await
        .unwrap();
    assert_eq!(check("moved a day").await[&tea.0], (2, 3, 82_500));
    sqlx::query("update customer set owner_id = $1, region = '杭州' where id = $2")
        .bind(w.west_member.id().0)
        .bind(east.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let owners = Some(vec![w.west_member.id().0]);
    assert_eq!(
        by_product(&w, &w.west_member, one_day.clone()).await,
        direct_products(&w, w.day, w.day, owners).await
    );
    for deleted_at in ["now()", "null"] {
        sqlx::query(&format!("update customer set deleted_at = {deleted_at} where id = $1"))
            .bind(west.0)
            .execute(&w.db.pool)
            .await
            .unwrap();
        check("binned or restored").await;
    }

    // Lines in bulk (an import's batch), lines added later to an order that holds the product,
    // then orders deleted outright (their lines go in the cascade) and lines removed first.
    sqlx::query(
        "insert into sales_order (customer_id, order_no, ordered_at, channel, total_minor)
         select $1, 'BULK-' || g, $2, 'online', 500 from generate_series(1, 300) g",
    )
    .bind(east.0)
    .bind(company_instant(w.day, "09:00"))
    .execute(&w.db.pool)
    .await
    .unwrap();
    let insert_lines = |product: ProductId| {
        let pool = w.db.pool.clone();
        async move {
            sqlx::query(
                "insert into order_line (order_id, product_id, quantity, unit_price_minor,
                                         line_total_minor)
                 select id, $1, 1, 250, 250 from sales_order where order_no like 'BULK-%'",
            )
            .bind(product.0)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    insert_lines(cup).await;
    insert_lines(cup).await;
    let bulk = check("bulk lines").await;
    assert_eq!(bulk[&cup.0].0, 300 + 1, "an order holding the product twice counts once");
    sqlx::query("delete from order_line where id in (select min(l.id) from order_line l join sales_order o on o.id = l.order_id where o.order_no like 'BULK-%' group by o.id)")
        .execute(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(check("one of two lines gone").await[&cup.0].0, 301);
    sqlx::query("delete from sales_order where order_no like 'BULK-1%'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    check("orders deleted with their lines").await;
    sqlx::query(
        "delete from order_line l using sales_order o
         where o.order_no like 'BULK-%' and l.order_id = o.id",
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    sqlx::query("delete from sales_order where order_no like 'BULK-%'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    check("lines, then their orders").await;

    // Another time zone: the summary is counted again from the lines.
    sqlx::query("update company_settings set time_zone = 'America/New_York'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    for day in [w.day - Duration::days(1), w.day, next] {
        let report = by_product(&w, &w.admin, w.range(day, day)).await;
        assert_eq!(report, direct_products(&w, day, day, None).await, "{day} in New York");
    }
    check("New York, months").await;
}

/// Moves on company days `from..=to` counted straight from `tier_change`, owners in `owners`
/// (all when `None`): (up, down), up being to a tier placed before the one left.
async fn direct_moves(
    w: &World,
    from: NaiveDate,
    to: NaiveDate,
    owners: Option<Vec<i64>>,
) -> (i64, i64) {
    sqlx::query_as(
        "select count(*) filter (where tt.position < ft.position),
                count(*) filter (where tt.id is null or tt.position > ft.position)
         from tier_change tc
         join customer c on c.id = tc.customer_id
         join tier ft on ft.id = tc.from_tier_id
         left join tier tt on tt.id = tc.to_tier_id
         where c.deleted_at is null
           and (tc.at at time zone company_time_zone())::date between $1 and $2
           and ($3::bigint[] is null or c.owner_id = any($3))",
    )
    .bind(from)
    .bind(to)
    .bind(owners)
    .fetch_one(&w.db.pool)
    .await
    .unwrap()
}

async fn moved(w: &World, customer: CustomerId, from: i64, to: Option<i64>, at: DateTime<Utc>) {
    sqlx::query(
        "insert into tier_change (customer_id, from_tier_id, to_tier_id, at)
         values ($1, $2, $3, $4)",
    )
    .bind(customer.0)
    .bind(from)
    .bind(to)
    .bind(at)
    .execute(&w.db.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn tier_moves_equal_the_moves_counted_directly_and_stay_in_scope() {
    let w = World::new().await;
    // The migration's tiers: 1 high, 2 medium, 3 low (a lower position is a higher tier).
    let (high, medium, low): (i64, i64, i64) = sqlx::query_as(
        "select (select id from tier where position = 1), (select id from tier where position = 2),
                (select id from tier where position = 3)",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    let east = w.customer(&w.east_member, "东方茶行", "上海").await;
    let west = w.customer(&w.west_member, "南方茶庄", "广州").await;
    let binned = w.customer(&w.east_member, "回收站茶行", "上海").await;
    let start = month_start(w.day);
    let end = months_after(start, 1) - Duration::days(1);
    // A minute either side of the range's first midnight, and its last minute.
    moved(&w, east, low, Some(medium), company_instant(start, "00:00")).await;
    moved(&w, east, medium, Some(high), company_instant(start - Duration::days(1), "23:59")).await;
    moved(&w, west, high, Some(low), company_instant(end, "23:59")).await;
    moved(&w, west, low, None, company_instant(start + Duration::days(3), "12:00")).await;
    moved(&w, east, medium, Some(high), company_instant(start + Duration::days(4), "09:00")).await;
    moved(&w, binned, high, Some(medium), company_instant(start + Duration::days(4), "09:00"))
        .await;
    sqlx::query("update customer set deleted_at = now() where id = $1")
        .bind(binned.0)
        .execute(&w.db.pool)
        .await
        .unwrap();

    let query = RangeQuery { from: Some(start), to: Some(end), ..Default::default() };
    let report = moves::moves_report(&w.db.pool, &w.admin, &query).await.unwrap();
    assert_eq!((report.up, report.down), direct_moves(&w, start, end, None).await);
    assert_eq!((report.up, report.down), (2, 2));
    assert_eq!(report.months.len(), 1);
    assert_eq!((report.months[0].up, report.months[0].down), (2, 2));
    let path = |from: i64, to: Option<i64>| {
        report
            .paths
            .iter()
            .find(|p| p.from.id == from && p.to.as_ref().map(|t| t.id) == to)
            .map(|p| (p.direction, p.moves))
    };
    assert_eq!(path(low, Some(medium)), Some((Direction::Up, 1)));
    assert_eq!(path(medium, Some(high)), Some((Direction::Up, 1)));
    assert_eq!(path(high, Some(low)), Some((Direction::Down, 1)));
    assert_eq!(path(low, None), Some((Direction::Down, 1)));

    // Every figure opens exactly its moves.
    let behind = |filter: MovesFilter| {
        let w = &w;
        async move {
            let page =
                moves::customer_moves(&w.db.pool, &w.admin, &filter, None, 50).await.unwrap();
            page.items.iter().map(|m| (m.customer_id, m.direction)).collect::<Vec<_>>()
        }
    };
    let down = MovesFilter {
        query: query.clone(),
        direction: Some(Direction::Down),
        ..Default::default()
    };
    assert_eq!(behind(down).await, vec![(west.0, Direction::Down), (west.0, Direction::Down)]);
    let left_every_tier = MovesFilter {
        query: query.clone(),
        from_tier: Some(low),
        to_tier: Some(0),
        ..Default::default()
    };
    assert_eq!(behind(left_every_tier).await, vec![(west.0, Direction::Down)]);
    let this_month = MovesFilter { query: query.clone(), month: Some(start), ..Default::default() };
    assert_eq!(behind(this_month).await.len(), 4);

    // A member sees their own customers' moves, whatever the narrowing asks.
    let mine = moves::moves_report(&w.db.pool, &w.west_member, &query).await.unwrap();
    let owners = Some(vec![w.west_member.id().0]);
    assert_eq!((mine.up, mine.down), direct_moves(&w, start, end, owners).await);
    assert_eq!((mine.up, mine.down), (0, 2));
    let widened = RangeQuery {
        narrowing: Narrowing { owner: Some(w.east_member.id().0), ..Default::default() },
        ..query.clone()
    };
    let refused = moves::moves_report(&w.db.pool, &w.west_member, &widened).await.unwrap();
    assert_eq!((refused.up, refused.down), (0, 0));
    let asked = MovesFilter { query: widened, ..Default::default() };
    let none = moves::customer_moves(&w.db.pool, &w.west_member, &asked, None, 50).await.unwrap();
    assert!(none.items.is_empty());
}

/// The grid counted straight from the live customers' scores, owners in `owners` (all when
/// `None`): (r, f) -> (customers, sum of M, spend in the window).
async fn direct_grid(w: &World, owners: Option<Vec<i64>>) -> BTreeMap<(i16, i16), (i64, i64, i64)> {
    let rows: Vec<(i16, i16, i64, i64, i64)> = sqlx::query_as(
        "select s.r, s.f, count(*), sum(s.m)::bigint, sum(s.monetary_minor)::bigint
         from customer_score s join customer c on c.id = s.customer_id
         where c.deleted_at is null and ($1::bigint[] is null or c.owner_id = any($1))
         group by 1, 2",
    )
    .bind(owners)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    rows.into_iter().map(|(r, f, n, m, spent)| ((r, f), (n, m, spent))).collect()
}

/// Spend in the window by tier in force (0 for none), counted straight from the scores.
async fn direct_tiers(w: &World, owners: Option<Vec<i64>>) -> BTreeMap<i64, (i64, i64)> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "select coalesce(case when s.override_tier_id is not null
                                   and (s.override_until is null
                                        or s.override_until >= (now() at time zone company_time_zone())::date)
                              then s.override_tier_id else s.computed_tier_id end, 0),
                count(*), sum(s.monetary_minor)::bigint
         from customer_score s join customer c on c.id = s.customer_id
         where c.deleted_at is null and ($1::bigint[] is null or c.owner_id = any($1))
         group by 1",
    )
    .bind(owners)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    rows.into_iter().map(|(tier, n, spent)| (tier, (n, spent))).collect()
}

fn grid_of(report: &ValueReport) -> BTreeMap<(i16, i16), (i64, i64, i64)> {
    report.cells.iter().map(|c| ((c.r, c.f), (c.customers, c.m_total, c.monetary_minor))).collect()
}

fn tiers_of(report: &ValueReport) -> BTreeMap<i64, (i64, i64)> {
    report
        .tiers
        .iter()
        .map(|t| (t.tier.as_ref().map(|t| t.id).unwrap_or(0), (t.customers, t.monetary_minor)))
        .collect()
}

/// The report's grid and tiers against the scores counted directly, for a caller seeing
/// `owners`.
async fn assert_value_matches(w: &World, caller: &Authenticated, owners: Option<Vec<i64>>) {
    let report = value::value_report(&w.db.pool, caller, &ValueQuery::default()).await.unwrap();
    assert_eq!(grid_of(&report), direct_grid(w, owners.clone()).await);
    assert_eq!(tiers_of(&report), direct_tiers(w, owners).await);
    assert_eq!(report.customers, report.cells.iter().map(|c| c.customers).sum::<i64>());
}

#[tokio::test]
async fn customer_value_equals_the_scores_counted_directly_after_every_write() {
    let w = World::new().await;
    let today = company_today(&w.db.pool).await;
    // Customers with one to four orders of different sizes, some long ago: a spread of scores.
    let mut everyone = vec![];
    for (n, (owner, region)) in [
        (&w.east_member, "上海"),
        (&w.east_member, "上海"),
        (&w.east_member, "杭州"),
        (&w.west_member, "广州"),
        (&w.west_member, "广州"),
        (&w.west_member, ""),
    ]
    .into_iter()
    .enumerate()
    {
        let customer = w.customer(owner, &format!("茶行{n}"), region).await;
        for k in 0..=(n % 4) {
            // From yesterday back: an order today at 10:00 is still to come before 10:00.
            let day = today - Duration::days((1 + n * 90 + k * 7) as i64);
            w.order(customer, day, "10:00", 100 * (n as i64 + 1) * (k as i64 + 1), Channel::Store)
                .await;
        }
        everyone.push(customer);
    }
    let never_ordered = w.customer(&w.east_member, "还没下单", "上海").await;
    let mut conn = w.db.pool.acquire().await.unwrap();
    app::tiers::service::grade_everyone(&mut conn).await.unwrap();
    drop(conn);
    let graded: i64 = sqlx::query_scalar("select count(*) from customer_score")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert!(graded >= 6, "every customer with orders is graded");
    let east_owners = Some(vec![w.east_member.id().0]);
    assert_value_matches(&w, &w.admin, None).await;
    assert_value_matches(&w, &w.east_member, east_owners.clone()).await;

    // Every write that moves a customer between cells keeps the summary equal to the scores:
    // a new order (rescored in its transaction), a reassignment and a new region, an override,
    // the recycle bin and back, a recompute.
    // Today's first minute: always past, whatever the hour the test runs at.
    w.order(everyone[0], today, "00:00", 5000, Channel::Online).await;
    w.order(never_ordered, today, "00:00", 80, Channel::Online).await;
    sqlx::query("update customer set owner_id = $1, region = '深圳' where id = $2")
        .bind(w.west_member.id().0)
        .bind(everyone[1].0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let low: i64 = sqlx::query_scalar("select id from tier where position = 3")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    app::tiers::service::set_override(
        &w.state,
        &w.admin,
        everyone[3],
        Some(app::tiers::model::TierId(low)),
        "大客户转为普通",
        Some(today + Duration::days(30)),
    )
    .await
    .unwrap();
    // An override that has ended counts under the computed tier again.
    app::tiers::service::set_override(
        &w.state,
        &w.admin,
        everyone[4],
        Some(app::tiers::model::TierId(low)),
        "试用期",
        Some(today - Duration::days(1)),
    )
    .await
    .unwrap();
    customers::delete(&w.state, &w.admin, everyone[2]).await.unwrap();
    customers::delete(&w.state, &w.admin, everyone[5]).await.unwrap();
    customers::restore(&w.state, &w.admin, everyone[5]).await.unwrap();
    assert_value_matches(&w, &w.admin, None).await;
    assert_value_matches(&w, &w.east_member, east_owners.clone()).await;
    let west_owners = Some(vec![w.west_member.id().0]);
    assert_value_matches(&w, &w.west_member, west_owners).await;
    let mut conn = w.db.pool.acquire().await.unwrap();
    app::tiers::service::grade_everyone(&mut conn).await.unwrap();
    drop(conn);
    assert_value_matches(&w, &w.admin, None).await;
    let summed: i64 = sqlx::query_scalar("select count(*) from rfm_cell where customers <> 0")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    sqlx::query("select rfm_cell_rebuild()").execute(&w.db.pool).await.unwrap();
    let rebuilt: i64 = sqlx::query_scalar("select count(*) from rfm_cell where customers <> 0")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(summed, rebuilt);
    assert_value_matches(&w, &w.admin, None).await;

    // Each cell opens exactly its customers, in the caller's scope.
    let report = value::value_report(&w.db.pool, &w.admin, &ValueQuery::default()).await.unwrap();
    for cell in &report.cells {
        let filter = ValueFilter { r: Some(cell.r), f: Some(cell.f), ..Default::default() };
        let page = value::value_customers(&w.db.pool, &w.admin, &filter, None, 50).await.unwrap();
        assert_eq!(page.items.len() as i64, cell.customers, "cell R{} F{}", cell.r, cell.f);
        assert!(page.items.iter().all(|c| c.r == cell.r && c.f == cell.f));
    }
    // Two to a page: the pages together hold every graded customer once.
    let mut seen = vec![];
    let mut after = None;
    loop {
        let page = value::value_customers(&w.db.pool, &w.admin, &ValueFilter::default(), after, 2)
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|c| c.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, report.customers);
    // A tier's figure opens its customers.
    let overridden = ValueQuery { narrowing: Narrowing { tier: Some(low), ..Default::default() } };
    let in_low = value::value_report(&w.db.pool, &w.admin, &overridden).await.unwrap();
    let listed = value::value_customers(
        &w.db.pool,
        &w.admin,
        &ValueFilter { query: overridden, ..Default::default() },
        None,
        50,
    )
    .await
    .unwrap();
    assert_eq!(listed.items.len() as i64, in_low.customers);
    assert!(listed.items.iter().any(|c| c.id == everyone[3].0), "the override counts");
    // The ended override shows the computed tier.
    let computed: Option<i64> =
        sqlx::query_scalar("select computed_tier_id from customer_score where customer_id = $1")
            .bind(everyone[4].0)
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    let all = value::value_customers(&w.db.pool, &w.admin, &ValueFilter::default(), None, 50)
        .await
        .unwrap();
    let ended = all.items.iter().find(|c| c.id == everyone[4].0).unwrap();
    assert_eq!(ended.tier.as_ref().map(|t| t.id), computed);

    // The top spenders: lifetime spend, most first, as the customers hold it.
    let top: Vec<(i64, i64)> = sqlx::query_as(
        "select id, total_spend_minor from customer
         where deleted_at is null and total_spend_minor > 0
         order by total_spend_minor desc, id desc limit 20",
    )
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    let listed: Vec<(i64, i64)> = report.top.iter().map(|c| (c.id, c.total_spend_minor)).collect();
    assert_eq!(listed, top);

    // A member sees their own customers, whatever the narrowing asks.
    let widened = ValueQuery {
        narrowing: Narrowing { owner: Some(w.west_member.id().0), ..Default::default() },
    };
    let refused = value::value_report(&w.db.pool, &w.east_member, &widened).await.unwrap();
    assert_eq!((refused.customers, refused.top.len()), (0, 0));
    let asked = ValueFilter { query: widened, ..Default::default() };
    let none = value::value_customers(&w.db.pool, &w.east_member, &asked, None, 50).await.unwrap();
    assert!(none.items.is_empty());
    // Narrowed to a region ("" for none), the grid counts that region's customers only.
    let no_region =
        ValueQuery { narrowing: Narrowing { region: Some(String::new()), ..Default::default() } };
    let regionless = value::value_report(&w.db.pool, &w.admin, &no_region).await.unwrap();
    let expected: i64 = sqlx::query_scalar(
        "select count(*) from customer_score s join customer c on c.id = s.customer_id
         where c.deleted_at is null and coalesce(c.region, '') = ''",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(regionless.customers, expected);
    assert!(expected >= 1);
}

/// Customers churned on company days `from..=to` whose tier in force now is `tier` (`None`: in
/// none), straight from the table: the override rule spelled out here, not the app's function.
async fn direct_churned_in_tier(
    w: &World,
    (from, to): (NaiveDate, NaiveDate),
    owners: Option<Vec<i64>>,
    tier: Option<i64>,
) -> Vec<i64> {
    sqlx::query_scalar(
        "select c.id from customer c left join customer_score s on s.customer_id = c.id
         where c.deleted_at is null and c.customer_type = 'former'
           and (c.churned_at at time zone company_time_zone())::date between $1 and $2
           and ($3::bigint[] is null or c.owner_id = any($3))
           and (case when s.override_tier_id is not null
                      and (s.override_until is null
                           or s.override_until >= (now() at time zone company_time_zone())::date)
                     then s.override_tier_id else s.computed_tier_id end) is not distinct from $4
         order by c.id",
    )
    .bind(from)
    .bind(to)
    .bind(owners)
    .bind(tier)
    .fetch_all(&w.db.pool)
    .await
    .unwrap()
}

/// The ids of the churned customers `query` lists for `caller` (one page), in id order.
async fn churned_ids(w: &World, caller: &Authenticated, query: RangeQuery) -> Vec<i64> {
    let filter = ChurnFilter { query, ..Default::default() };
    let page = churn::churned_customers(&w.db.pool, caller, &filter, None, 50).await.unwrap();
    let mut ids: Vec<i64> = page.items.iter().map(|c| c.id).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_tier_narrows_churn_and_win_loss_to_the_customers_in_it_now() {
    let w = World::new().await;
    let pool = &w.db.pool;
    let (from, to) = (w.day, w.day + Duration::days(2));
    let today = company_today(pool).await;
    let (em, wm) = (&w.east_member, &w.west_member);
    let tiers: Vec<i64> =
        sqlx::query_scalar("select id from tier order by position").fetch_all(pool).await.unwrap();
    let (high, low) = (tiers[0], tiers[2]);
    let kept_high = w.customer(em, "杭州茶社", "华东").await;
    let kept_low = w.customer(em, "宁波茶庄", "华东").await;
    let ungraded = w.customer(em, "苏州茶楼", "华东").await;
    let lapsed = w.customer(em, "无锡茶行", "华东").await;
    let western_high = w.customer(wm, "广州茶行", "华南").await;
    let overrides = [
        (kept_high, high, None),
        (kept_low, low, Some(today)),
        // Ended yesterday: in no tier again (it was never graded).
        (lapsed, high, Some(today - Duration::days(1))),
        (western_high, high, None),
    ];
    for (customer, tier, until) in overrides {
        app::tiers::service::set_override(
            &w.state,
            &w.admin,
            customer,
            Some(app::tiers::model::TierId(tier)),
            "重点维护",
            until,
        )
        .await
        .unwrap();
    }
    for (customer, owner) in
        [(kept_high, em), (kept_low, em), (ungraded, em), (lapsed, em), (western_high, wm)]
    {
        churned(&w, customer, "价格太高", from, "10:00").await;
        closed_deal(&w, customer, owner, "lost", from, "11:00", 100, 3, None).await;
    }

    let range = RangeQuery { from: Some(from), to: Some(to), ..Default::default() };
    let in_tier = |tier: i64| RangeQuery {
        narrowing: Narrowing { tier: Some(tier), ..Default::default() },
        ..range.clone()
    };
    for (tier, expected) in [
        (high, vec![kept_high.0, western_high.0]),
        (low, vec![kept_low.0]),
        (0, vec![ungraded.0, lapsed.0]),
    ] {
        let report = churn::churn_report(pool, &w.admin, &in_tier(tier)).await.unwrap();
        let direct = direct_churned_in_tier(&w, (from, to), None, (tier != 0).then_some(tier));
        assert_eq!(direct.await, expected, "tier {tier}");
        assert_eq!(report.customers, expected.len() as i64, "tier {tier}");
        assert_eq!(churned_ids(&w, &w.admin, in_tier(tier)).await, expected, "tier {tier}");

        // Win/loss reads the same query (deals of customers in the tier).
        let lost = deals::deal_report(pool, &w.admin, &in_tier(tier)).await.unwrap().total.lost;
        assert_eq!(lost.count, expected.len() as i64, "deals in tier {tier}");
    }

    // A tier only narrows: a member asking for the top tier sees their own customers in it.
    let own = churn::churn_report(pool, em, &in_tier(high)).await.unwrap();
    let mine = direct_churned_in_tier(&w, (from, to), Some(vec![em.id().0]), Some(high)).await;
    assert_eq!(mine, vec![kept_high.0]);
    assert_eq!(own.customers, 1);
    assert_eq!(churned_ids(&w, em, in_tier(high)).await, vec![kept_high.0]);
    let theirs = RangeQuery {
        narrowing: Narrowing { owner: Some(wm.id().0), tier: Some(high), ..Default::default() },
        ..range.clone()
    };
    assert_eq!(churn::churn_report(pool, em, &theirs).await.unwrap().customers, 0);

    // The tier travels in the address and back.
    let pairs = in_tier(high).query_pairs();
    assert!(pairs.contains(&("tier", high.to_string())));
    let read =
        RangeQuery::from_query(|key| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()));
    assert_eq!(read, in_tier(high));
}

#[tokio::test]
async fn win_loss_churn_and_the_funnel_beside_the_compared_range_equal_it_counted_directly() {
    let w = World::new().await;
    let pool = &w.db.pool;
    let (em, wm) = (&w.east_member, &w.west_member);
    let range = (w.day, w.day + Duration::days(2));
    let before = (w.day - Duration::days(3), w.day - Duration::days(1));
    // In the range, in the compared range (its first minute), and a minute before it.
    let placements = [
        (range.0, "10:00"),
        (range.1, "23:59"),
        (before.0, "00:00"),
        (before.1, "12:00"),
        (before.1, "23:59"),
        (before.0 - Duration::days(1), "23:59"),
    ];
    for (n, (day, clock)) in placements.iter().enumerate() {
        let owner = if n % 2 == 0 { em } else { wm };
        let customer = w.customer(owner, &format!("茶行{n}"), "华东").await;
        let kind = if n % 3 == 0 { "won" } else { "lost" };
        let yuan = 100 * (n as i64 + 1);
        closed_deal(&w, customer, owner, kind, *day, clock, yuan, 5, Some("价格太高")).await;
        churned(&w, customer, "价格太高", *day, clock).await;
        lead(&w, owner, "web_form", "华东", *day, clock, Some(2), "contacted").await;
    }

    let asked = |comparison| RangeQuery {
        from: Some(range.0),
        to: Some(range.1),
        comparison,
        ..Default::default()
    };
    let unasked = deals::deal_report(pool, &w.admin, &asked(Comparison::None)).await.unwrap();
    assert_eq!(unasked.compared, None);
    for comparison in [Comparison::PreviousPeriod, Comparison::PreviousYear] {
        let days = app::reports::model::compared_range(comparison, range.0, range.1).unwrap();
        if comparison == Comparison::PreviousPeriod {
            assert_eq!(days, before);
        }
        for (caller, owners) in [(&w.admin, None), (em, Some(vec![em.id().0]))] {
            let label = format!("{comparison:?} for {owners:?}");
            let query = asked(comparison);
            let won_lost = deals::deal_report(pool, caller, &query).await.unwrap();
            let compared = won_lost.compared.expect("won against lost compared");
            assert_eq!((compared.from, compared.to), days, "{label}");
            let direct = direct_deals(&w, days.0, days.1, owners.clone()).await;
            assert_eq!(as_map(&compared.figures), direct, "deals: {label}");
            // The report's own figures stay the range's.
            let current = direct_deals(&w, range.0, range.1, owners.clone()).await;
            assert_eq!(as_map(&won_lost.total), current, "deals: {label}");

            let churn = churn::churn_report(pool, caller, &query).await.unwrap();
            let compared = churn.compared.expect("churn compared");
            let direct = direct_churn(&w, days.0, days.1, owners.clone()).await;
            assert_eq!(
                (compared.figures.customers, compared.figures.spent_minor),
                direct,
                "churn: {label}"
            );

            let funnel_query =
                FunnelQuery { from: query.from, to: query.to, comparison, ..Default::default() };
            let funnel = funnel::funnel_report(pool, caller, &funnel_query).await.unwrap();
            let compared = funnel.compared.expect("funnel compared").figures;
            let direct = direct_funnel(&w, days.0, days.1, owners.clone()).await;
            assert_eq!(
                (compared.created, compared.contacted, compared.converted, compared.won),
                direct,
                "funnel: {label}"
            );
        }
    }
    // By hand: before the range, three deals (lost at its first minute, won, lost at its last
    // minute; the one a minute earlier is out), and the member's two of them.
    let query = asked(Comparison::PreviousPeriod);
    let all = deals::deal_report(pool, &w.admin, &query).await.unwrap().compared.unwrap();
    assert_eq!((all.figures.won.count, all.figures.lost.count), (1, 2));
    let own = deals::deal_report(pool, em, &query).await.unwrap().compared.unwrap();
    assert_eq!((own.figures.won.count, own.figures.lost.count), (0, 2));

    // The comparison travels in the address and back.
    let pairs = query.query_pairs();
    assert!(pairs.contains(&("compare", "previous_period".to_owned())));
    let read =
        RangeQuery::from_query(|key| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()));
    assert_eq!(read, query);
}

/// Placed orders on company days `from..=to` of live customers whose tier in force now is `tier`
/// (`None`: in none), owners in `owners` (all when `None`), by owner: straight from the orders
/// and scores, the override rule spelled out here rather than the app's function.
async fn direct_sales_in_tier(
    w: &World,
    (from, to): (NaiveDate, NaiveDate),
    owners: Option<Vec<i64>>,
    tier: Option<i64>,
) -> BTreeMap<Option<i64>, (i64, i64)> {
    let rows: Vec<(Option<i64>, i64, i64)> = sqlx::query_as(
        "select c.owner_id, count(*), sum(o.total_minor - o.refunded_minor)::bigint
         from sales_order o join customer c on c.id = o.customer_id
         left join customer_score s on s.customer_id = c.id
         where o.status = 'placed' and c.deleted_at is null
           and (o.ordered_at at time zone company_time_zone())::date between $1 and $2
           and ($3::bigint[] is null or c.owner_id = any($3))
           and (case when s.override_tier_id is not null
                      and (s.override_until is null
                           or s.override_until >= (now() at time zone company_time_zone())::date)
                     then s.override_tier_id else s.computed_tier_id end) is not distinct from $4
         group by 1",
    )
    .bind(from)
    .bind(to)
    .bind(owners)
    .bind(tier)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    rows.into_iter().map(|(owner, orders, revenue)| (owner, (orders, revenue))).collect()
}

/// The sales report by rep narrowed to each tier (and to none) equals the orders counted
/// directly, for the admin and for a member; and the tiers together hold the whole report.
async fn assert_sales_by_tier(w: &World, range: (NaiveDate, NaiveDate), label: &str) {
    let tiers: Vec<i64> = sqlx::query_scalar("select id from tier order by position")
        .fetch_all(&w.db.pool)
        .await
        .unwrap();
    let everything = w
        .report(&w.admin, SalesQuery { filter: w.range(range.0, range.1), ..Default::default() })
        .await
        .total;
    let mut summed = SalesFigures::default();
    let east = Some(vec![w.east_member.id().0]);
    for tier in tiers.iter().copied().chain([0]) {
        let asked = (tier != 0).then_some(tier);
        for (caller, owners) in [(&w.admin, None), (&w.east_member, east.clone())] {
            let query = SalesQuery {
                filter: SalesFilter { tier: Some(tier), ..w.range(range.0, range.1) },
                grouping: Grouping::Owner,
                ..Default::default()
            };
            let report = w.report(caller, query).await;
            let by_owner: BTreeMap<Option<i64>, (i64, i64)> = report
                .bars
                .iter()
                .map(|bar| match &bar.key {
                    BarKey::Owner(id, _) => (*id, (bar.figures.orders, bar.figures.revenue_minor)),
                    other => panic!("a bar by rep, not {other:?}"),
                })
                .collect();
            let direct = direct_sales_in_tier(w, range, owners.clone(), asked).await;
            assert_eq!(by_owner, direct, "{label}: tier {tier}, owners {owners:?}");
            if owners.is_none() {
                summed.orders += report.total.orders;
                summed.revenue_minor += report.total.revenue_minor;
            }
        }
    }
    assert_eq!(summed, everything, "{label}: the tiers together hold every order");

    // Cohorts narrowed to each tier: customers per cohort and month counted from the orders.
    let this_month = month_start(company_today(&w.db.pool).await);
    let cohorts = CohortQuery {
        from: Some(month_start(range.0) - chrono::Months::new(1)),
        to: Some(this_month),
        ..Default::default()
    };
    for tier in tiers.iter().copied().chain([0]) {
        for (caller, owners) in [(&w.admin, None), (&w.east_member, east.clone())] {
            let query = CohortQuery {
                narrowing: Narrowing { tier: Some(tier), ..Default::default() },
                ..cohorts.clone()
            };
            let report = cohorts::cohort_report(&w.db.pool, caller, &query).await.unwrap();
            let direct = direct_cohorts_in_tier(w, owners.clone(), (tier != 0).then_some(tier));
            assert_eq!(cells(&report), direct.await, "{label}: cohorts of tier {tier}, {owners:?}");
        }
    }
}

/// Live customers per (cohort, month) straight from the orders, of customers whose tier in force
/// now is `tier` (`None`: in none), owners in `owners` (all when `None`).
async fn direct_cohorts_in_tier(
    w: &World,
    owners: Option<Vec<i64>>,
    tier: Option<i64>,
) -> BTreeMap<(NaiveDate, NaiveDate), i64> {
    let rows: Vec<(NaiveDate, NaiveDate, i64)> = sqlx::query_as(
        "with months as (
             select distinct o.customer_id,
                    date_trunc('month', o.ordered_at at time zone company_time_zone())::date as month
             from sales_order o where o.status = 'placed'),
         cohorts as (
             select customer_id, month, min(month) over (partition by customer_id) as cohort
             from months)
         select m.cohort, m.month, count(*)
         from cohorts m join customer c on c.id = m.customer_id
         left join customer_score s on s.customer_id = c.id
         where c.deleted_at is null
           and ($1::bigint[] is null or c.owner_id = any($1))
           and (case when s.override_tier_id is not null
                      and (s.override_until is null
                           or s.override_until >= (now() at time zone company_time_zone())::date)
                     then s.override_tier_id else s.computed_tier_id end) is not distinct from $2
         group by 1, 2",
    )
    .bind(owners)
    .bind(tier)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    rows.into_iter().map(|(cohort, month, n)| ((cohort, month), n)).collect()
}

#[tokio::test]
async fn sales_and_cohorts_narrowed_to_a_tier_equal_their_customers_orders_after_every_write() {
    let w = World::new().await;
    let pool = &w.db.pool;
    let today = company_today(pool).await;
    let (em, wm) = (&w.east_member, &w.west_member);
    let tiers: Vec<i64> =
        sqlx::query_scalar("select id from tier order by position").fetch_all(pool).await.unwrap();
    let (high, low) = (tiers[0], tiers[2]);
    let kept_high = w.customer(em, "杭州茶社", "华东").await;
    let ending_today = w.customer(em, "宁波茶庄", "华东").await;
    let ungraded = w.customer(em, "苏州茶楼", "华东").await;
    let lapsed = w.customer(em, "无锡茶行", "华东").await;
    let western_high = w.customer(wm, "广州茶行", "华南").await;
    let set_override = |customer: CustomerId, tier: Option<i64>, until: Option<NaiveDate>| {
        let w = &w;
        async move {
            app::tiers::service::set_override(
                &w.state,
                &w.admin,
                customer,
                tier.map(app::tiers::model::TierId),
                "重点维护",
                until,
            )
            .await
            .unwrap();
        }
    };
    // The last day an override names is in force through its end: until today counts today.
    set_override(kept_high, Some(high), None).await;
    set_override(ending_today, Some(low), Some(today)).await;
    set_override(lapsed, Some(high), Some(today - Duration::days(1))).await;
    set_override(western_high, Some(high), None).await;
    let range = (w.day - Duration::days(1), w.day + Duration::days(1));
    // A minute either side of the range's first midnight: the first counts, the second not.
    w.order(kept_high, range.0, "00:00", 700, Channel::Store).await;
    w.order(kept_high, range.0 - Duration::days(1), "23:59", 9_999, Channel::Store).await;
    let mut placed = vec![];
    for (n, customer) in
        [kept_high, ending_today, ungraded, lapsed, western_high].iter().enumerate()
    {
        placed
            .push(w.order(*customer, w.day, "10:00", 100 * (n as i64 + 1), Channel::Online).await);
        w.order(*customer, range.1, "23:59", 10 * (n as i64 + 1), Channel::Phone).await;
    }
    assert_sales_by_tier(&w, range, "placed").await;
    let high_only = SalesFilter { tier: Some(high), ..w.range(range.0, range.1) };
    let report = w.report(&w.admin, SalesQuery { filter: high_only.clone(), ..Default::default() });
    // kept_high's three orders and western_high's two, by hand.
    assert_eq!(
        report.await.total,
        SalesFigures { orders: 5, revenue_minor: (700 + 100 + 10 + 500 + 50) * 100, units: 0 }
    );

    // A cancellation and a refund.
    let version = |id| order_version(&w, id);
    orders::cancel_order(&w.state, &w.admin, placed[0], version(placed[0]).await, "客户取消")
        .await
        .unwrap();
    orders::refund_order(&w.state, &w.admin, placed[4], version(placed[4]).await, "20", "破损")
        .await
        .unwrap();
    assert_sales_by_tier(&w, range, "cancelled and refunded").await;

    // Overrides given, changed and lifted move a customer's whole history between tiers.
    set_override(ungraded, Some(low), None).await;
    set_override(ending_today, Some(high), None).await;
    set_override(kept_high, None, None).await;
    assert_sales_by_tier(&w, range, "overrides").await;

    // The recompute grades every customer with orders; a score removed is in no tier again.
    let mut conn = pool.acquire().await.unwrap();
    app::tiers::service::grade_everyone(&mut conn).await.unwrap();
    drop(conn);
    assert_sales_by_tier(&w, range, "recomputed").await;
    sqlx::query("delete from customer_score where customer_id = $1")
        .bind(western_high.0)
        .execute(pool)
        .await
        .unwrap();
    assert_sales_by_tier(&w, range, "score removed").await;

    // Reassigned, binned and restored, many orders in one statement and their deletion.
    sqlx::query("update customer set owner_id = $1 where id = $2")
        .bind(wm.id().0)
        .bind(ending_today.0)
        .execute(pool)
        .await
        .unwrap();
    customers::delete(&w.state, &w.admin, lapsed).await.unwrap();
    assert_sales_by_tier(&w, range, "reassigned and binned").await;
    customers::restore(&w.state, &w.admin, lapsed).await.unwrap();
    sqlx::query(
        "insert into sales_order (customer_id, order_no, ordered_at, channel, total_minor)
         select c, 'BULK-' || c || '-' || g, $2, 'online', 500
         from unnest($1::bigint[]) c, generate_series(1, 30) g",
    )
    .bind(vec![ungraded.0, ending_today.0, lapsed.0])
    .bind(company_instant(w.day, "09:00"))
    .execute(pool)
    .await
    .unwrap();
    assert_sales_by_tier(&w, range, "restored, bulk insert").await;
    sqlx::query("delete from sales_order where order_no like 'BULK-%'")
        .execute(pool)
        .await
        .unwrap();
    assert_sales_by_tier(&w, range, "bulk delete").await;

    // Another zone starts its days at other hours: counted again.
    sqlx::query("update company_settings set time_zone = 'America/New_York'")
        .execute(pool)
        .await
        .unwrap();
    assert_sales_by_tier(&w, range, "New York").await;
    sqlx::query("update company_settings set time_zone = 'Asia/Shanghai'")
        .execute(pool)
        .await
        .unwrap();

    // The orders behind a tier's figure are exactly its customers' in the range.
    let total = w
        .report(&w.admin, SalesQuery { filter: high_only.clone(), ..Default::default() })
        .await
        .total;
    let listed = reports::report_orders(pool, &w.admin, &high_only, None, 100).await.unwrap();
    assert_eq!(listed.items.len() as i64, total.orders);
    let listed_sum: i64 = listed.items.iter().map(|o| o.net_minor).sum();
    assert_eq!(listed_sum, total.revenue_minor);

    // A member's tier only narrows their own customers: another rep's stays at nothing.
    let theirs = SalesFilter { owner: Some(wm.id().0), ..high_only.clone() };
    let refused = w.report(em, SalesQuery { filter: theirs, ..Default::default() }).await;
    assert_eq!(refused.total, SalesFigures::default());

    // Products keep no tier: the report says so at the tier's field rather than ignore it.
    let by_product =
        SalesQuery { filter: high_only.clone(), grouping: Grouping::Product, ..Default::default() };
    match reports::sales_report(pool, &w.admin, &by_product).await {
        Err(AppError::Validation(errors)) => {
            assert_eq!(errors.0.get("tier"), Some(&vec![FieldError::TierWithProducts]))
        }
        other => panic!("products narrowed to a tier: {other:?}"),
    }

    // A cohort cell narrowed to a tier opens exactly the customers it counts.
    let cohort_query = CohortQuery {
        from: Some(month_start(range.0)),
        to: Some(month_start(range.0)),
        narrowing: Narrowing { tier: Some(high), ..Default::default() },
    };
    let cell = CohortCell::of(&cohort_query, month_start(range.0), 0);
    let size = cohorts::cell_size(pool, &w.admin, &cell).await.unwrap();
    let listed = cohorts::cell_customers(pool, &w.admin, &cell, None, 50).await.unwrap();
    assert_eq!(listed.items.len() as i64, size);
    assert!(size >= 1);

    // Summed over the tiers, the summary is the daily one; so are the cohorts.
    let differing: i64 = sqlx::query_scalar(
        "select count(*) from (
             select day, owner_id, region, channel, sum(orders) as orders,
                    sum(revenue_minor) as revenue
             from sales_tier_day group by 1, 2, 3, 4 having sum(orders) <> 0
             ) t
         full join (select * from sales_day where orders <> 0) d
           using (day, owner_id, region, channel)
         where t.orders is distinct from d.orders or t.revenue is distinct from d.revenue_minor",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(differing, 0);
    let differing: i64 = sqlx::query_scalar(
        "select count(*) from (
             select cohort, month, owner_id, region, sum(customers) as customers
             from cohort_tier_month group by 1, 2, 3, 4 having sum(customers) <> 0) t
         full join (select * from cohort_month where customers <> 0) d
           using (cohort, month, owner_id, region)
         where t.customers is distinct from d.customers",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(differing, 0);
}

/// Each month's figures straight from the orders and marks, day by day, owners in `owners`
/// (all when `None`): new, active, silent and former at the month's end (today for this month),
/// and the customers whose status on a day of the month differed from the day before, by the
/// status they turned to. The rule spelled out again as an independent oracle: former from the
/// day marked; otherwise active when the last placed order on or before the day is at most the
/// window's days before it, silent when older.
async fn direct_statuses(
    w: &World,
    months: &[NaiveDate],
    owners: Option<Vec<i64>>,
) -> Vec<[i64; 7]> {
    let pool = &w.db.pool;
    let today = company_today(pool).await;
    let mut figures = vec![];
    for &month in months {
        let end = (months_after(month, 1) - Duration::days(1)).min(today);
        let row: (i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
            "with days as (
                 select d::date as day from generate_series($1::date - 1, $2::date, interval '1 day') d),
             statuses as (
                 select c.id, days.day,
                        case when c.customer_type = 'former' and c.churned_at is not null
                                  and (c.churned_at at time zone company_time_zone())::date <= days.day
                                 then 'former'
                             when last.day is null then null
                             when last.day >= days.day - (select active_window_days from customer_settings)
                                 then 'active'
                             else 'silent' end as status
                 from customer c cross join days
                 cross join lateral (
                     select max((o.ordered_at at time zone company_time_zone())::date) as day
                     from sales_order o
                     where o.customer_id = c.id and o.status = 'placed'
                       and (o.ordered_at at time zone company_time_zone())::date <= days.day) last
                 where c.deleted_at is null and ($3::bigint[] is null or c.owner_id = any($3))),
             turns as (
                 select id, day, status,
                        lag(status) over (partition by id order by day) as before
                 from statuses)
             select
                 (select count(*) from customer c
                  where c.deleted_at is null and ($3::bigint[] is null or c.owner_id = any($3))
                    and (select min((o.ordered_at at time zone company_time_zone())::date)
                         from sales_order o where o.customer_id = c.id and o.status = 'placed')
                        between $1 and $2),
                 count(*) filter (where day = $2 and status = 'active'),
                 count(*) filter (where day = $2 and status = 'silent'),
                 count(*) filter (where day = $2 and status = 'former'),
                 count(*) filter (where day >= $1 and status = 'active' and before is distinct from status),
                 count(*) filter (where day >= $1 and status = 'silent' and before is distinct from status),
                 count(*) filter (where day >= $1 and status = 'former' and before is distinct from status)
             from turns",
        )
        .bind(month)
        .bind(end)
        .bind(owners.clone())
        .fetch_one(pool)
        .await
        .unwrap();
        figures.push([row.0, row.1, row.2, row.3, row.4, row.5, row.6]);
    }
    figures
}

fn status_figures(report: &app::reports::statuses::model::StatusReport) -> Vec<[i64; 7]> {
    report
        .months
        .iter()
        .map(|m| {
            [m.new, m.active, m.silent, m.former, m.turned_active, m.turned_silent, m.turned_former]
        })
        .collect()
}

/// The report for `caller` equals the oracle for `owners`, month by month.
async fn assert_statuses(
    w: &World,
    caller: &Authenticated,
    query: &RangeQuery,
    owners: Option<Vec<i64>>,
    label: &str,
) -> app::reports::statuses::model::StatusReport {
    let report = statuses::status_report(&w.db.pool, caller, query).await.unwrap();
    let months: Vec<NaiveDate> = report.months.iter().map(|m| m.month).collect();
    assert_eq!(status_figures(&report), direct_statuses(w, &months, owners).await, "{label}");
    report
}

#[tokio::test]
async fn customers_over_time_equal_the_orders_counted_day_by_day_after_every_write() {
    use app::reports::statuses::model::{StatusFigure, StatusFilter, TimelineStatus};
    let w = World::new().await;
    let pool = &w.db.pool;
    sqlx::query("update customer_settings set active_window_days = 45")
        .execute(pool)
        .await
        .unwrap();
    let today = company_today(pool).await;
    let this_month = month_start(today);
    let last_day_before = this_month - Duration::days(1);
    let (em, wm) = (&w.east_member, &w.west_member);
    // Bought twice close together, went silent, came back ten days ago.
    let returning = w.customer(em, "杭州茶社", "华东").await;
    w.order(returning, today - Duration::days(100), "10:00", 100, Channel::Store).await;
    w.order(returning, today - Duration::days(95), "10:00", 100, Channel::Store).await;
    let back = w.order(returning, today - Duration::days(10), "10:00", 100, Channel::Store).await;
    let silent = w.customer(em, "宁波茶庄", "华东").await;
    w.order(silent, today - Duration::days(200), "10:00", 100, Channel::Store).await;
    let leaving = w.customer(em, "苏州茶楼", "华东").await;
    w.order(leaving, today - Duration::days(40), "10:00", 100, Channel::Store).await;
    churned(&w, leaving, "价格太高", today - Duration::days(5), "12:00").await;
    // A minute before the midnight that began this month and that midnight itself, in the
    // company's zone (a minute after it is still to come when the test runs at midnight).
    let late = w.customer(em, "无锡茶行", "华东").await;
    w.order(late, last_day_before, "23:59", 100, Channel::Store).await;
    let early = w.customer(wm, "广州茶行", "华南").await;
    w.order(early, this_month, "00:00", 100, Channel::Store).await;
    w.customer(wm, "深圳茶铺", "华南").await;
    // The window's last day, a minute before its midnight, and the first day after it.
    let edge_active = w.customer(wm, "佛山茶庄", "华南").await;
    w.order(edge_active, today - Duration::days(45), "23:59", 100, Channel::Store).await;
    let edge_silent = w.customer(wm, "东莞茶行", "华南").await;
    w.order(edge_silent, today - Duration::days(46), "00:01", 100, Channel::Store).await;

    let query = RangeQuery { from: Some(today - Duration::days(240)), ..Default::default() };
    let report = assert_statuses(&w, &w.admin, &query, None, "placed").await;
    let now = report.months.last().unwrap();
    assert!(now.to_date && now.month == this_month);
    // By hand: today, five bought in the last 45 days (one of them marked former since), two
    // before.
    assert_eq!((now.active, now.silent, now.former), (4, 2, 1));
    // The order a minute after midnight is this month's one new customer.
    assert_eq!(now.new, 1);
    let previous = &report.months[report.months.len() - 2];
    assert_eq!(previous.month, month_start(last_day_before));
    assert!(previous.new >= 1, "the order a minute before midnight: {previous:?}");

    // A member counts their own customers; naming another rep gives nothing.
    assert_statuses(&w, em, &query, Some(vec![em.id().0]), "member").await;
    let theirs = RangeQuery {
        narrowing: Narrowing { owner: Some(wm.id().0), ..Default::default() },
        ..query.clone()
    };
    let widened = statuses::status_report(pool, em, &theirs).await.unwrap();
    assert!(status_figures(&widened).iter().all(|m| m.iter().all(|&n| n == 0)), "{widened:?}");
    let south = RangeQuery {
        narrowing: Narrowing { region: Some("华南".into()), ..Default::default() },
        ..query.clone()
    };
    let southern = statuses::status_report(pool, &w.admin, &south).await.unwrap();
    assert_eq!(southern.months.last().unwrap().active, 2);

    // The customers behind every figure are as many as it counts, a page at a time.
    let figures = [StatusFigure::New]
        .into_iter()
        .chain(
            [TimelineStatus::Active, TimelineStatus::Silent, TimelineStatus::Former]
                .into_iter()
                .flat_map(|s| [StatusFigure::In(s), StatusFigure::Turned(s)]),
        )
        .collect::<Vec<_>>();
    for month in &report.months {
        for figure in &figures {
            let filter =
                StatusFilter { query: query.clone(), month: Some(month.month), figure: *figure };
            let mut listed = 0;
            let mut after = None;
            loop {
                let page =
                    statuses::status_customers(pool, &w.admin, &filter, after, 1).await.unwrap();
                listed += page.items.len() as i64;
                after = page.next;
                if after.is_none() {
                    break;
                }
            }
            let counted = match figure {
                StatusFigure::New => month.new,
                StatusFigure::In(status) => month.in_status(*status),
                StatusFigure::Turned(status) => month.turned(*status),
            };
            assert_eq!(listed, counted, "{} {figure:?}", month.month);
        }
    }
    let hidden = StatusFilter {
        query: theirs,
        month: Some(this_month),
        figure: StatusFigure::In(TimelineStatus::Active),
    };
    assert!(
        statuses::status_customers(pool, em, &hidden, None, 50).await.unwrap().items.is_empty()
    );

    // Every write that changes a timeline: a cancelled order, a reassignment, the recycle bin,
    // a win-back by a new order, many orders in one statement, another window, another zone.
    orders::cancel_order(&w.state, &w.admin, back, order_version(&w, back).await, "客户取消")
        .await
        .unwrap();
    assert_statuses(&w, &w.admin, &query, None, "cancelled").await;
    sqlx::query("update customer set owner_id = $1, region = '华南' where id = $2")
        .bind(wm.id().0)
        .bind(silent.0)
        .execute(pool)
        .await
        .unwrap();
    assert_statuses(&w, &w.admin, &query, None, "reassigned").await;
    assert_statuses(&w, em, &query, Some(vec![em.id().0]), "reassigned, east").await;
    assert_statuses(&w, wm, &query, Some(vec![wm.id().0]), "reassigned, west").await;
    sqlx::query("update customer set deleted_at = now() where id = $1")
        .bind(late.0)
        .execute(pool)
        .await
        .unwrap();
    assert_statuses(&w, &w.admin, &query, None, "deleted").await;
    sqlx::query("update customer set deleted_at = null where id = $1")
        .bind(late.0)
        .execute(pool)
        .await
        .unwrap();
    assert_statuses(&w, &w.admin, &query, None, "restored").await;
    w.order(leaving, today - Duration::days(1), "09:00", 100, Channel::Store).await;
    let won_back = assert_statuses(&w, &w.admin, &query, None, "won back").await;
    assert_eq!(won_back.months.last().unwrap().former, 0);
    sqlx::query(
        "insert into sales_order (customer_id, order_no, ordered_at, channel, total_minor)
         select case when g % 2 = 0 then $1 else $2 end, 'BULK-' || g,
                $3::timestamptz - g * interval '3 days', 'online', 100
         from generate_series(1, 60) g",
    )
    .bind(silent.0)
    .bind(early.0)
    .bind(company_instant(today, "08:00"))
    .execute(pool)
    .await
    .unwrap();
    assert_statuses(&w, &w.admin, &query, None, "bulk insert").await;
    sqlx::query("delete from sales_order where order_no like 'BULK-%'")
        .execute(pool)
        .await
        .unwrap();
    assert_statuses(&w, &w.admin, &query, None, "bulk delete").await;
    sqlx::query("update customer_settings set active_window_days = 20")
        .execute(pool)
        .await
        .unwrap();
    assert_statuses(&w, &w.admin, &query, None, "window").await;
    sqlx::query("update company_settings set time_zone = 'America/New_York'")
        .execute(pool)
        .await
        .unwrap();
    assert_statuses(&w, &w.admin, &query, None, "New York").await;
}
