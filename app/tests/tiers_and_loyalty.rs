//! RFM scoring, tier rules, overrides, previews and segments; the points ledger.

use app::{
    auth::{model::Role, server::Authenticated},
    customers::{
        model::{CustomerFilter, CustomerId, CustomerInput},
        repo, service,
    },
    error::{AppError, FieldError},
    loyalty::service as loyalty,
    orders::model::{OrderInput, OrderLineInput, ProductId},
    state::AppState,
    testing::TestDatabase,
    tiers::{
        model::{TierId, TierInput},
        rule, service as tiers,
    },
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
            .caller(db.user("admin@example.com", Role::Admin, None, "a long enough password").await)
            .await
            .unwrap();
        let product: i64 = sqlx::query_scalar("insert into product (sku, name, unit_price_minor) values ('P', '产品', 100) returning id")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        World { db, state, admin, product: ProductId(product) }
    }

    async fn customer(&self, name: &str) -> CustomerId {
        service::create(
            &self.state,
            &self.admin,
            CustomerInput { name: name.into(), ..Default::default() },
            vec![],
        )
        .await
        .unwrap()
    }

    /// An order of `yuan` placed `days_ago`.
    async fn order(&self, customer: CustomerId, days_ago: i64, yuan: i64) {
        let input = OrderInput {
            customer_id: customer,
            ordered_at: Some(Utc::now() - Duration::days(days_ago)),
            lines: vec![OrderLineInput {
                product_id: Some(self.product),
                quantity: "1".into(),
                unit_price: yuan.to_string(),
            }],
            ..Default::default()
        };
        app::orders::service::add_order(&self.state, &self.admin, input).await.unwrap();
    }

    /// The recompute: cut points over everyone, then every customer graded.
    async fn score_everyone(&self) {
        let mut conn = self.db.pool.acquire().await.unwrap();
        tiers::grade_everyone(&mut conn).await.unwrap();
    }

    async fn scores(&self, customer: CustomerId) -> (i16, i16, i16) {
        sqlx::query_as("select r, f, m from customer_score where customer_id = $1")
            .bind(customer.0)
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    async fn tier_name(&self, customer: CustomerId) -> Option<String> {
        tiers::tier_of(&self.db.pool, customer).await.unwrap().map(|t| t.name_en)
    }
}

#[tokio::test]
async fn quantile_scores_share_ties_and_handle_tiny_sets() {
    let w = World::new().await;
    // One customer alone scores the top on all three.
    let only = w.customer("唯一").await;
    w.order(only, 10, 500).await;
    w.score_everyone().await;
    assert_eq!(w.scores(only).await, (5, 5, 5));

    // Four customers: three with one order each (tied frequency), one with three.
    let a = w.customer("甲").await;
    let b = w.customer("乙").await;
    let c = w.customer("丙").await;
    let never = w.customer("未下单").await;
    w.order(a, 100, 100).await;
    w.order(b, 100, 100).await;
    for _ in 0..3 {
        w.order(c, 1, 1000).await;
    }
    w.score_everyone().await;
    let (_, fa, ma) = w.scores(a).await;
    let (_, fb, mb) = w.scores(b).await;
    let (rc, fc, _) = w.scores(c).await;
    let (_, f_only, _) = w.scores(only).await;
    assert_eq!((fa, fb, f_only), (4, 4, 4), "equal frequencies score equally: ceil(5 × 3/4)");
    assert_eq!(fc, 5);
    assert_eq!(ma, mb, "equal spend, equal M");
    assert_eq!(rc, 5, "the most recent order scores R=5");
    assert_eq!(w.scores(never).await, (0, 0, 0), "nothing to score");

    // A new customer's order is scored at once on the stored scale, without a recompute: the
    // same order as a's scores as a's did.
    let d = w.customer("丁").await;
    w.order(d, 100, 100).await;
    let (_, fd, md) = w.scores(d).await;
    assert_eq!((fd, md), (fa, ma));
}

#[tokio::test]
async fn the_first_matching_tier_wins_and_moves_are_explained_on_the_timeline() {
    let w = World::new().await;
    let big = w.customer("大客户").await;
    let small = w.customer("小客户").await;
    let none = w.customer("潜在").await;
    for _ in 0..4 {
        w.order(big, 5, 9000).await;
    }
    w.order(small, 300, 100).await;
    w.score_everyone().await;
    // Default tiers: High "M >= 4 and F >= 3", Medium "M >= 2 or F >= 2", Low catch-all.
    assert_eq!(
        w.tier_name(big).await.as_deref(),
        Some("High"),
        "matches High and Medium: the first wins"
    );
    assert_eq!(w.tier_name(small).await.as_deref(), Some("Medium"), "R=F=M=3");
    assert_eq!(w.tier_name(none).await.as_deref(), Some("Low"));
    let data: serde_json::Value = sqlx::query_scalar(
        "select data from timeline_event where customer_id = $1 and kind = 'tier_changed'
         order by id desc limit 1",
    )
    .bind(big.0)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(data["to_en"], "High");
    assert_eq!(data["because"], serde_json::json!({ "M": 5, "F": 5 }));
    let text =
        app::customers::timeline::text::timeline_text("tier_changed", &data, app::i18n::Locale::En);
    let from = data["from_en"].as_str().unwrap_or("—");
    assert_ne!(from, "High");
    assert_eq!(text, format!("tier {from} → High because F=5, M=5"));

    // The customer list filters by tier.
    let high: i64 = sqlx::query_scalar("select id from tier where name_en = 'High'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    let settings = repo::settings(&w.db.pool).await.unwrap();
    let filter = CustomerFilter { tier_id: Some(high), ..Default::default() };
    let listed = repo::list(&w.db.pool, &filter, None, None, 50, &settings).await.unwrap();
    assert_eq!(listed.items.iter().map(|r| r.id).collect::<Vec<_>>(), vec![big]);
    assert_eq!(tiers::count(&w.db.pool, &filter, None).await.unwrap(), 1);

    // A new order rescoring one customer moves it at once, without a full recompute.
    for _ in 0..4 {
        w.order(small, 1, 9000).await;
    }
    assert_eq!(w.tier_name(small).await.as_deref(), Some("High"));
}

#[tokio::test]
async fn a_preview_counts_moves_without_saving_and_saving_recomputes() {
    let w = World::new().await;
    let big = w.customer("大客户").await;
    let mid = w.customer("中客户").await;
    for _ in 0..4 {
        w.order(big, 5, 9000).await;
    }
    w.order(mid, 5, 100).await;
    w.order(mid, 6, 100).await;
    w.score_everyone().await;
    let mut proposed = tiers::tiers(&w.db.pool).await.unwrap();
    proposed[0].1 = rule::parse("F >= 3").unwrap(); // High now needs frequency only
    let preview = tiers::preview(&w.db.pool, &proposed).await.unwrap();
    let high = preview.counts.iter().find(|c| c.0 == 1).unwrap();
    assert_eq!((high.1, high.2), (1, 2), "one High now, two after");
    assert_eq!((preview.moving_up, preview.moving_down), (1, 0));
    assert_eq!(preview.samples[0].customer_id, mid);
    assert_eq!(preview.samples[0].because, "F=3");
    assert_eq!(w.tier_name(mid).await.as_deref(), Some("Medium"), "nothing saved by a preview");

    let inputs: Vec<TierInput> = proposed
        .iter()
        .map(|(t, _)| TierInput {
            id: Some(t.id),
            name_zh: t.name_zh.clone(),
            name_en: t.name_en.clone(),
            color: t.color.clone(),
            rule: t.rule.clone(),
        })
        .collect();
    let mut changed = inputs.clone();
    changed[0].rule = "F >= 3".into();
    let bad = {
        let mut b = changed.clone();
        b[1].rule = "F >>".into();
        b
    };
    let version = tiers::settings(&w.db.pool).await.unwrap().version;
    let error = tiers::save_tiers(&w.state, &w.admin, bad, 365, version).await.unwrap_err();
    assert!(matches!(
        error.field_errors().unwrap().get("tiers.1.rule"),
        [FieldError::BadRule { .. }]
    ));
    tiers::save_tiers(&w.state, &w.admin, changed.clone(), 365, version).await.unwrap();
    // A second admin still holding the list as it was cannot overwrite the change.
    assert_eq!(
        tiers::save_tiers(&w.state, &w.admin, inputs.clone(), 365, version).await.unwrap_err(),
        AppError::Conflict
    );
    let _background = app::testing::Background::start(&w.state);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while w.tier_name(mid).await.as_deref() != Some("High") {
        assert!(std::time::Instant::now() < deadline, "recompute did not move the customer");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn overrides_win_until_they_expire() {
    let w = World::new().await;
    let id = w.customer("特批客户").await;
    w.score_everyone().await;
    assert_eq!(w.tier_name(id).await.as_deref(), Some("Low"));
    let high = TierId(
        sqlx::query_scalar("select id from tier where name_en = 'High'")
            .fetch_one(&w.db.pool)
            .await
            .unwrap(),
    );
    let error =
        tiers::set_override(&w.state, &w.admin, id, Some(high), " ", None).await.unwrap_err();
    assert_eq!(error.field_errors().unwrap().get("reason"), &[FieldError::Required]);

    // The customer list's tier filter reads the same tier in force as the 360 page.
    let settings = repo::settings(&w.db.pool).await.unwrap();
    let filter = CustomerFilter { tier_id: Some(high.0), ..Default::default() };
    let listed_high = || async {
        let listed = repo::list(&w.db.pool, &filter, None, None, 50, &settings).await.unwrap();
        listed.items.iter().map(|r| r.id).collect::<Vec<_>>()
    };

    let today = app::testing::company_today(&w.db.pool).await;
    tiers::set_override(&w.state, &w.admin, id, Some(high), "战略合作", Some(today)).await.unwrap();
    assert_eq!(w.tier_name(id).await.as_deref(), Some("High"), "applies through its last day");
    assert_eq!(listed_high().await, vec![id]);
    tiers::set_override(
        &w.state,
        &w.admin,
        id,
        Some(high),
        "战略合作",
        Some(today - Duration::days(1)),
    )
    .await
    .unwrap();
    assert_eq!(w.tier_name(id).await.as_deref(), Some("Low"), "expired: the computed tier again");
    assert_eq!(listed_high().await, Vec::<CustomerId>::new());
    tiers::set_override(&w.state, &w.admin, id, Some(high), "永久", None).await.unwrap();
    let explained = tiers::customer_tier(&w.db.pool, id, None).await.unwrap();
    assert_eq!(explained.tier.unwrap().name_en, "High");
    assert_eq!(explained.computed.unwrap().name_en, "Low");
    tiers::set_override(&w.state, &w.admin, id, None, "", None).await.unwrap();
    assert_eq!(w.tier_name(id).await.as_deref(), Some("Low"));
}

async fn balance_and_lots(db: &TestDatabase, customer: CustomerId) -> (i64, i64) {
    sqlx::query_as(
        "select coalesce(sum(delta), 0)::bigint,
                coalesce(sum(remaining) filter (where remaining is not null), 0)::bigint
         from points_entry where customer_id = $1",
    )
    .bind(customer.0)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_points_balance_is_the_sum_of_the_ledger_through_every_operation() {
    let w = World::new().await;
    let id = w.customer("积分客户").await;
    // Default rate: 1 point per ¥100. ¥1,250 earns 12.
    w.order(id, 10, 1250).await;
    w.order(id, 5, 300).await;
    assert_eq!(balance_and_lots(&w.db, id).await, (15, 15));

    assert_eq!(loyalty::redeem(&w.state, &w.admin, id, 13, "兑换礼品").await.unwrap(), 2);
    // The oldest lot (12) went first, then 1 of the second (3).
    let lots: Vec<i64> = sqlx::query_scalar("select remaining from points_entry where customer_id = $1 and remaining is not null order by at")
        .bind(id.0)
        .fetch_all(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(lots, vec![0, 2]);
    let error = loyalty::redeem(&w.state, &w.admin, id, 5, "太多").await.unwrap_err();
    assert_eq!(
        error.field_errors().unwrap().get("points"),
        &[FieldError::NotEnoughPoints { available: 2 }]
    );

    // Expiry: the remaining 2 points of an order lot, dated past their expiry, expire.
    sqlx::query("update points_entry set expires_at = now() - interval '1 day' where customer_id = $1 and kind = 'earn' and remaining > 0")
        .bind(id.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let mut tx = w.db.pool.begin().await.unwrap();
    assert_eq!(loyalty::expire_due(&mut tx, 100).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert_eq!(balance_and_lots(&w.db, id).await, (0, 0));
    let mut tx = w.db.pool.begin().await.unwrap();
    assert_eq!(loyalty::expire_due(&mut tx, 100).await.unwrap(), 0, "nothing expires twice");
    tx.commit().await.unwrap();

    assert_eq!(loyalty::adjust(&w.state, &w.admin, id, 100, "补偿").await.unwrap(), 100);
    assert_eq!(loyalty::adjust(&w.state, &w.admin, id, -50, "更正").await.unwrap(), 50);
    assert!(loyalty::adjust(&w.state, &w.admin, id, 10, "").await.is_err(), "a reason is required");
    // i64::MIN was accepted and overflowed the balance.
    for absurd in [i64::MIN, i64::MAX, 100_000_001] {
        let refused = loyalty::adjust(&w.state, &w.admin, id, absurd, "typo").await.unwrap_err();
        assert!(
            matches!(
                refused.field_errors().unwrap().get("points"),
                [FieldError::OutOfRange { .. }]
            ),
            "{absurd}: {refused:?}"
        );
    }
    assert!(
        loyalty::adjust(&w.state, &w.admin, id, -51, "太多").await.is_err(),
        "never below zero"
    );
    assert_eq!(balance_and_lots(&w.db, id).await, (50, 50));
    let membership = loyalty::membership(&w.db.pool, id, None).await.unwrap();
    assert_eq!(membership.balance, 50);
    assert_eq!(membership.entries[0].kind, "adjust");
    assert!(membership.entries.iter().any(|e| e.kind == "expire" && e.delta == -2));
    assert_eq!(membership.level, None, "Silver needs 100 points");
    assert_eq!(
        membership.next.as_ref().map(|(l, n)| (l.name_en.as_str(), *n)),
        Some(("Silver", 50))
    );
}

#[tokio::test]
async fn segments_save_a_filter_and_refuse_a_duplicate_name() {
    let w = World::new().await;
    let filter = CustomerFilter { min_m: Some(4), ..Default::default() };
    let id = tiers::save_segment(&w.state, &w.admin, None, 1, "高消费", "", &filter).await.unwrap();
    let saved = tiers::segments(&w.db.pool).await.unwrap();
    assert_eq!(saved[0].id, id);
    assert_eq!(saved[0].filter.min_m, Some(4));
    let error =
        tiers::save_segment(&w.state, &w.admin, None, 1, "高消费", "", &filter).await.unwrap_err();
    assert_eq!(error.field_errors().unwrap().get("name"), &[FieldError::AlreadyTaken]);
    let stale = tiers::save_segment(&w.state, &w.admin, Some(id), 7, "改名", "", &filter)
        .await
        .unwrap_err();
    assert_eq!(stale, AppError::Conflict);
}

#[tokio::test]
async fn bulk_work_gives_a_table_without_statistics_its_statistics_first() {
    let db = TestDatabase::new().await;
    sqlx::query(
        "insert into customer (name) select '批量客户' || n from generate_series(1, 5000) n",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let estimate = || async {
        sqlx::query_scalar::<_, f32>("select reltuples from pg_class where relname = 'customer'")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    assert!(estimate().await < 1.0, "never analyzed: the planner would take it for empty");
    let analyzed = app::db::analyze_if_stale(&db.pool, &["customer"]).await.unwrap();
    assert_eq!(analyzed, vec!["customer"]);
    assert!(estimate().await >= 5000.0, "the planner now knows its size");
}
