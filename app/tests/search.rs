//! The global search against real Postgres: every kind found by the fragments people type
//! (Chinese names, phone and number fragments, email parts, ticket numbers), and nothing outside
//! the caller's scope.

use app::{
    auth::{model::Role, server::Authenticated},
    customers::{
        model::{ContactInput, CustomerInput, index_keys},
        service as customers,
    },
    i18n::Locale,
    leads::{model::LeadInput, service as leads},
    pipeline::{model::OpportunityInput, service as pipeline},
    search::{
        model::{SearchHit, SearchKind},
        repo::search,
    },
    testing::TestDatabase,
    tickets::{model::TicketInput, service as tickets},
};

async fn caller(db: &TestDatabase, email: &str, role: Role) -> Authenticated {
    let id = db.user(email, role, None, "a long enough password").await;
    db.caller(id).await.unwrap()
}

async fn found(db: &TestDatabase, who: &Authenticated, query: &str) -> Vec<SearchHit> {
    search(&db.pool, who, Locale::En, query).await.unwrap()
}

fn titles(hits: &[SearchHit], kind: SearchKind) -> Vec<&str> {
    hits.iter().filter(|h| h.kind == kind).map(|h| h.title.as_str()).collect()
}

#[tokio::test]
async fn the_sql_search_keys_equal_the_applications() {
    let db = TestDatabase::new().await;
    // Leads, opportunities, tickets and products get their keys from the SQL function; the
    // application computes a search fragment's keys: the two must cut text the same way.
    let texts = [
        "上海新华贸易有限公司",
        "张伟",
        "王",
        "Zhang Wei 13800138000",
        "sales@xinhua-trading.example.cn",
        "Café Müller GmbH",
        "ＡＢＣ 全角 ｘｙｚ",
        "订单 A-2024-0001 退款",
        "東京 とうきょう カタカナ",
        "a b c 12 123 1234",
        "",
        "  \u{1f}  ",
    ];
    for text in texts {
        let from_sql: Vec<i32> = sqlx::query_scalar("select unnest(search_keys_of($1))")
            .bind(text)
            .fetch_all(&db.pool)
            .await
            .unwrap();
        assert_eq!(from_sql, index_keys(text), "keys of {text:?}");
    }
}

#[tokio::test]
async fn every_kind_is_found_by_what_people_type_and_only_within_scope() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let admin = caller(&db, "admin@example.cn", Role::Admin).await;
    let member = caller(&db, "zhou@example.cn", Role::Member).await;
    let other = caller(&db, "wu@example.cn", Role::Member).await;

    let mine = customers::create(
        &state,
        &member,
        CustomerInput {
            name: "杭州西湖茶叶有限公司".into(),
            phone: "0571-8765 4321".into(),
            email: "tea@xihu.example.cn".into(),
            owner_id: Some(member.id()),
            ..Default::default()
        },
        vec![ContactInput {
            name: "林晓梅".into(),
            phone: "139 1234 5678".into(),
            is_primary: true,
            ..Default::default()
        }],
    )
    .await
    .unwrap();
    let theirs = customers::create(
        &state,
        &other,
        CustomerInput {
            name: "杭州龙井茶庄".into(),
            phone: "0571-1111 2222".into(),
            owner_id: Some(other.id()),
            ..Default::default()
        },
        vec![],
    )
    .await
    .unwrap();
    leads::create(
        &state,
        &member,
        LeadInput {
            name: "Chen Jing".into(),
            company: "Lakeside Teahouse".into(),
            email: "chen.jing@lakeside.example".into(),
            owner_id: Some(member.id()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    leads::create(
        &state,
        &other,
        LeadInput {
            name: "Lakeside Rival".into(),
            email: "rival@lakeside.example".into(),
            owner_id: Some(other.id()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let today = chrono::Utc::now().date_naive();
    pipeline::create(
        &state,
        &member,
        OpportunityInput {
            customer_id: Some(mine),
            title: "秋季龙井采购".into(),
            amount: "12000".into(),
            expected_close: Some(today),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    pipeline::create(
        &state,
        &other,
        OpportunityInput {
            customer_id: Some(theirs),
            title: "龙井年度合同".into(),
            amount: "50000".into(),
            expected_close: Some(today),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let my_ticket = tickets::create(
        &state,
        &member,
        TicketInput {
            customer_id: Some(mine),
            subject: "Leaking teapot lid".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let their_ticket = tickets::create(
        &state,
        &other,
        TicketInput {
            customer_id: Some(theirs),
            subject: "Invoice question".into(),
            assignee_id: Some(other.id()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    sqlx::query(
        "insert into product (sku, name, category, unit_price_minor) values
             ('TEA-LJ-250', '明前龙井 250g', '绿茶', 28800)",
    )
    .execute(&db.pool)
    .await
    .unwrap();

    // A customer by a phone fragment as typed, with punctuation; a contact by a mobile fragment.
    let hits = found(&db, &member, "8765-43").await;
    assert_eq!(titles(&hits, SearchKind::Customer), ["杭州西湖茶叶有限公司"]);
    let hits = found(&db, &member, "1234 567").await;
    assert_eq!(titles(&hits, SearchKind::Contact), ["林晓梅"]);
    let contact = hits.iter().find(|h| h.kind == SearchKind::Contact).unwrap();
    assert_eq!(contact.href.as_deref(), Some(format!("/customers/{}", mine.0).as_str()));

    // Two Chinese characters find customers, opportunities and products, within scope.
    let hits = found(&db, &member, "龙井").await;
    assert_eq!(titles(&hits, SearchKind::Opportunity), ["秋季龙井采购"]);
    assert_eq!(titles(&hits, SearchKind::Product), ["明前龙井 250g"]);
    assert!(titles(&hits, SearchKind::Customer).is_empty(), "another member's customer: {hits:?}");
    assert_eq!(
        hits.iter().find(|h| h.kind == SearchKind::Product).unwrap().href,
        None,
        "only admins open the product catalogue"
    );
    let hits = found(&db, &admin, "龙井").await;
    assert_eq!(titles(&hits, SearchKind::Customer), ["杭州龙井茶庄"]);
    assert_eq!(titles(&hits, SearchKind::Opportunity), ["龙井年度合同", "秋季龙井采购"]);
    assert_eq!(
        hits.iter().find(|h| h.kind == SearchKind::Product).unwrap().href.as_deref(),
        Some("/admin/products")
    );

    // Latin fragments, case-insensitively, in names, companies and emails.
    let hits = found(&db, &member, "LAKESIDE").await;
    assert_eq!(titles(&hits, SearchKind::Lead), ["Chen Jing"]);
    let hits = found(&db, &member, "jing@lake").await;
    assert_eq!(titles(&hits, SearchKind::Lead), ["Chen Jing"]);

    // Tickets by number (with or without its mark) and by subject words; another member's
    // assigned ticket of another's customer is not found even by its exact number.
    for typed in [format!("#{}", my_ticket.0), my_ticket.0.to_string()] {
        let hits = found(&db, &member, &typed).await;
        assert_eq!(
            titles(&hits, SearchKind::Ticket),
            [format!("#{} Leaking teapot lid", my_ticket.0)],
            "{typed}"
        );
    }
    assert_eq!(
        titles(&found(&db, &member, "teapot").await, SearchKind::Ticket),
        [format!("#{} Leaking teapot lid", my_ticket.0)]
    );
    assert!(
        titles(&found(&db, &member, &format!("#{}", their_ticket.0)).await, SearchKind::Ticket)
            .is_empty()
    );
    assert_eq!(
        titles(&found(&db, &admin, &format!("#{}", their_ticket.0)).await, SearchKind::Ticket),
        [format!("#{} Invoice question", their_ticket.0)]
    );

    // Nothing typed, nothing found; wildcards are taken literally.
    assert!(found(&db, &member, "   ").await.is_empty());
    assert!(found(&db, &admin, "%%%").await.is_empty());
}

#[tokio::test]
async fn the_lead_list_searches_through_its_index() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let admin = caller(&db, "admin@example.cn", Role::Admin).await;
    for (name, company) in
        [("李雷", "北京光华科技"), ("韩梅梅", "光明乳业"), ("Jim Green", "Green Farm")]
    {
        leads::create(
            &state,
            &admin,
            LeadInput {
                name: name.into(),
                company: company.into(),
                phone: "13800000000".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let names = |filter: &str| {
        let filter =
            app::leads::model::LeadFilter { search: Some(filter.to_owned()), ..Default::default() };
        let pool = db.pool.clone();
        async move {
            let page = leads::list(&pool, None, &filter, None, 10).await.unwrap();
            let mut names: Vec<String> = page.items.into_iter().map(|l| l.name).collect();
            names.sort();
            names
        }
    };
    assert_eq!(names("光").await, ["李雷", "韩梅梅"]);
    assert_eq!(names("光华").await, ["李雷"]);
    assert_eq!(names("green").await, ["Jim Green"]);
    // Two letters are too short for the index and still found, row by row.
    assert_eq!(names("ji").await, ["Jim Green"]);
}

#[tokio::test]
async fn the_ticket_list_finds_closed_tickets_and_lists_the_done_ones_newest_first() {
    use app::tickets::model::{Queue, TicketStatus};
    let db = TestDatabase::new().await;
    let state = db.state();
    let admin = caller(&db, "admin@example.cn", Role::Admin).await;
    let customer = customers::create(
        &state,
        &admin,
        CustomerInput { name: "工单检索客户".into(), ..Default::default() },
        vec![],
    )
    .await
    .unwrap();
    let open = |subject: &'static str| {
        let (state, admin) = (state.clone(), admin.clone());
        async move {
            let input = TicketInput {
                customer_id: Some(customer),
                subject: subject.into(),
                ..Default::default()
            };
            tickets::create(&state, &admin, input).await.unwrap()
        }
    };
    let old = open("发票抬头写错了").await;
    let newer = open("发票没有收到").await;
    let running = open("发货太慢").await;
    for id in [old, newer] {
        let version = tickets::detail(&db.pool, &admin, id).await.unwrap().row.version;
        tickets::set_status(&state, &admin, id, version, TicketStatus::Resolved).await.unwrap();
    }
    let subjects = |queue: Queue, search: Option<String>| {
        let (pool, admin) = (db.pool.clone(), admin.clone());
        async move {
            let search = search.as_deref();
            let page =
                tickets::queue_or_search(&pool, &admin, queue, search, None, 50).await.unwrap();
            page.items.into_iter().map(|t| t.subject).collect::<Vec<_>>()
        }
    };
    // A search looks through every ticket, closed ones too, whatever queue is chosen.
    let search = |text: &str| Some(text.to_owned());
    assert_eq!(subjects(Queue::Mine, search("发票")).await, ["发票没有收到", "发票抬头写错了"]);
    assert_eq!(
        subjects(Queue::Mine, search("发")).await,
        ["发货太慢", "发票没有收到", "发票抬头写错了"]
    );
    assert_eq!(subjects(Queue::Done, Some(format!("#{}", running.0))).await, ["发货太慢"]);
    // The done list: resolved and closed, newest first; the open queue does not hold them.
    assert_eq!(subjects(Queue::Done, None).await, ["发票没有收到", "发票抬头写错了"]);
    assert_eq!(subjects(Queue::AllOpen, None).await, ["发货太慢"]);
}

#[tokio::test]
async fn a_single_character_finds_the_newest_leads_opportunities_and_tickets_in_scope() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let admin = caller(&db, "admin@example.cn", Role::Admin).await;
    let member = caller(&db, "zhou@example.cn", Role::Member).await;
    let other = caller(&db, "wu@example.cn", Role::Member).await;
    let customer = async |who: &Authenticated, name: &str| {
        let input =
            CustomerInput { name: name.into(), owner_id: Some(who.id()), ..Default::default() };
        customers::create(&state, who, input, vec![]).await.unwrap()
    };
    let mine = customer(&member, "西湖茶社").await;
    let theirs = customer(&other, "龙井茶庄").await;
    for (who, name, phone) in [
        (&member, "王一", "13900000001"),
        (&member, "王二", "13900000002"),
        (&other, "王三", "13900000003"),
    ] {
        let input = LeadInput {
            name: name.into(),
            phone: phone.into(),
            owner_id: Some(who.id()),
            ..Default::default()
        };
        leads::create(&state, who, input).await.unwrap();
    }
    let today = chrono::Utc::now().date_naive();
    for (who, customer_id, title) in
        [(&member, mine, "王府井店铺装修"), (&other, theirs, "王府井年度合同")]
    {
        let input = OpportunityInput {
            customer_id: Some(customer_id),
            title: title.into(),
            amount: "1000".into(),
            expected_close: Some(today),
            ..Default::default()
        };
        pipeline::create(&state, who, input).await.unwrap();
    }
    for (who, customer_id, subject) in [(&member, mine, "王经理来电"), (&other, theirs, "王总投诉")]
    {
        let input = TicketInput {
            customer_id: Some(customer_id),
            subject: subject.into(),
            assignee_id: Some(who.id()),
            ..Default::default()
        };
        tickets::create(&state, who, input).await.unwrap();
    }

    let hits = found(&db, &member, "王").await;
    assert_eq!(titles(&hits, SearchKind::Lead), ["王二", "王一"], "newest first, only theirs");
    assert_eq!(titles(&hits, SearchKind::Opportunity), ["王府井店铺装修"]);
    let ticket_titles = titles(&hits, SearchKind::Ticket);
    assert_eq!(ticket_titles.len(), 1);
    assert!(ticket_titles[0].ends_with("王经理来电"), "{ticket_titles:?}");
    let hits = found(&db, &admin, "王").await;
    assert_eq!(titles(&hits, SearchKind::Lead), ["王三", "王二", "王一"]);
    assert_eq!(titles(&hits, SearchKind::Opportunity), ["王府井年度合同", "王府井店铺装修"]);
    assert_eq!(titles(&hits, SearchKind::Ticket).len(), 2);
}

#[tokio::test]
async fn a_common_fragment_shows_the_newest_matches_in_scope() {
    let db = TestDatabase::new().await;
    let member = caller(&db, "zhou@example.cn", Role::Member).await;
    let other = caller(&db, "wu@example.cn", Role::Member).await;
    // Sixty leads hold "茶叶": every key of it is common, so the newest are read first.
    sqlx::query(
        "insert into lead (name, owner_id, created_at)
         select '茶叶商行 ' || n, case when n % 2 = 0 then $1 else $2 end,
                now() - make_interval(mins => 100 - n)
         from generate_series(1, 60) as n",
    )
    .bind(member.id().0)
    .bind(other.id().0)
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query("analyze lead").execute(&db.pool).await.unwrap();
    let table = app::customers::repo::SearchedTable::Lead;
    let text = app::customers::model::TextMatch::of("茶叶").unwrap();
    assert!(
        app::customers::repo::newest_first_suits(&db.pool, table, &text, 5, 2_000).await.unwrap(),
        "the statistics call its keys common"
    );
    let hits = found(&db, &member, "茶叶").await;
    assert_eq!(
        titles(&hits, SearchKind::Lead),
        ["茶叶商行 60", "茶叶商行 58", "茶叶商行 56", "茶叶商行 54", "茶叶商行 52"]
    );
    // A fragment fewer of them hold is found however old, newest first.
    let hits = found(&db, &member, "商行 2").await;
    assert_eq!(
        titles(&hits, SearchKind::Lead),
        ["茶叶商行 28", "茶叶商行 26", "茶叶商行 24", "茶叶商行 22", "茶叶商行 20"]
    );
}
