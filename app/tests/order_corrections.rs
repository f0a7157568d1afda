//! Correcting, cancelling and refunding orders: the customer's aggregates, type, stage, scores,
//! tier and points follow in the same transaction, with the reason on the timeline, an audit
//! entry, and a concurrent change refused naming who made it.

use app::{
    auth::{model::Role, server::Authenticated},
    customers::{
        model::{CustomerId, CustomerInput},
        service,
    },
    error::{AppError, FieldError},
    loyalty::service as loyalty,
    orders::{
        model::{Order, OrderId, OrderInput, OrderLineInput, OrderStatus, ProductId},
        repo as orders_repo, service as orders,
    },
    state::AppState,
    testing::TestDatabase,
};
use chrono::{Duration, Utc};

struct World {
    db: TestDatabase,
    state: AppState,
    admin: Authenticated,
    product: ProductId,
}

impl World {
    async fn new() -> Self {
        let db = TestDatabase::new().await;
        let state = db.state();
        let admin = db
            .caller(db.user("王磊", Role::Admin, None, "a long enough password").await)
            .await
            .unwrap();
        let product: i64 = sqlx::query_scalar(
            "insert into product (sku, name, unit_price_minor) values ('TEA', '龙井', 10000) returning id",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        World { db, state, admin, product: ProductId(product) }
    }

    async fn customer(&self, caller: &Authenticated, name: &str) -> CustomerId {
        service::create(
            &self.state,
            caller,
            CustomerInput { name: name.into(), ..Default::default() },
            vec![],
        )
        .await
        .unwrap()
    }

    fn input(&self, customer: CustomerId, days_ago: i64, yuan: i64) -> OrderInput {
        OrderInput {
            customer_id: customer,
            ordered_at: Some(Utc::now() - Duration::days(days_ago)),
            lines: vec![OrderLineInput {
                product_id: Some(self.product),
                quantity: "1".into(),
                unit_price: yuan.to_string(),
            }],
            ..Default::default()
        }
    }

    async fn order(&self, caller: &Authenticated, customer: CustomerId, yuan: i64) -> Order {
        let id =
            orders::add_order(&self.state, caller, self.input(customer, 3, yuan)).await.unwrap();
        self.read(id).await
    }

    async fn read(&self, id: OrderId) -> Order {
        orders_repo::order(&mut self.db.pool.acquire().await.unwrap(), id).await.unwrap()
    }

    /// (type, order count, total spend in yuan, points balance)
    async fn facts(&self, customer: CustomerId) -> (String, i32, i64, i64) {
        let (kind, count, spend): (String, i32, i64) = sqlx::query_as(
            "select customer_type, order_count, total_spend_minor from customer where id = $1",
        )
        .bind(customer.0)
        .fetch_one(&self.db.pool)
        .await
        .unwrap();
        let balance = loyalty::balance(&self.db.pool, customer).await.unwrap();
        (kind, count, spend / 100, balance)
    }

    async fn timeline(&self, customer: CustomerId, kind: &str) -> Vec<serde_json::Value> {
        sqlx::query_scalar(
            "select data from timeline_event where customer_id = $1 and kind = $2 order by id",
        )
        .bind(customer.0)
        .bind(kind)
        .fetch_all(&self.db.pool)
        .await
        .unwrap()
    }

    async fn audit_actions(&self, order: OrderId) -> Vec<String> {
        sqlx::query_scalar(
            "select action from audit_log where entity_type = 'order' and entity_id = $1 order by id",
        )
        .bind(order.0.to_string())
        .fetch_all(&self.db.pool)
        .await
        .unwrap()
    }

    async fn monetary_score(&self, customer: CustomerId) -> Option<i16> {
        sqlx::query_scalar("select m from customer_score where customer_id = $1")
            .bind(customer.0)
            .fetch_optional(&self.db.pool)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_correction_moves_totals_and_points_and_a_stale_one_names_who_changed_what() {
    let w = World::new().await;
    let id = w.customer(&w.admin, "杭州茶社").await;
    let order = w.order(&w.admin, id, 1250).await;
    // Default rate: 1 point per ¥100.
    assert_eq!(w.facts(id).await, ("existing".into(), 1, 1250, 12));

    let mut input = order.correction_input();
    input.lines[0].quantity = "2".into();
    let corrected = orders::correct_order(
        &w.state,
        &w.admin,
        order.id,
        order.version,
        input.clone(),
        "数量录错",
    )
    .await
    .unwrap();
    assert_eq!(corrected.total.minor, 250_000);
    assert_eq!(corrected.version, order.version + 1);
    assert_eq!(
        w.facts(id).await,
        ("existing".into(), 1, 2500, 25),
        "12 more points for ¥1,250 more"
    );
    let entries = w.timeline(id, "order_corrected").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["reason"], "数量录错");
    assert_eq!(
        (entries[0]["total_before"].as_i64(), entries[0]["total_minor"].as_i64()),
        (Some(125_000), Some(250_000))
    );
    assert_eq!(w.audit_actions(order.id).await, vec!["create", "update"]);

    // A second correction from the version first read is refused, naming who changed what.
    input.lines[0].quantity = "3".into();
    let stale =
        orders::correct_order(&w.state, &w.admin, order.id, order.version, input.clone(), "再改")
            .await
            .unwrap_err();
    match stale {
        AppError::ChangedMeanwhile { by, fields } => {
            assert_eq!(by, "王磊");
            assert!(
                fields.contains(&"lines".to_owned()) && fields.contains(&"total_minor".to_owned()),
                "{fields:?}"
            );
        }
        other => panic!("expected ChangedMeanwhile, got {other:?}"),
    }
    assert_eq!(w.facts(id).await.2, 2500, "nothing of the stale correction was applied");

    // Back down: the points follow, and nothing is saved without a reason or with bad lines.
    let missing_reason =
        orders::correct_order(&w.state, &w.admin, order.id, corrected.version, input.clone(), " ")
            .await
            .unwrap_err();
    assert_eq!(missing_reason.field_errors().unwrap().get("reason"), &[FieldError::Required]);
    let mut bad = corrected.correction_input();
    bad.lines[0].quantity = "0".into();
    let refused = orders::correct_order(&w.state, &w.admin, order.id, corrected.version, bad, "x")
        .await
        .unwrap_err();
    assert!(!refused.field_errors().unwrap().get("lines.0.quantity").is_empty());
    let mut smaller = corrected.correction_input();
    smaller.lines[0].quantity = "1".into();
    smaller.lines[0].unit_price = "300".into();
    orders::correct_order(&w.state, &w.admin, order.id, corrected.version, smaller, "改价")
        .await
        .unwrap();
    assert_eq!(w.facts(id).await, ("existing".into(), 1, 300, 3));

    // An order cannot be moved to another customer by correcting it.
    let other = w.customer(&w.admin, "别的客户").await;
    let current = w.read(order.id).await;
    let mut moved = current.correction_input();
    moved.customer_id = other;
    let error = orders::correct_order(&w.state, &w.admin, order.id, current.version, moved, "移")
        .await
        .unwrap_err();
    assert_eq!(error.field_errors().unwrap().get("customer_id"), &[FieldError::InvalidChoice]);
}

#[tokio::test]
async fn cancelling_the_only_order_makes_the_customer_potential_again_and_takes_the_points_back() {
    let w = World::new().await;
    let id = w.customer(&w.admin, "宁波茶行").await;
    let kept = w.customer(&w.admin, "对照客户").await;
    w.order(&w.admin, kept, 500).await;
    let order = w.order(&w.admin, id, 2000).await;
    assert_eq!(w.facts(id).await, ("existing".into(), 1, 2000, 20));
    assert!(w.monetary_score(id).await.is_some());
    // Part of the points are spent: those cannot be taken back, and the timeline says so.
    loyalty::redeem(&w.state, &w.admin, id, 15, "兑换茶具").await.unwrap();

    let cancelled = orders::cancel_order(&w.state, &w.admin, order.id, order.version, "客户退单")
        .await
        .unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(cancelled.cancel_reason.as_deref(), Some("客户退单"));
    assert_eq!(w.facts(id).await, ("potential".into(), 0, 0, 0), "5 points left were taken back");
    let points = w.timeline(id, "points").await;
    let last = points.last().unwrap();
    assert_eq!((last["delta"].as_i64(), last["short"].as_i64()), (Some(-5), Some(15)));
    assert_eq!(w.timeline(id, "order_cancelled").await[0]["reason"], "客户退单");
    assert_eq!(w.timeline(id, "type_changed").await.last().unwrap()["to"], "potential");
    assert_eq!(w.audit_actions(order.id).await, vec!["create", "cancel"]);
    // Nothing left to score: the customer no longer has a monetary score of its own.
    assert_ne!(w.monetary_score(id).await, Some(5));

    // A cancelled order changes no more, and a stale cancel names the cancellation.
    let again = orders::cancel_order(&w.state, &w.admin, order.id, cancelled.version, "再取消")
        .await
        .unwrap_err();
    assert_eq!(again.field_errors().unwrap().get("status"), &[FieldError::OrderClosed]);
    let stale = orders::refund_order(&w.state, &w.admin, order.id, order.version, "10", "退款")
        .await
        .unwrap_err();
    assert!(
        matches!(&stale, AppError::ChangedMeanwhile { fields, .. } if fields == &["status".to_owned()]),
        "{stale:?}"
    );
    // The other customer is untouched, and a new order makes this one existing again.
    assert_eq!(w.facts(kept).await, ("existing".into(), 1, 500, 5));
    w.order(&w.admin, id, 100).await;
    assert_eq!(w.facts(id).await.0, "existing");
}

#[tokio::test]
async fn refunds_count_off_the_total_until_a_full_refund_stops_the_order_counting() {
    let w = World::new().await;
    let id = w.customer(&w.admin, "苏州茶庄").await;
    let other = w.order(&w.admin, id, 300).await;
    let order = w.order(&w.admin, id, 1000).await;
    assert_eq!(w.facts(id).await, ("existing".into(), 2, 1300, 13));

    let too_much =
        orders::refund_order(&w.state, &w.admin, order.id, order.version, "1000.01", "多退")
            .await
            .unwrap_err();
    assert!(matches!(
        too_much.field_errors().unwrap().get("amount"),
        [FieldError::MoreThanRefundable { .. }]
    ));
    let not_money = orders::refund_order(&w.state, &w.admin, order.id, order.version, "abc", "退")
        .await
        .unwrap_err();
    assert!(!not_money.field_errors().unwrap().get("amount").is_empty());

    let partly = orders::refund_order(&w.state, &w.admin, order.id, order.version, "400", "破损")
        .await
        .unwrap();
    assert_eq!((partly.status, partly.refunded.minor), (OrderStatus::Placed, 40_000));
    assert_eq!(partly.refunds.len(), 1);
    assert_eq!(partly.refunds[0].by_name.as_deref(), Some("王磊"));
    assert_eq!(w.facts(id).await, ("existing".into(), 2, 900, 9), "¥400 less spend, 4 points back");

    // Partly refunded: not cancelled, and not corrected below what was refunded.
    let cancel = orders::cancel_order(&w.state, &w.admin, order.id, partly.version, "取消")
        .await
        .unwrap_err();
    assert_eq!(cancel.field_errors().unwrap().get("status"), &[FieldError::PartlyRefunded]);
    let mut below = partly.correction_input();
    below.lines[0].unit_price = "300".into();
    let error = orders::correct_order(&w.state, &w.admin, order.id, partly.version, below, "改价")
        .await
        .unwrap_err();
    assert!(matches!(
        error.field_errors().unwrap().get("lines"),
        [FieldError::BelowRefunded { .. }]
    ));

    let rest =
        orders::refund_order(&w.state, &w.admin, order.id, partly.version, "600", "全部退回")
            .await
            .unwrap();
    assert_eq!((rest.status, rest.refunded.minor), (OrderStatus::Refunded, 100_000));
    assert_eq!(w.facts(id).await, ("existing".into(), 1, 300, 3));
    let refunds = w.timeline(id, "order_refunded").await;
    assert_eq!(refunds.len(), 2);
    assert_eq!(refunds[1]["reason"], "全部退回");
    assert_eq!(w.audit_actions(order.id).await, vec!["create", "refund", "refund"]);
    // The other order still counts on its own.
    assert_eq!(w.read(other.id).await.status, OrderStatus::Placed);
}

#[tokio::test]
async fn an_order_out_of_the_callers_scope_is_not_found_by_its_id() {
    let w = World::new().await;
    let west = w.db.team("西区").await;
    let east = w.db.team("东区").await;
    let seller = w.db.user("张伟", Role::Member, Some(west), "a long enough password").await;
    let other = w.db.user("陈静", Role::Member, Some(east), "a long enough password").await;
    let east_manager = w.db.user("李娜", Role::Manager, Some(east), "a long enough password").await;
    let seller = w.db.caller(seller).await.unwrap();
    let other = w.db.caller(other).await.unwrap();
    let east_manager = w.db.caller(east_manager).await.unwrap();
    let id = w.customer(&seller, "西区客户").await;
    let order = w.order(&seller, id, 800).await;

    let input = order.correction_input();
    for refused in [
        orders::correct_order(&w.state, &other, order.id, order.version, input.clone(), "改")
            .await
            .unwrap_err(),
        orders::cancel_order(&w.state, &east_manager, order.id, order.version, "取消")
            .await
            .unwrap_err(),
        orders::refund_order(&w.state, &east_manager, order.id, order.version, "1", "退")
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(refused, AppError::NotFound), "{refused:?}");
    }
    assert_eq!(w.read(order.id).await.version, order.version, "nothing changed");
    // The seller corrects their own customer's order.
    orders::correct_order(&w.state, &seller, order.id, order.version, input, "备注").await.unwrap();
}
