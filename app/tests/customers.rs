//! Customers against a real database: derived status and stage at their boundaries, version
//! conflicts, the data scope (id swaps), search, orders' effects, duplicates, merge and undo.

use app::{
    auth::{model::Role, server::Authenticated},
    customers::{dedupe, dedupe_model::MergeRequest, model::*, repo, service},
    error::{AppError, FieldError},
    interactions::model::InteractionInput,
    orders::model::{OrderInput, OrderLineInput, ProductId},
    state::AppState,
    testing::TestDatabase,
};
use chrono::{Duration, Utc};

const PASSWORD: &str = "a long enough password";

struct World {
    db: TestDatabase,
    state: AppState,
    product: ProductId,
}

impl World {
    async fn new() -> Self {
        let db = TestDatabase::new().await;
        let state = db.state();
        let product: i64 = sqlx::query_scalar(
            "insert into product (sku, name, unit_price_minor) values ('P1', '软件年费', 100000) returning id",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        World { db, state, product: ProductId(product) }
    }

    async fn caller(
        &self,
        email: &str,
        role: Role,
        team: Option<app::auth::model::TeamId>,
    ) -> Authenticated {
        let id = self.db.user(email, role, team, PASSWORD).await;
        self.db.caller(id).await.unwrap()
    }

    async fn customer(&self, caller: &Authenticated, name: &str, phone: &str) -> CustomerId {
        let input = CustomerInput {
            name: name.into(),
            phone: phone.into(),
            region: "上海".into(),
            ..Default::default()
        };
        service::create(&self.state, caller, input, vec![]).await.unwrap()
    }

    async fn order(
        &self,
        caller: &Authenticated,
        customer: CustomerId,
        days_ago: i64,
    ) -> Result<(), AppError> {
        let input = OrderInput {
            customer_id: customer,
            ordered_at: Some(Utc::now() - Duration::days(days_ago)),
            lines: vec![OrderLineInput {
                product_id: Some(self.product),
                quantity: "1".into(),
                unit_price: String::new(),
            }],
            ..Default::default()
        };
        app::orders::service::add_order(&self.state, caller, input).await.map(|_| ())
    }

    async fn detail(&self, caller: &Authenticated, id: CustomerId) -> Option<CustomerDetail> {
        let settings = repo::settings(&self.db.pool).await.unwrap();
        let scope = caller.scope.visible_owners();
        repo::detail(&mut self.db.pool.acquire().await.unwrap(), id, scope.as_deref(), &settings)
            .await
            .unwrap()
    }

    async fn listed(&self, caller: &Authenticated, filter: CustomerFilter) -> Vec<CustomerId> {
        let settings = repo::settings(&self.db.pool).await.unwrap();
        let scope = caller.scope.visible_owners();
        repo::list(&self.db.pool, &filter, scope.as_deref(), None, 200, &settings)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|r| r.id)
            .collect()
    }
}

#[tokio::test]
async fn status_and_stage_follow_orders_and_the_window_boundary() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let fresh = w.customer(&admin, "新客户", "").await;
    let detail = w.detail(&admin, fresh).await.unwrap();
    assert_eq!(
        (detail.status, detail.stage, detail.customer_type),
        (ActivityStatus::Potential, LifecycleStage::Potential, CustomerType::Potential)
    );

    // Ordered 179 days ago: active; the order moves it to existing and new.
    w.order(&admin, fresh, 179).await.unwrap();
    let detail = w.detail(&admin, fresh).await.unwrap();
    assert_eq!(
        (detail.status, detail.stage, detail.customer_type),
        (ActivityStatus::Active, LifecycleStage::New, CustomerType::Existing)
    );
    assert_eq!(detail.total_spend.minor, 100_000);

    // Ordered 181 days ago only: silent.
    let old = w.customer(&admin, "老客户", "").await;
    w.order(&admin, old, 181).await.unwrap();
    assert_eq!(w.detail(&admin, old).await.unwrap().status, ActivityStatus::Silent);

    // The list's status and stage filters agree with the computed values.
    let active = w
        .listed(
            &admin,
            CustomerFilter { status: Some(ActivityStatus::Active), ..Default::default() },
        )
        .await;
    let silent = w
        .listed(
            &admin,
            CustomerFilter { status: Some(ActivityStatus::Silent), ..Default::default() },
        )
        .await;
    assert_eq!((active, silent), (vec![fresh], vec![old]));

    // A narrower window (admin setting) makes the first one silent too, with no recompute.
    sqlx::query("update customer_settings set active_window_days = 90")
        .execute(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(w.detail(&admin, fresh).await.unwrap().status, ActivityStatus::Silent);

    // Five orders spanning a year make it loyal (the default rule), four do not.
    for days in [10, 100, 200] {
        w.order(&admin, old, days).await.unwrap();
    }
    assert_eq!(w.detail(&admin, old).await.unwrap().stage, LifecycleStage::Repeat);
    w.order(&admin, old, 546).await.unwrap();
    let loyal = w.detail(&admin, old).await.unwrap();
    assert_eq!((loyal.order_count, loyal.stage), (5, LifecycleStage::Loyal));
    let listed = w
        .listed(&admin, CustomerFilter { stage: Some(LifecycleStage::Loyal), ..Default::default() })
        .await;
    assert_eq!(listed, vec![old]);

    // The timeline recorded the stage changes and the type change (and, from the loyalty
    // domain, the points the order earned; a first tier is a grading, not a move).
    let kinds: Vec<String> =
        sqlx::query_scalar("select kind from timeline_event where customer_id = $1 order by id")
            .bind(fresh.0)
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(kinds, vec!["created", "order", "stage_changed", "type_changed", "points"]);
}

#[tokio::test]
async fn a_former_customer_is_won_back_by_a_new_order() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let id = w.customer(&admin, "回头客", "").await;
    w.order(&admin, id, 400).await.unwrap();
    let detail = w.detail(&admin, id).await.unwrap();
    let mut input = detail.to_input();
    input.customer_type = CustomerType::Former;
    let error = service::update(&w.state, &admin, id, detail.version, input.clone(), vec![])
        .await
        .unwrap_err();
    assert_eq!(error.field_errors().unwrap().get("churn_reason"), &[FieldError::Required]);
    input.churn_reason = "价格原因".into();
    service::update(&w.state, &admin, id, detail.version, input, vec![]).await.unwrap();
    assert_eq!(w.detail(&admin, id).await.unwrap().customer_type, CustomerType::Former);

    w.order(&admin, id, 0).await.unwrap();
    let back = w.detail(&admin, id).await.unwrap();
    assert_eq!((back.customer_type, back.churn_reason), (CustomerType::Existing, None));
    let won: i64 = sqlx::query_scalar(
        "select count(*) from timeline_event where customer_id = $1 and kind = 'won_back'",
    )
    .bind(id.0)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(won, 1);
}

#[tokio::test]
async fn concurrent_edits_are_detected_and_the_second_writer_is_told() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let id = w.customer(&admin, "华信科技", "13800138000").await;
    let loaded = w.detail(&admin, id).await.unwrap();

    let mut first = loaded.to_input();
    first.region = "北京".into();
    let mut second = loaded.to_input();
    second.industry = "制造业".into();
    service::update(&w.state, &admin, id, loaded.version, first, vec![]).await.unwrap();
    let error =
        service::update(&w.state, &admin, id, loaded.version, second, vec![]).await.unwrap_err();
    let AppError::ChangedMeanwhile { fields, .. } = error else { panic!("{error:?}") };
    assert!(
        fields.contains(&"region".to_owned()),
        "names what the first write changed: {fields:?}"
    );

    let stored = w.detail(&admin, id).await.unwrap();
    assert_eq!(stored.region.as_deref(), Some("北京"), "the first write is kept");
    assert_eq!(stored.industry, None, "the second was not silently applied");
    assert_eq!(stored.version, loaded.version + 1);
}

#[tokio::test]
async fn a_customers_language_is_kept_and_changing_it_is_on_the_timeline() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let id = w.customer(&admin, "华信科技", "13800138000").await;
    let loaded = w.detail(&admin, id).await.unwrap();
    assert_eq!(loaded.locale, app::i18n::Locale::ZhCn, "Chinese unless told otherwise");

    let mut input = loaded.to_input();
    input.locale = app::i18n::Locale::En;
    service::update(&w.state, &admin, id, loaded.version, input, vec![]).await.unwrap();
    let stored = w.detail(&admin, id).await.unwrap();
    assert_eq!(stored.locale, app::i18n::Locale::En);
    let (fields, before): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "select t.data -> 'fields', a.before -> 'locale'
         from timeline_event t, audit_log a
         where t.customer_id = $1 and t.kind = 'updated'
           and a.entity_type = 'customer' and a.entity_id = $1::text and a.action = 'update'",
    )
    .bind(id.0)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(fields, serde_json::json!(["locale"]));
    assert_eq!(before, serde_json::json!("zh-CN"));
}

#[tokio::test]
async fn a_member_cannot_reach_another_teams_customer_by_its_id() {
    let w = World::new().await;
    let east = w.db.team("East").await;
    let west = w.db.team("West").await;
    let alice = w.caller("alice@example.com", Role::Member, Some(east)).await;
    let bob = w.caller("bob@example.com", Role::Member, Some(west)).await;
    let manager = w.caller("manager@example.com", Role::Manager, Some(east)).await;
    let alices = w.customer(&alice, "东方贸易", "13911112222").await;
    let bobs = w.customer(&bob, "西部物流", "13933334444").await;

    // Bob's id in Alice's requests: not found, exactly like a missing customer.
    assert!(w.detail(&alice, bobs).await.is_none());
    assert!(!w.listed(&alice, CustomerFilter::default()).await.contains(&bobs));
    let edit = service::update(
        &w.state,
        &alice,
        bobs,
        1,
        CustomerInput { name: "x".into(), ..Default::default() },
        vec![],
    )
    .await;
    assert_eq!(edit.unwrap_err(), AppError::NotFound);
    assert_eq!(w.order(&alice, bobs, 0).await.unwrap_err(), AppError::NotFound);
    let interaction =
        InteractionInput { customer_id: bobs, subject: "探听".into(), ..Default::default() };
    assert_eq!(
        app::interactions::service::log(&w.state, &alice, interaction).await.unwrap_err(),
        AppError::NotFound
    );
    let tagged = service::add_tag(&w.state, &alice, &[bobs], "hijacked").await;
    assert_eq!(tagged.unwrap_err(), AppError::NotFound);
    // Nor can she hand her customer to someone outside her scope.
    let handed = service::assign_owner(&w.state, &alice, &[alices], bob.id()).await.unwrap_err();
    assert_eq!(handed.field_errors().unwrap().get("owner_id"), &[FieldError::OwnerOutOfScope]);

    // The East manager sees Alice's customer (team scope) but not Bob's.
    assert!(w.detail(&manager, alices).await.is_some());
    assert!(w.detail(&manager, bobs).await.is_none());
    assert_eq!(w.listed(&manager, CustomerFilter::default()).await, vec![alices]);
    // Bob's customer is untouched.
    assert!(w.detail(&bob, bobs).await.unwrap().tags.is_empty());
}

#[tokio::test]
async fn search_finds_chinese_fragments_phones_and_emails_within_scope() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let hx = w.customer(&admin, "上海华信科技有限公司", "+86 138-0013-8000").await;
    let person = w.customer(&admin, "王秀英", "13912345678").await;
    let other = w.customer(&admin, "Northwind Trading", "02162345678").await;
    let detail = w.detail(&admin, other).await.unwrap();
    let mut input = detail.to_input();
    input.email = "Orders@Northwind.example".into();
    let contact = ContactInput { name: "李秀兰".into(), ..Default::default() };
    service::update(&w.state, &admin, other, detail.version, input, vec![contact]).await.unwrap();

    let search = |text: &str| CustomerFilter { search: Some(text.into()), ..Default::default() };
    assert_eq!(w.listed(&admin, search("华信")).await, vec![hx]);
    assert_eq!(w.listed(&admin, search("秀英")).await, vec![person]);
    let mut xiu = w.listed(&admin, search("秀")).await;
    xiu.sort();
    assert_eq!(xiu, vec![person, other], "one character; the contact's name counts");
    assert_eq!(w.listed(&admin, search("0013")).await, vec![hx], "a phone fragment");
    assert_eq!(w.listed(&admin, search("138-0013-8000")).await, vec![hx], "typed with dashes");
    assert_eq!(w.listed(&admin, search("northwind.EXAMPLE")).await, vec![other], "email, any case");
    assert!(w.listed(&admin, search("100%")).await.is_empty(), "wildcards match literally");
}

#[tokio::test]
async fn a_common_fragment_pages_the_same_whether_the_newest_rows_hold_a_page_or_not() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let member = w.caller("member@example.com", Role::Member, None).await;
    // Matches by two owners, spread between customers that do not match. "Ko" is too short for
    // the n-gram index: it is always looked for row by row.
    let mut matching = Vec::new();
    for n in 0..24 {
        let owner = if n % 3 == 0 { &member } else { &admin };
        matching.push((w.customer(owner, &format!("常见科技{n}号 Ko"), "").await, n % 3 == 0));
        if n % 4 == 0 {
            w.customer(&admin, &format!("别家{n}"), "").await;
        }
    }
    w.customer(&admin, "独一无二", "").await;
    sqlx::query("analyze customer").execute(&w.db.pool).await.unwrap();
    let settings = repo::settings(&w.db.pool).await.unwrap();
    let common = query_keys(&normalize_query("科技"));
    assert!(
        repo::search_keys_are_common(&w.db.pool, &common, 0.05).await.unwrap(),
        "in most customers: read in id order first"
    );
    let rare = query_keys(&normalize_query("无二"));
    assert!(!repo::search_keys_are_common(&w.db.pool, &rare, 0.05).await.unwrap());

    let cases = ["科技", "ko"].into_iter().flat_map(|f| [(f, &admin, false), (f, &member, true)]);
    for (fragment, caller, only_member) in cases {
        let filter = CustomerFilter { search: Some(fragment.into()), ..Default::default() };
        let mut expected: Vec<CustomerId> = matching
            .iter()
            .filter(|(_, of_member)| !only_member || *of_member)
            .map(|(id, _)| *id)
            .collect();
        expected.reverse();
        let scope = caller.scope.visible_owners();
        // The fragment is in 24 of 31 customers: a window of 6 is too small for a page of 4 (the
        // index answers at once), one of 7 holds one at times (else the index answers), 100 does.
        for window in [6, 7, 100] {
            let (mut seen, mut cursor) = (Vec::new(), None);
            loop {
                let page = repo::list_with_scan_window(
                    &w.db.pool,
                    &filter,
                    scope.as_deref(),
                    cursor.as_ref(),
                    4,
                    &settings,
                    window,
                )
                .await
                .unwrap();
                seen.extend(page.items.iter().map(|r| r.id));
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            assert_eq!(seen, expected, "{fragment}, window {window}, member only: {only_member}");
        }
    }
}

#[tokio::test]
async fn every_sort_pages_through_all_customers_once_in_order() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    // Three customers never ordered: they come last when sorted by last order.
    let mut ids = Vec::new();
    for (n, orders) in [vec![5], vec![40, 2], vec![], vec![5], vec![300], vec![], vec![], vec![90]]
        .into_iter()
        .enumerate()
    {
        let id = w.customer(&admin, &format!("排序客户{n}"), "").await;
        for days in orders {
            w.order(&admin, id, days).await.unwrap();
        }
        ids.push(id);
    }
    let settings = repo::settings(&w.db.pool).await.unwrap();
    let all: Vec<CustomerRow> = {
        let filter = CustomerFilter::default();
        repo::list(&w.db.pool, &filter, None, None, 100, &settings).await.unwrap().items
    };
    for sort in [CustomerSort::Newest, CustomerSort::Spend, CustomerSort::LastOrder] {
        let filter = CustomerFilter { sort, ..Default::default() };
        let (mut seen, mut cursor) = (Vec::new(), None);
        loop {
            let page =
                repo::list(&w.db.pool, &filter, None, cursor.as_ref(), 3, &settings).await.unwrap();
            seen.extend(page.items.iter().map(|r| r.id));
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let mut expected = all.clone();
        match sort {
            CustomerSort::Newest => expected.sort_by_key(|r| std::cmp::Reverse(r.id.0)),
            CustomerSort::Spend => {
                expected.sort_by_key(|r| std::cmp::Reverse((r.total_spend.minor, r.id.0)))
            }
            // Never ordered comes last.
            CustomerSort::LastOrder => {
                expected.sort_by_key(|r| std::cmp::Reverse((r.last_order_at, r.id.0)))
            }
        }
        let expected: Vec<CustomerId> = expected.iter().map(|r| r.id).collect();
        assert_eq!(seen, expected, "{sort:?}");
    }
    let potential = w
        .listed(
            &admin,
            CustomerFilter { status: Some(ActivityStatus::Potential), ..Default::default() },
        )
        .await;
    assert_eq!(potential, vec![ids[6], ids[5], ids[2]]);
    let today = app::testing::company_today(&w.db.pool).await;
    let ordered_lately = w
        .listed(
            &admin,
            CustomerFilter {
                last_order_from: Some(today - Duration::days(10)),
                last_order_to: Some(today),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(ordered_lately, vec![ids[3], ids[1], ids[0]]);
}

#[tokio::test]
async fn the_sql_gram_key_equals_the_applications() {
    // Existing rows were converted to search keys by the migration's SQL function: if it ever
    // disagreed with the Rust one, those customers could no longer be found.
    let w = World::new().await;
    let text = search_text(
        "上海华信科技有限公司",
        Some("+86 138 0013 8000"),
        Some("Wang.Xiuying@Example.com"),
        None,
        [("王秀英", Some("021-5555 0101"))],
    );
    let grams = index_grams(&text);
    let from_sql: Vec<i32> = sqlx::query_scalar("select gram_key(g) from unnest($1::text[]) as g")
        .bind(&grams)
        .fetch_all(&w.db.pool)
        .await
        .unwrap();
    let from_rust: Vec<i32> = grams.iter().map(|g| gram_key(g)).collect();
    assert!(grams.len() > 40, "CJK, digit and word grams: {grams:?}");
    assert_eq!(from_sql, from_rust);
}

#[tokio::test]
async fn orders_refuse_unknown_products_and_future_dates_field_by_field() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let id = w.customer(&admin, "测试客户", "").await;
    let input = OrderInput {
        customer_id: id,
        lines: vec![
            OrderLineInput {
                product_id: Some(w.product),
                quantity: "2".into(),
                unit_price: "99.5".into(),
            },
            OrderLineInput {
                product_id: Some(ProductId(999_999)),
                quantity: "1".into(),
                unit_price: String::new(),
            },
        ],
        ..Default::default()
    };
    let error = app::orders::service::add_order(&w.state, &admin, input.clone()).await.unwrap_err();
    assert_eq!(
        error.field_errors().unwrap().get("lines.1.product_id"),
        &[FieldError::UnknownReference]
    );
    let future = OrderInput { ordered_at: Some(Utc::now() + Duration::days(2)), ..input.clone() };
    let error = app::orders::service::add_order(&w.state, &admin, future).await.unwrap_err();
    assert_eq!(error.field_errors().unwrap().get("ordered_at"), &[FieldError::InFuture]);
    // Nothing was written by the refused orders.
    assert_eq!(w.detail(&admin, id).await.unwrap().order_count, 0);

    let good = OrderInput { lines: vec![input.lines[0].clone()], ..input };
    app::orders::service::add_order(&w.state, &admin, good).await.unwrap();
    assert_eq!(
        w.detail(&admin, id).await.unwrap().total_spend.minor,
        19_900,
        "typed price × quantity"
    );
}

#[tokio::test]
async fn duplicates_are_found_by_phone_email_and_similar_names_and_dismissals_stick() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let a = w.customer(&admin, "上海华信科技有限公司", "13800138000").await;
    let b = w.customer(&admin, "华信（另一个）", "138 0013 8000").await;
    let c = w.customer(&admin, "上海华新科技", "").await;
    let d = w.customer(&admin, "北京远方物流", "").await;
    let pairs: Vec<(i64, i64, String)> = sqlx::query_as(
        "select customer_a, customer_b, reason from duplicate_pair order by customer_a, customer_b",
    )
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert!(pairs.contains(&(a.0, b.0, "phone".into())), "{pairs:?}");
    assert!(pairs.contains(&(a.0, c.0, "name".into())), "one typo, same region: {pairs:?}");
    assert!(!pairs.iter().any(|p| p.0 == d.0 || p.1 == d.0));

    let page = dedupe::open_pairs(&w.state, &admin, None, 50).await.unwrap();
    let phone_pair = page.items.iter().find(|p| p.reason == "phone").unwrap().id;
    dedupe::dismiss(&w.state, &admin, phone_pair).await.unwrap();
    // Editing either customer re-runs detection; the dismissal stays.
    let detail = w.detail(&admin, b).await.unwrap();
    service::update(&w.state, &admin, b, detail.version, detail.to_input(), vec![]).await.unwrap();
    let status: String = sqlx::query_scalar("select status from duplicate_pair where id = $1")
        .bind(phone_pair)
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "dismissed");
}

#[tokio::test]
async fn a_merge_moves_everything_to_the_survivor_and_can_be_undone() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let survivor = w.customer(&admin, "华信科技", "13800138000").await;
    let merged = w.customer(&admin, "华信科技有限公司", "13800138000").await;
    // The merged record carries its own orders, contact, interaction, tag and email.
    w.order(&admin, merged, 30).await.unwrap();
    w.order(&admin, survivor, 5).await.unwrap();
    let m = w.detail(&admin, merged).await.unwrap();
    let mut input = m.to_input();
    input.email = "sales@huaxin.example".into();
    input.tags = vec!["VIP".into()];
    let contact = ContactInput { name: "李娜".into(), ..Default::default() };
    service::update(&w.state, &admin, merged, m.version, input, vec![contact]).await.unwrap();
    app::interactions::service::log(
        &w.state,
        &admin,
        InteractionInput { customer_id: merged, subject: "拜访".into(), ..Default::default() },
    )
    .await
    .unwrap();

    let request =
        MergeRequest { survivor, merged, take_from_merged: vec!["email".into(), "name".into()] };
    let merge_id = dedupe::merge(&w.state, &admin, &request).await.unwrap();

    let s = w.detail(&admin, survivor).await.unwrap();
    assert_eq!(s.name, "华信科技有限公司", "name taken from the merged record");
    assert_eq!(s.email.as_deref(), Some("sales@huaxin.example"));
    assert_eq!(s.phone.as_deref(), Some("13800138000"));
    assert_eq!((s.order_count, s.total_spend.minor), (2, 200_000), "aggregates recomputed");
    // The survivor's scores follow its new orders through the tiers area's job, queued with the
    // merge.
    let frequency = async || -> i32 {
        sqlx::query_scalar("select frequency from customer_score where customer_id = $1")
            .bind(survivor.0)
            .fetch_one(&w.db.pool)
            .await
            .unwrap()
    };
    assert_eq!(frequency().await, 1, "scored with its own order until the job runs");
    let workers = app::testing::Background::start(&w.state);
    workers.settled(20).await;
    assert_eq!(frequency().await, 2, "rescored with the merged record's order");
    drop(workers);
    assert_eq!(s.tags, vec!["VIP".to_owned()]);
    assert_eq!(s.contacts.len(), 1);
    assert!(w.detail(&admin, merged).await.is_none(), "the merged record is gone from view");
    let merged_into: Option<i64> =
        sqlx::query_scalar("select merged_into from customer where id = $1")
            .bind(merged.0)
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(merged_into, Some(survivor.0));
    let interactions: i64 =
        sqlx::query_scalar("select count(*) from interaction where customer_id = $1")
            .bind(survivor.0)
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(interactions, 1);
    let audited: i64 = sqlx::query_scalar("select count(*) from audit_log where action = 'merge'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(audited, 1);

    // Work continues on the survivor before the undo; that order stays with it, and so does
    // an edit made since the merge (an undo once put back the whole month-old snapshot).
    w.order(&admin, survivor, 0).await.unwrap();
    sqlx::query(
        "update customer set region = '华东', version = version + 1, updated_at = now() where id = $1",
    )
    .bind(survivor.0)
    .execute(&w.db.pool)
    .await
    .unwrap();
    dedupe::undo(&w.state, &admin, merge_id).await.unwrap();
    let region: Option<String> = sqlx::query_scalar("select region from customer where id = $1")
        .bind(survivor.0)
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(region.as_deref(), Some("华东"), "the later edit stays");

    let s = w.detail(&admin, survivor).await.unwrap();
    let m = w.detail(&admin, merged).await.expect("the merged record is back");
    assert_eq!(s.name, "华信科技");
    assert_eq!(s.email, None);
    assert_eq!(
        (s.order_count, m.order_count),
        (2, 1),
        "moved orders went back, the new one stayed"
    );
    assert_eq!(m.email.as_deref(), Some("sales@huaxin.example"));
    assert_eq!(m.contacts.len(), 1);
    assert_eq!(m.tags, vec!["VIP".to_owned()]);
    assert_eq!(
        dedupe::undo(&w.state, &admin, merge_id).await.unwrap_err(),
        AppError::NotFound,
        "only once"
    );
}

#[tokio::test]
async fn recommendations_come_from_what_similar_customers_bought() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let other: i64 = sqlx::query_scalar("insert into product (sku, name, unit_price_minor) values ('P2', '短信包', 5000) returning id")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    let buyer = w.customer(&admin, "甲公司", "").await;
    let peer = w.customer(&admin, "乙公司", "").await;
    w.order(&admin, buyer, 3).await.unwrap();
    w.order(&admin, peer, 3).await.unwrap();
    let both = OrderInput {
        customer_id: peer,
        lines: vec![OrderLineInput {
            product_id: Some(ProductId(other)),
            quantity: "1".into(),
            unit_price: String::new(),
        }],
        ..Default::default()
    };
    app::orders::service::add_order(&w.state, &admin, both).await.unwrap();
    let mut tx = w.db.pool.begin().await.unwrap();
    app::orders::repo::recompute_affinity(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let recommended = app::orders::repo::recommendations(&w.db.pool, buyer, 5).await.unwrap();
    assert_eq!(recommended.len(), 1);
    assert_eq!(recommended[0].product.id.0, other);
    assert!(
        app::orders::repo::recommendations(&w.db.pool, peer, 5).await.unwrap().is_empty(),
        "already bought everything"
    );
}

#[tokio::test]
async fn deleted_customers_wait_in_the_recycle_bin_and_come_back() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let id = w.customer(&admin, "待删除", "").await;
    service::delete(&w.state, &admin, id).await.unwrap();
    assert!(w.detail(&admin, id).await.is_none());
    assert_eq!(repo::deleted(&w.db.pool, None, 10).await.unwrap()[0].id, id);
    service::restore(&w.state, &admin, id).await.unwrap();
    assert!(w.detail(&admin, id).await.is_some());
}

#[tokio::test]
async fn the_bulk_loader_writes_consistent_customers_orders_and_indexes() {
    let db = TestDatabase::new().await;
    let plan = app::demo::bulk::Plan { customers: 3000, orders: 15_000, seed: 1 };
    let report = app::demo::bulk::load(&db.pool, plan, |_| {}).await.unwrap();
    assert_eq!(report.customers, 3000);
    assert!(
        (12_000..=15_000).contains(&report.orders),
        "about the planned orders: {}",
        report.orders
    );
    // Every customer's aggregates agree with its orders.
    let mismatched: i64 = sqlx::query_scalar(
        "select count(*) from customer c left join lateral (
             select count(*)::int as n, coalesce(sum(total_minor), 0)::bigint as total, max(ordered_at) as last
             from sales_order o where o.customer_id = c.id) a on true
         where c.order_count <> a.n or c.total_spend_minor <> a.total or c.last_order_at is distinct from a.last",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
    // The secondary indexes are back, and search and new writes work on the loaded data.
    let indexes: i64 = sqlx::query_scalar(
        "select count(*) from pg_indexes where indexname = 'customer_search_keys_idx'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(indexes, 1);
    let name: String =
        sqlx::query_scalar("select name from customer where kind = 'company' order by id limit 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let fragment: String = name.chars().skip(2).take(2).collect();
    let settings = repo::settings(&db.pool).await.unwrap();
    let filter = CustomerFilter { search: Some(fragment), ..Default::default() };
    let found = repo::list(&db.pool, &filter, None, None, 50, &settings).await.unwrap();
    assert!(!found.items.is_empty());
    let state = db.state();
    let admin = db
        .caller(
            sqlx::query_scalar::<_, i64>("select id from app_user where role = 'admin'")
                .fetch_one(&db.pool)
                .await
                .map(app::auth::model::UserId)
                .unwrap(),
        )
        .await
        .unwrap();
    let id = service::create(
        &state,
        &admin,
        CustomerInput { name: "新客户".into(), ..Default::default() },
        vec![],
    )
    .await
    .unwrap();
    assert!(id.0 > 3000, "identity continues after the loaded ids");
}

#[tokio::test]
async fn an_interaction_is_edited_from_the_version_read_and_its_timeline_follows() {
    use app::interactions::service as interactions;
    let w = World::new().await;
    let east = w.db.team("East").await;
    let west = w.db.team("West").await;
    let alice = w.caller("alice@example.com", Role::Member, Some(east)).await;
    let bob = w.caller("bob@example.com", Role::Member, Some(west)).await;
    let manager = w.caller("manager@example.com", Role::Manager, Some(east)).await;
    let customer = w.customer(&alice, "东方贸易", "13911112222").await;
    let other = w.customer(&alice, "别的客户", "13911113333").await;
    let input = InteractionInput {
        customer_id: customer,
        subject: "电话回访".into(),
        ..Default::default()
    };
    let id = interactions::log(&w.state, &alice, input.clone()).await.unwrap();
    let listed = || async {
        interactions::list(&w.state, customer, None, 20).await.unwrap().items.remove(0)
    };
    let first = listed().await;
    assert_eq!(first.version, 1);

    // The manager adds the outcome and mentions Alice.
    let mut edit = first.edit_input();
    edit.outcome = "客户同意试用，请 @alice@example.com 跟进".into();
    interactions::update(&w.state, &manager, id, 1, edit.clone()).await.unwrap();
    let edited = listed().await;
    assert_eq!((edited.version, edited.outcome.as_deref()), (2, Some(edit.outcome.as_str())));
    let timeline: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "select kind, data from timeline_event where customer_id = $1 and ref_id = $2 order by id",
    )
    .bind(customer.0)
    .bind(id)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(timeline.len(), 2);
    assert_eq!(timeline[0].1["outcome"], edit.outcome.as_str(), "the entry shows it as it now is");
    assert_eq!(timeline[1].0, "interaction_edited");
    assert_eq!(timeline[1].1["fields"], serde_json::json!(["outcome"]));
    let told: i64 = sqlx::query_scalar(
        "select count(*) from notification where user_id = $1 and kind = 'mention'",
    )
    .bind(alice.id().0)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(told, 1);

    // Alice, still on version 1, is told who changed what; nothing of hers is saved.
    let mut stale = first.edit_input();
    stale.subject = "改主题".into();
    match interactions::update(&w.state, &alice, id, 1, stale).await.unwrap_err() {
        AppError::ChangedMeanwhile { by, fields } => {
            assert_eq!(by, "manager@example.com");
            assert_eq!(fields, vec!["outcome".to_owned()]);
        }
        other => panic!("expected ChangedMeanwhile, got {other:?}"),
    }
    assert_eq!(listed().await.subject, "电话回访");

    // Out of scope: not found. Another customer's contact, or moving it: refused by field.
    assert_eq!(
        interactions::update(&w.state, &bob, id, 2, edit.clone()).await.unwrap_err(),
        AppError::NotFound
    );
    let contact: i64 = sqlx::query_scalar(
        "insert into contact (customer_id, name) values ($1, '王经理') returning id",
    )
    .bind(other.0)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    let foreign = InteractionInput { contact_id: Some(ContactId(contact)), ..edit.clone() };
    let refused = interactions::update(&w.state, &alice, id, 2, foreign).await.unwrap_err();
    assert_eq!(refused.field_errors().unwrap().get("contact_id"), &[FieldError::UnknownReference]);
    let moved = InteractionInput { customer_id: other, ..edit.clone() };
    let refused = interactions::update(&w.state, &alice, id, 2, moved).await.unwrap_err();
    assert_eq!(refused.field_errors().unwrap().get("customer_id"), &[FieldError::InvalidChoice]);
    // Saving what is already there changes nothing.
    interactions::update(&w.state, &alice, id, 2, edit).await.unwrap();
    assert_eq!(listed().await.version, 2);
}

#[tokio::test]
async fn a_deleted_interaction_leaves_the_timeline_and_comes_back_to_its_place() {
    use app::interactions::service as interactions;
    let w = World::new().await;
    let east = w.db.team("East").await;
    let west = w.db.team("West").await;
    let alice = w.caller("alice@example.com", Role::Member, Some(east)).await;
    let bob = w.caller("bob@example.com", Role::Member, Some(west)).await;
    let manager = w.caller("manager@example.com", Role::Manager, Some(east)).await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let customer = w.customer(&alice, "东方贸易", "13911112222").await;
    let occurred_at = Utc::now() - chrono::Duration::days(3);
    let input = InteractionInput {
        customer_id: customer,
        subject: "打错客户的电话".into(),
        occurred_at: Some(occurred_at),
        ..Default::default()
    };
    let id = interactions::log(&w.state, &alice, input).await.unwrap();
    let kept = interactions::log(
        &w.state,
        &alice,
        InteractionInput {
            customer_id: customer, subject: "留下的".into(), ..Default::default()
        },
    )
    .await
    .unwrap();
    let listed = || async {
        let page = interactions::list(&w.state, customer, None, 20).await.unwrap();
        page.items.iter().map(|i| (i.id, i.version)).collect::<Vec<_>>()
    };
    let entries = || async {
        sqlx::query_as::<_, (String, chrono::DateTime<Utc>)>(
            "select kind, at from timeline_event where customer_id = $1 and ref_id = $2 order by id",
        )
        .bind(customer.0)
        .bind(id)
        .fetch_all(&w.db.pool)
        .await
        .unwrap()
    };
    let mut edit = InteractionInput {
        customer_id: customer,
        subject: "打错客户的电话".into(),
        occurred_at: Some(occurred_at),
        ..Default::default()
    };
    edit.outcome = "应记在别的客户名下".into();
    interactions::update(&w.state, &manager, id, 1, edit).await.unwrap();

    // Out of scope: not found; from a stale version: who changed what; nothing moved.
    assert_eq!(interactions::delete(&w.state, &bob, id, 2).await.unwrap_err(), AppError::NotFound);
    match interactions::delete(&w.state, &alice, id, 1).await.unwrap_err() {
        AppError::ChangedMeanwhile { by, .. } => assert_eq!(by, "manager@example.com"),
        other => panic!("expected ChangedMeanwhile, got {other:?}"),
    }
    interactions::delete(&w.state, &alice, id, 2).await.unwrap();
    assert_eq!(listed().await.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![kept]);
    let kinds: Vec<String> = entries().await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, vec!["interaction_edited", "interaction_deleted"], "its entry left");
    let mut again = InteractionInput { customer_id: customer, ..Default::default() };
    again.subject = "改".into();
    assert_eq!(
        interactions::update(&w.state, &alice, id, 3, again).await.unwrap_err(),
        AppError::NotFound,
        "a deleted interaction cannot be edited"
    );
    let bin = interactions::deleted(&w.db.pool, None, 50).await.unwrap();
    assert_eq!(bin.items.iter().map(|b| b.id).collect::<Vec<_>>(), vec![id]);
    assert_eq!(bin.items[0].context.as_deref(), Some("东方贸易"));
    assert_eq!(bin.items[0].person.as_deref(), Some("alice@example.com"));
    assert_eq!(bin.items[0].deleted_by_name.as_deref(), Some("alice@example.com"));

    // Restored as it was, back at the time it happened.
    interactions::restore(&w.state, &admin, id).await.unwrap();
    assert_eq!(interactions::restore(&w.state, &admin, id).await.unwrap_err(), AppError::NotFound);
    assert_eq!(listed().await, vec![(kept, 1), (id, 4)]);
    let back = entries().await;
    assert_eq!(
        back.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        vec!["interaction_edited", "interaction_deleted", "interaction", "interaction_restored"]
    );
    assert_eq!(back[2].1.timestamp_micros(), occurred_at.timestamp_micros());
    let restored = interactions::list(&w.state, customer, None, 20).await.unwrap().items.remove(1);
    assert_eq!(restored.outcome.as_deref(), Some("应记在别的客户名下"));

    // Deleted again and purged after the period, with one audit entry naming it.
    interactions::delete(&w.state, &alice, id, 4).await.unwrap();
    let mut conn = w.db.pool.acquire().await.unwrap();
    assert_eq!(interactions::purge_deleted(&mut conn, 30, 500).await.unwrap(), 0, "not yet");
    sqlx::query("update interaction set deleted_at = now() - interval '31 days' where id = $1")
        .bind(id)
        .execute(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(interactions::purge_deleted(&mut conn, 30, 500).await.unwrap(), 1);
    assert_eq!(interactions::purge_deleted(&mut conn, 30, 500).await.unwrap(), 0);
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where entity_type = 'interaction' order by id",
    )
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(actions, vec!["create", "create", "update", "delete", "restore", "delete", "purge"]);
    assert_eq!(listed().await, vec![(kept, 1)]);
}
