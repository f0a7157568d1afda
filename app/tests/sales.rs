//! Leads, the pipeline board, stage moves, the forecast and tasks against real Postgres.

use app::{
    auth::{model::Role, server::Authenticated},
    customers::{
        model::{CustomerId, CustomerInput},
        service as customers,
    },
    error::{AppError, FieldError},
    leads::{
        model::{ConvertInput, LeadAction, LeadInput, LeadStatus, WebFormSubmission},
        service as leads,
    },
    pipeline::{
        model::{BoardFilter, OpportunityInput, QuotaCell, StageId, StageKind},
        service as pipeline,
    },
    state::AppState,
    tasks::{model::TaskInput, service as tasks},
    testing::TestDatabase,
};
use chrono::{Datelike, Duration, NaiveDate, Utc};

struct World {
    db: TestDatabase,
    state: AppState,
}

impl World {
    async fn new() -> Self {
        let db = TestDatabase::new().await;
        let state = db.state();
        World { db, state }
    }

    async fn caller(
        &self,
        email: &str,
        role: Role,
        team: Option<app::auth::model::TeamId>,
    ) -> Authenticated {
        let id = self.db.user(email, role, team, "a long enough password").await;
        self.db.caller(id).await.unwrap()
    }

    async fn customer(&self, caller: &Authenticated, name: &str, phone: &str) -> CustomerId {
        customers::create(
            &self.state,
            caller,
            CustomerInput { name: name.into(), phone: phone.into(), ..Default::default() },
            vec![],
        )
        .await
        .unwrap()
    }

    async fn stages(&self) -> Vec<(StageId, StageKind, i32)> {
        pipeline::pipeline(&self.db.pool, None)
            .await
            .unwrap()
            .stages
            .into_iter()
            .map(|s| (s.id, s.kind, s.probability))
            .collect()
    }

    async fn opportunity(
        &self,
        caller: &Authenticated,
        customer: CustomerId,
        title: &str,
        yuan: i64,
        close: NaiveDate,
    ) -> app::pipeline::model::OpportunityId {
        pipeline::create(
            &self.state,
            caller,
            OpportunityInput {
                customer_id: Some(customer),
                title: title.into(),
                amount: yuan.to_string(),
                expected_close: Some(close),
                ..Default::default()
            },
        )
        .await
        .unwrap()
    }
}

#[tokio::test]
async fn the_board_sums_columns_pages_them_and_moves_are_versioned() {
    let w = World::new().await;
    let rep = w.caller("rep@example.com", Role::Member, None).await;
    let customer = w.customer(&rep, "杭州云栖纺织", "13700000001").await;
    let close = Utc::now().date_naive() + Duration::days(20);
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(w.opportunity(&rep, customer, &format!("商机{n}"), 1000 * (n + 1), close).await);
    }
    let stages = w.stages().await;
    let (first, second, lost) =
        (stages[0].0, stages[1].0, stages.iter().find(|s| s.1 == StageKind::Lost).unwrap().0);
    let scope = rep.scope.visible_owners();

    // All five sit in the first stage: 15,000 in total, weighted at its 10 %.
    let board =
        pipeline::board(&w.db.pool, scope.as_deref(), &BoardFilter::default(), 2).await.unwrap();
    assert_eq!(board.columns[0].count, 5);
    assert_eq!(board.columns[0].total_minor, 1_500_000);
    assert_eq!(board.columns[0].weighted_minor, 150_000);
    assert_eq!(board.cards[0].len(), 2, "first page of the column");
    let page = pipeline::column_page(
        &w.db.pool,
        scope.as_deref(),
        &BoardFilter::default(),
        first,
        board.next[0],
        2,
    )
    .await
    .unwrap();
    let rest = pipeline::column_page(
        &w.db.pool,
        scope.as_deref(),
        &BoardFilter::default(),
        first,
        page.next,
        2,
    )
    .await
    .unwrap();
    let mut seen: Vec<_> =
        board.cards[0].iter().chain(&page.items).chain(&rest.items).map(|c| c.id).collect();
    seen.sort();
    assert_eq!(seen, ids, "every card once, none twice");
    assert_eq!(rest.next, None);

    // Two people move the same card from the same version: one wins, one is told.
    let card = pipeline::card(&w.db.pool, None, ids[0]).await.unwrap().unwrap();
    let moved =
        pipeline::move_to(&w.state, &rep, ids[0], card.version, second, None).await.unwrap();
    assert_eq!((moved.stage_id, moved.version), (second, card.version + 1));
    let late =
        pipeline::move_to(&w.state, &rep, ids[0], card.version, lost, Some("价格".into())).await;
    assert_eq!(
        late.unwrap_err(),
        AppError::ChangedMeanwhile {
            by: "rep@example.com".into(),
            fields: vec!["stage_id".into()]
        },
        "the refusal names who moved it"
    );
    let saved = pipeline::card(&w.db.pool, None, ids[0]).await.unwrap().unwrap();
    assert_eq!(saved.stage_id, second, "the first move stands");

    // Lost needs a reason; the history records the time spent in each stage.
    let no_reason =
        pipeline::move_to(&w.state, &rep, ids[0], saved.version, lost, Some(" ".into())).await;
    assert_eq!(
        no_reason.unwrap_err().field_errors().unwrap().get("lost_reason"),
        &[FieldError::Required]
    );
    let detail = pipeline::detail(&w.db.pool, None, ids[0]).await.unwrap();
    assert_eq!(detail.history.len(), 2);
    assert_eq!(detail.history[0].from_stage_id, Some(first));
    assert!(detail.history[0].seconds_in_stage.is_some());
    let timeline: Vec<String> = sqlx::query_scalar(
        "select kind from timeline_event where customer_id = $1 and ref_id = $2 order by id",
    )
    .bind(customer.0)
    .bind(ids[0].0)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(timeline, vec!["opportunity_created", "opportunity_stage"]);

    // Filters: by amount.
    let big = BoardFilter { min_amount_minor: Some(400_000), ..Default::default() };
    let board = pipeline::board(&w.db.pool, scope.as_deref(), &big, 10).await.unwrap();
    assert_eq!(board.columns.iter().map(|c| c.count).sum::<i64>(), 2);
}

#[tokio::test]
async fn a_member_cannot_reach_another_members_opportunity_by_its_id() {
    let w = World::new().await;
    let east = w.db.team("East").await;
    let west = w.db.team("West").await;
    let alice = w.caller("alice@example.com", Role::Member, Some(east)).await;
    let bob = w.caller("bob@example.com", Role::Member, Some(west)).await;
    let customer = w.customer(&bob, "西部物流", "13900000002").await;
    let close = Utc::now().date_naive();
    let bobs = w.opportunity(&bob, customer, "西部项目", 5000, close).await;
    let stage = w.stages().await[1].0;
    let card = pipeline::card(&w.db.pool, None, bobs).await.unwrap().unwrap();
    let scope = alice.scope.visible_owners();
    assert_eq!(
        pipeline::detail(&w.db.pool, scope.as_deref(), bobs).await.unwrap_err(),
        AppError::NotFound
    );
    assert_eq!(
        pipeline::move_to(&w.state, &alice, bobs, card.version, stage, None).await.unwrap_err(),
        AppError::NotFound
    );
    let board =
        pipeline::board(&w.db.pool, scope.as_deref(), &BoardFilter::default(), 10).await.unwrap();
    assert_eq!(board.columns.iter().map(|c| c.count).sum::<i64>(), 0);
    // Nor create one on Bob's customer.
    let stolen = pipeline::create(
        &w.state,
        &alice,
        OpportunityInput {
            customer_id: Some(customer),
            title: "x".into(),
            expected_close: Some(close),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        stolen.unwrap_err().field_errors().unwrap().get("customer_id"),
        &[FieldError::UnknownReference]
    );
}

#[tokio::test]
async fn the_list_view_finds_opportunities_by_title_or_next_step_in_scope_page_by_page() {
    let w = World::new().await;
    let east = w.db.team("East").await;
    let west = w.db.team("West").await;
    let alice = w.caller("alice@example.com", Role::Member, Some(east)).await;
    let bob = w.caller("bob@example.com", Role::Member, Some(west)).await;
    let customer = w.customer(&alice, "东部制造", "13900000001").await;
    let bobs_customer = w.customer(&bob, "西部物流", "13900000002").await;
    let today = Utc::now().date_naive();
    for (n, title) in ["华东扩容一期", "华东扩容二期", "华南新建"].iter().enumerate()
    {
        w.opportunity(&alice, customer, title, 1000, today + Duration::days(n as i64)).await;
    }
    let with_step = w.opportunity(&alice, customer, "年度维保", 500, today).await;
    let card = pipeline::card(&w.db.pool, None, with_step).await.unwrap().unwrap();
    pipeline::update(
        &w.state,
        &alice,
        with_step,
        card.version,
        OpportunityInput {
            title: "年度维保".into(),
            amount: "500".into(),
            expected_close: Some(today),
            next_step: "周五上门扩容评估".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    w.opportunity(&bob, bobs_customer, "西部扩容", 800, today).await;

    let scope = alice.scope.visible_owners();
    let filter = |text: &str| BoardFilter { search: Some(text.into()), ..Default::default() };
    let titles = |page: &app::paging::Page<app::pipeline::model::Card, _>| {
        page.items.iter().map(|c| c.title.clone()).collect::<Vec<_>>()
    };
    // By title and by next step, by close date (then age); Bob's is not Alice's to find.
    let found =
        pipeline::list(&w.db.pool, scope.as_deref(), &filter("扩容"), None, 50).await.unwrap();
    assert_eq!(titles(&found), ["华东扩容一期", "年度维保", "华东扩容二期"]);
    // Page by page, the search holds.
    let first =
        pipeline::list(&w.db.pool, scope.as_deref(), &filter("扩容"), None, 2).await.unwrap();
    assert_eq!(titles(&first), ["华东扩容一期", "年度维保"]);
    let rest =
        pipeline::list(&w.db.pool, scope.as_deref(), &filter("扩容"), first.next, 2).await.unwrap();
    assert_eq!((titles(&rest), rest.next), (vec!["华东扩容二期".to_owned()], None));
    // An admin finds Bob's too; a fragment in nothing finds nothing.
    let everyone = pipeline::list(&w.db.pool, None, &filter("扩容"), None, 50).await.unwrap();
    assert_eq!(everyone.items.len(), 4);
    let none = pipeline::list(&w.db.pool, None, &filter("不存在的词"), None, 50).await.unwrap();
    assert!(none.items.is_empty());
}

#[tokio::test]
async fn leads_are_routed_in_turn_followed_up_and_converted() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let a = w.caller("a@example.com", Role::Member, None).await;
    let b = w.caller("b@example.com", Role::Member, None).await;
    let routing = leads::routing(&w.db.pool).await.unwrap();
    leads::save_routing(
        &w.state,
        &admin,
        app::leads::model::Routing {
            members: vec![(a.id(), String::new()), (b.id(), String::new())],
            rules: vec![("广东".into(), b.id())],
            ..routing
        },
    )
    .await
    .unwrap();

    let lead = |name: &str, region: &str| LeadInput {
        name: name.into(),
        phone: "13800138000".into(),
        region: region.into(),
        ..Default::default()
    };
    let first = leads::create(&w.state, &admin, lead("一号", "浙江")).await.unwrap();
    let second = leads::create(&w.state, &admin, lead("二号", "浙江")).await.unwrap();
    let third = leads::create(&w.state, &admin, lead("三号", "浙江")).await.unwrap();
    let guangdong = leads::create(&w.state, &admin, lead("四号", "广东·深圳")).await.unwrap();
    let pool = &w.db.pool;
    let owner = |id| async move { leads::get(pool, None, id).await.unwrap().owner_id };
    assert_eq!(owner(first).await, Some(a.id()));
    assert_eq!(owner(second).await, Some(b.id()));
    assert_eq!(owner(third).await, Some(a.id()));
    assert_eq!(owner(guangdong).await, Some(b.id()), "the region rule comes first");

    // Not followed up within 24 hours: flagged, and the filter finds it.
    sqlx::query("update lead set created_at = now() - interval '25 hours' where id = $1")
        .bind(first.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let overdue = app::leads::model::LeadFilter { overdue: true, ..Default::default() };
    let page = leads::list(&w.db.pool, None, &overdue, None, 50).await.unwrap();
    assert_eq!(page.items.iter().map(|l| l.id).collect::<Vec<_>>(), vec![first]);
    let contacted =
        leads::set_status(&w.state, &a, first, 1, LeadStatus::Contacted, None).await.unwrap();
    assert!(!contacted.overdue && contacted.first_contacted_at.is_some());
    let stale = leads::set_status(&w.state, &a, first, 1, LeadStatus::Qualified, None).await;
    assert!(
        matches!(&stale, Err(AppError::ChangedMeanwhile { fields, .. }) if fields.contains(&"status".to_owned())),
        "{stale:?}"
    );
    let no_reason = leads::set_status(&w.state, &a, first, 2, LeadStatus::Disqualified, None).await;
    assert_eq!(
        no_reason.unwrap_err().field_errors().unwrap().get("reason"),
        &[FieldError::Required]
    );

    // A's own member scope cannot see B's lead.
    let scope = a.scope.visible_owners();
    assert_eq!(
        leads::get(&w.db.pool, scope.as_deref(), second).await.unwrap_err(),
        AppError::NotFound
    );

    // Converting: the existing customer with the same phone is offered; attaching to it
    // creates no second customer.
    let existing = w.customer(&a, "老客户", "138-0013-8000").await;
    let offered = leads::possible_customers(&w.db.pool, &a, third).await.unwrap();
    assert_eq!(
        offered.iter().map(|c| (c.id, c.matched_on.as_str())).collect::<Vec<_>>(),
        vec![(existing, "phone")]
    );
    let close = Some(Utc::now().date_naive() + Duration::days(30));
    let converted = leads::convert(
        &w.state,
        &a,
        third,
        1,
        ConvertInput {
            existing_customer: Some(existing),
            opportunity_title: "年度采购".into(),
            amount: "8000".into(),
            expected_close: close,
        },
    )
    .await
    .unwrap();
    assert_eq!(converted.customer_id, existing);
    let lead = leads::get(&w.db.pool, None, third).await.unwrap();
    assert_eq!(
        (lead.status, lead.opportunity_id),
        (LeadStatus::Converted, Some(converted.opportunity_id))
    );
    let again = leads::convert(&w.state, &a, third, lead.version, ConvertInput::default()).await;
    assert_eq!(
        again.unwrap_err().field_errors().unwrap().get("status"),
        &[FieldError::InvalidChoice]
    );

    // Without a match, conversion creates the customer; a bad opportunity rolls it all back.
    let company = leads::create(
        &w.state,
        &admin,
        LeadInput {
            name: "周敏".into(),
            company: "宁波海晨贸易有限公司".into(),
            email: "zhou@haichen.example".into(),
            owner_id: Some(a.id()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let customers_before: i64 =
        sqlx::query_scalar("select count(*) from customer").fetch_one(&w.db.pool).await.unwrap();
    let bad = leads::convert(
        &w.state,
        &a,
        company,
        1,
        ConvertInput { opportunity_title: " ".into(), expected_close: close, ..Default::default() },
    )
    .await;
    assert_eq!(bad.unwrap_err().field_errors().unwrap().get("title"), &[FieldError::Required]);
    let customers_after: i64 =
        sqlx::query_scalar("select count(*) from customer").fetch_one(&w.db.pool).await.unwrap();
    assert_eq!(customers_before, customers_after, "nothing half-converted");
    let done = leads::convert(
        &w.state,
        &a,
        company,
        1,
        ConvertInput {
            opportunity_title: "外贸软件".into(),
            expected_close: close,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let name: String = sqlx::query_scalar("select name from customer where id = $1")
        .bind(done.customer_id.0)
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(name, "宁波海晨贸易有限公司");
    let contact: String = sqlx::query_scalar("select name from contact where customer_id = $1")
        .bind(done.customer_id.0)
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(contact, "周敏");
}

#[tokio::test]
async fn a_lead_is_edited_and_reassigned_in_scope_with_its_history_and_stale_edits_refused() {
    let w = World::new().await;
    let east = w.db.team("East").await;
    let west = w.db.team("West").await;
    let a = w.caller("a@example.com", Role::Member, Some(east)).await;
    let b = w.caller("b@example.com", Role::Member, Some(east)).await;
    let c = w.caller("c@example.com", Role::Member, Some(west)).await;
    // Signed in last, so the team they see holds a and b.
    let manager = w.caller("m@example.com", Role::Manager, Some(east)).await;
    let input =
        LeadInput { name: "林先生".into(), phone: "13900000009".into(), ..Default::default() };
    let id = leads::create(&w.state, &a, input.clone()).await.unwrap();

    // The owner corrects the phone: one new version, one history line naming the change.
    let corrected = LeadInput { phone: "13900000010".into(), owner_id: None, ..input.clone() };
    let edited = leads::update(&w.state, &a, id, 1, corrected.clone()).await.unwrap();
    assert_eq!((edited.version, edited.phone.as_deref()), (2, Some("13900000010")));
    // Saving the same values again changes nothing.
    let same = leads::update(&w.state, &a, id, 2, corrected.clone()).await.unwrap();
    assert_eq!(same.version, 2);

    // Bad input is refused at its field, and nothing is saved.
    let nameless = LeadInput { name: " ".into(), ..corrected.clone() };
    let refused = leads::update(&w.state, &manager, id, 2, nameless).await.unwrap_err();
    assert_eq!(refused.field_errors().unwrap().get("name"), &[FieldError::Required]);

    // A manager who opened version 1 is told who changed what meanwhile.
    let stale = leads::update(
        &w.state,
        &manager,
        id,
        1,
        LeadInput { region: "上海".into(), ..input.clone() },
    )
    .await
    .unwrap_err();
    assert_eq!(
        stale,
        AppError::ChangedMeanwhile { by: "a@example.com".into(), fields: vec!["phone".into()] }
    );

    // Another team's member reaches neither the lead nor its edit.
    let scope = c.scope.visible_owners();
    assert_eq!(leads::detail(&w.db.pool, &c, id).await.unwrap_err(), AppError::NotFound);
    assert_eq!(
        leads::update(&w.state, &c, id, 2, corrected.clone()).await.unwrap_err(),
        AppError::NotFound
    );
    assert!(leads::get(&w.db.pool, scope.as_deref(), id).await.is_err());
    // Nor may the manager hand it to someone outside their scope.
    let outside = LeadInput { owner_id: Some(c.id()), ..corrected.clone() };
    let refused = leads::update(&w.state, &manager, id, 2, outside).await.unwrap_err();
    assert_eq!(refused.field_errors().unwrap().get("owner_id"), &[FieldError::OwnerOutOfScope]);

    // Reassigned to b, who is told.
    let to_b = LeadInput { owner_id: Some(b.id()), ..corrected.clone() };
    let reassigned = leads::update(&w.state, &manager, id, 2, to_b).await.unwrap();
    assert_eq!((reassigned.owner_id, reassigned.version), (Some(b.id()), 3));
    let inbox = app::notifications::service::inbox(&w.db.pool, b.id(), None, 10).await.unwrap();
    assert_eq!(inbox.unread, 1);
    assert_eq!(inbox.items[0].href(), format!("/leads/{}", id.0));

    // The page's history: created for a, the phone, the owner, each by whom, owners by name.
    let detail = leads::detail(&w.db.pool, &b, id).await.unwrap();
    let lines: Vec<_> = detail
        .history
        .iter()
        .map(|e| (e.action, e.by.clone().unwrap_or_default(), e.changes.clone()))
        .collect();
    let some = |v: &str| Some(v.to_owned());
    assert_eq!(
        lines,
        vec![
            (
                LeadAction::Created,
                "a@example.com".to_owned(),
                vec![("owner_id".to_owned(), None, some("a@example.com"))]
            ),
            (
                LeadAction::Edited,
                "a@example.com".to_owned(),
                vec![("phone".to_owned(), some("13900000009"), some("13900000010"))]
            ),
            (
                LeadAction::Edited,
                "m@example.com".to_owned(),
                vec![("owner_id".to_owned(), some("a@example.com"), some("b@example.com"))]
            ),
        ]
    );

    // Once converted, a lead is final: its customer and opportunity carry on.
    let converted = leads::convert(
        &w.state,
        &b,
        id,
        3,
        ConvertInput {
            opportunity_title: "首单".into(),
            amount: "100".into(),
            expected_close: Some(Utc::now().date_naive()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let detail = leads::detail(&w.db.pool, &b, id).await.unwrap();
    assert_eq!(detail.customer_name.as_deref(), Some("林先生"));
    assert_eq!(detail.opportunity_title.as_deref(), Some("首单"));
    assert_eq!(detail.lead.customer_id, Some(converted.customer_id));
    assert_eq!(detail.history.last().unwrap().action, LeadAction::Converted);
    let final_edit = leads::update(&w.state, &b, id, detail.lead.version, corrected).await;
    assert_eq!(
        final_edit.unwrap_err().field_errors().unwrap().get("status"),
        &[FieldError::InvalidChoice]
    );
}

#[tokio::test]
async fn quotas_are_set_per_month_in_scope_and_a_stale_save_is_refused() {
    let w = World::new().await;
    let east = w.db.team("East").await;
    let west = w.db.team("West").await;
    let a = w.caller("a@example.com", Role::Member, Some(east)).await;
    let c = w.caller("c@example.com", Role::Member, Some(west)).await;
    let other_manager = w.caller("m2@example.com", Role::Manager, Some(east)).await;
    // Signed in last, so the team they see holds everyone above in East.
    let manager = w.caller("m@example.com", Role::Manager, Some(east)).await;
    let scope = manager.scope.visible_owners();
    let december = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();

    // Everyone in the manager's team, twelve empty months each; West is not there.
    let grid = pipeline::quota_grid(&w.db.pool, scope.as_deref(), 2026).await.unwrap();
    let owners: Vec<_> = grid.rows.iter().map(|r| r.owner_name.as_str()).collect();
    assert_eq!(owners, ["a@example.com", "m2@example.com", "m@example.com"]);
    assert!(
        grid.rows.iter().all(|r| r.cells.len() == 12 && r.cells.iter().all(|c| c.version == 0))
    );

    // Any day names its month; money as people write it.
    let first = pipeline::save_quota(
        &w.state,
        &manager,
        a.id(),
        december.with_day(15).unwrap(),
        "150,000",
        0,
    )
    .await
    .unwrap();
    assert_eq!(first, QuotaCell { month: december, amount_minor: Some(15_000_000), version: 1 });

    // The other manager had the empty cell open: refused, told who set it.
    let stale = pipeline::save_quota(&w.state, &other_manager, a.id(), december, "90000", 0)
        .await
        .unwrap_err();
    assert_eq!(
        stale,
        AppError::ChangedMeanwhile {
            by: "m@example.com".into(),
            fields: vec!["amount_minor".into()]
        }
    );
    let second = pipeline::save_quota(&w.state, &other_manager, a.id(), december, "160000", 1)
        .await
        .unwrap();
    assert_eq!(second.version, 2);

    // A bad amount is refused at its field; someone outside the team cannot be given one.
    let bad = pipeline::save_quota(&w.state, &manager, a.id(), december, "十万", 2).await;
    assert_eq!(
        bad.unwrap_err().field_errors().unwrap().get("amount"),
        &[FieldError::InvalidNumber]
    );
    let outside = pipeline::save_quota(&w.state, &manager, c.id(), december, "1", 0).await;
    assert_eq!(
        outside.unwrap_err().field_errors().unwrap().get("owner_id"),
        &[FieldError::OwnerOutOfScope]
    );

    // The grid and the forecast both hold the second value.
    let grid = pipeline::quota_grid(&w.db.pool, scope.as_deref(), 2026).await.unwrap();
    let december_of_a = &grid.rows[0].cells[11];
    assert_eq!((december_of_a.amount_minor, december_of_a.version), (Some(16_000_000), 2));
    let forecast = pipeline::forecast(&w.db.pool, scope.as_deref(), december, 1).await.unwrap();
    let quota: i64 =
        forecast.cells.iter().filter(|c| c.owner_id == Some(a.id())).map(|c| c.quota_minor).sum();
    assert_eq!(quota, 16_000_000);
}

#[tokio::test]
async fn web_forms_take_leads_drop_bots_and_slow_down_floods() {
    let w = World::new().await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let form = leads::create_form(&w.state, &admin, "官网").await.unwrap();
    assert_eq!(form.key.len(), 36);
    let ip = Some("203.0.113.9".parse().unwrap());
    let submission = |name: &str| WebFormSubmission {
        name: name.into(),
        email: "visitor@example.com".into(),
        ..Default::default()
    };
    let id = leads::submit_form(&w.db.pool, &form.key, submission("访客"), ip).await.unwrap();
    assert!(id.is_some());
    let bot = WebFormSubmission { website: "http://spam.example".into(), ..submission("bot") };
    assert_eq!(leads::submit_form(&w.db.pool, &form.key, bot, ip).await.unwrap(), None, "honeypot");
    assert_eq!(
        leads::submit_form(&w.db.pool, "no-such-form", submission("x"), ip).await.unwrap_err(),
        leads::FormRefusal::UnknownForm
    );
    let invalid = leads::submit_form(&w.db.pool, &form.key, WebFormSubmission::default(), ip).await;
    assert!(matches!(invalid, Err(leads::FormRefusal::Invalid(AppError::Validation(_)))));
    for n in 1..leads::FORM_SUBMISSIONS_PER_10_MIN {
        leads::submit_form(&w.db.pool, &form.key, submission(&format!("访客{n}")), ip)
            .await
            .unwrap();
    }
    assert_eq!(
        leads::submit_form(&w.db.pool, &form.key, submission("再来"), ip).await.unwrap_err(),
        leads::FormRefusal::Throttled
    );
    let other = Some("198.51.100.7".parse().unwrap());
    assert!(
        leads::submit_form(&w.db.pool, &form.key, submission("别人"), other).await.is_ok(),
        "per address"
    );
    let count: i64 = sqlx::query_scalar("select count(*) from lead where source = 'web_form'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(count, leads::FORM_SUBMISSIONS_PER_10_MIN + 1);
}

#[tokio::test]
async fn the_forecast_weighs_by_stage_and_by_history_and_snapshots_compare_with_won() {
    let w = World::new().await;
    let rep = w.caller("rep@example.com", Role::Member, None).await;
    let customer = w.customer(&rep, "年度客户", "13600000003").await;
    let today = Utc::now().date_naive();
    let this_month = NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&today),
        chrono::Datelike::month(&today),
        28,
    )
    .unwrap();
    let stages = w.stages().await;
    let proposal = stages.iter().find(|s| s.2 == 50).unwrap().0;
    let negotiation = stages.iter().find(|s| s.2 == 75).unwrap().0;
    let won = stages.iter().find(|s| s.1 == StageKind::Won).unwrap().0;
    let lost = stages.iter().find(|s| s.1 == StageKind::Lost).unwrap().0;

    // History: from Proposal, the rep won 1 of 4 (25 % instead of the stage's 50 %).
    for (n, outcome) in [won, lost, lost, lost].into_iter().enumerate() {
        let id = w.opportunity(&rep, customer, &format!("旧{n}"), 100, this_month).await;
        let card = pipeline::move_to(&w.state, &rep, id, 1, proposal, None).await.unwrap();
        pipeline::move_to(&w.state, &rep, id, card.version, outcome, Some("预算".into()))
            .await
            .unwrap();
    }
    let open = w.opportunity(&rep, customer, "新项目", 10_000, this_month).await;
    pipeline::move_to(&w.state, &rep, open, 1, proposal, None).await.unwrap();
    let big = w.opportunity(&rep, customer, "大项目", 20_000, this_month).await;
    pipeline::move_to(&w.state, &rep, big, 1, negotiation, None).await.unwrap();

    let forecast = pipeline::forecast(&w.db.pool, None, today, 3).await.unwrap();
    let cell = forecast.cells.iter().find(|c| c.owner_id == Some(rep.id())).unwrap();
    assert_eq!(cell.won_minor, 10_000, "the one old win");
    assert_eq!(cell.weighted_minor, 500_000 + 1_500_000, "50 % of 10,000 + 75 % of 20,000");
    assert_eq!(cell.historical_minor, 250_000 + 1_500_000, "25 % from history; no history at 75 %");
    assert_eq!(cell.committed_minor, 2_000_000 + 10_000, "at 70 % or more, plus won");
    assert_eq!(cell.best_case_minor, 3_000_000 + 10_000);
    let lines =
        pipeline::forecast_lines(&w.db.pool, None, this_month, Some(rep.id())).await.unwrap();
    assert_eq!(
        lines.iter().map(|l| (l.title.as_str(), l.historical_probability)).collect::<Vec<_>>(),
        vec![("大项目", 75), ("新项目", 25)]
    );

    // A snapshot of a past month is compared with what was won in it.
    let last_month = this_month.checked_sub_months(chrono::Months::new(1)).unwrap();
    sqlx::query("insert into forecast_snapshot values ($1, $2, $3, 50000, 50000, 50000, 50000)")
        .bind(last_month - Duration::days(20))
        .bind(
            NaiveDate::from_ymd_opt(
                chrono::Datelike::year(&last_month),
                chrono::Datelike::month(&last_month),
                1,
            )
            .unwrap(),
        )
        .bind(rep.id().0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let forecast = pipeline::forecast(&w.db.pool, None, today, 3).await.unwrap();
    assert_eq!(forecast.accuracy.len(), 1);
    assert_eq!((forecast.accuracy[0].forecast_minor, forecast.accuracy[0].won_minor), (50_000, 0));
    assert_eq!(forecast.accuracy[0].percent(), Some(0));
    assert!(pipeline::snapshot_forecast(&w.db.pool, today).await.unwrap() >= 1);
}

#[tokio::test]
async fn recurring_tasks_come_back_and_reminders_go_out_once() {
    let w = World::new().await;
    let rep = w.caller("rep@example.com", Role::Member, None).await;
    let customer = w.customer(&rep, "回访客户", "13500000004").await;
    let id = tasks::create(
        &w.state,
        &rep,
        TaskInput {
            title: "季度回访".into(),
            customer_id: Some(customer),
            due_at: Some(Utc::now() - Duration::minutes(1)),
            repeat_days: "30".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(tasks::remind_due_once(&w.db.pool).await.unwrap(), 1);
    assert_eq!(tasks::remind_due_once(&w.db.pool).await.unwrap(), 0, "once");
    assert_eq!(tasks::due_unannounced(&w.db.pool, rep.id()).await.unwrap().len(), 1);
    let day = tasks::my_day(&w.db.pool, rep.id(), Utc::now() + Duration::hours(1)).await.unwrap();
    assert_eq!(day.overdue.iter().map(|t| t.id).collect::<Vec<_>>(), vec![id]);

    let next = tasks::complete(&w.state, &rep, id, 1).await.unwrap().expect("a next occurrence");
    assert_eq!(
        tasks::complete(&w.state, &rep, id, 1).await.unwrap_err(),
        AppError::ChangedMeanwhile { by: "rep@example.com".into(), fields: vec!["done_at".into()] }
    );
    let due: chrono::DateTime<Utc> = sqlx::query_scalar("select due_at from task where id = $1")
        .bind(next.0)
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert!((due - Utc::now() - Duration::days(30)).num_minutes().abs() < 2);
    let open = tasks::for_record(&w.db.pool, None, Some(customer), None, None).await.unwrap();
    assert_eq!(open.iter().map(|t| t.id).collect::<Vec<_>>(), vec![next]);

    // Someone else's task is not the caller's to complete.
    let other = w.caller("other@example.com", Role::Member, None).await;
    assert_eq!(tasks::complete(&w.state, &other, next, 1).await.unwrap_err(), AppError::NotFound);
}

#[tokio::test]
async fn a_lead_csv_imports_once_and_reports_its_bad_rows() {
    let w = World::new().await;
    let rep = w.caller("rep@example.com", Role::Member, None).await;
    let file = "姓名,公司,电话,邮箱,地区\n\
                陈静,厦门海晨科技,13912345678,,福建·厦门\n\
                李强,,12,,\n\
                王芳,广州致远,,wang@zhiyuan.example,广东·广州\n\
                陈静（重复）,厦门海晨科技,139-1234-5678,,\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(file);
    let report = leads::import(&w.state, &rep, &gbk).await.unwrap();
    assert_eq!((report.created, report.duplicates), (2, 1), "the same phone later in the file");
    assert_eq!(report.rejected, vec![(3, "phone".to_owned(), FieldError::InvalidPhone)]);
    let again = leads::import(&w.state, &rep, file.as_bytes()).await.unwrap();
    assert_eq!((again.created, again.duplicates), (0, 3), "importing twice adds nothing");
    let names: Vec<String> =
        sqlx::query_scalar("select name from lead where source = 'import' order by id")
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(names, vec!["陈静", "王芳"]);
    let no_names = leads::import(&w.state, &rep, "电话\n13900000000\n".as_bytes()).await;
    assert_eq!(no_names.unwrap_err().field_errors().unwrap().get("file"), &[FieldError::Required]);
}

#[tokio::test]
async fn an_opportunity_edit_checks_the_version_names_who_changed_it_and_keeps_a_trail() {
    let w = World::new().await;
    let east = w.db.team("East").await;
    let west = w.db.team("West").await;
    let rep = w.caller("rep@example.com", Role::Member, Some(east)).await;
    let manager = w.caller("manager@example.com", Role::Manager, Some(east)).await;
    let outsider = w.caller("outsider@example.com", Role::Member, Some(west)).await;
    let customer = w.customer(&rep, "宁波海曙五金", "13600000007").await;
    let close = Utc::now().date_naive() + Duration::days(30);
    let id = w.opportunity(&rep, customer, "年度采购", 8000, close).await;
    let product: i64 = sqlx::query_scalar(
        "insert into product (sku, name, unit_price_minor, currency) values ('P-1', '五金套装', 150000, 'CNY')
         returning id",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    let edit = |title: &str, amount: &str| OpportunityInput {
        title: title.into(),
        amount: amount.into(),
        expected_close: Some(close + Duration::days(7)),
        next_step: "发送报价".into(),
        lines: vec![app::pipeline::model::OpportunityLineInput {
            product_id: Some(app::orders::model::ProductId(product)),
            quantity: "2".into(),
        }],
        ..Default::default()
    };

    // The manager edits first: amount from the product lines, owner kept, a new version.
    let saved =
        pipeline::update(&w.state, &manager, id, 1, edit("年度采购（扩大）", "")).await.unwrap();
    assert_eq!((saved.amount_minor, saved.version), (300_000, 2));
    assert_eq!(saved.owner_id, Some(rep.id()), "the owner stays unless changed");
    let detail = pipeline::detail(&w.db.pool, None, id).await.unwrap();
    assert_eq!(detail.next_step.as_deref(), Some("发送报价"));
    assert_eq!(detail.lines.len(), 1);
    assert_eq!((detail.lines[0].quantity, detail.lines[0].unit_price_minor), (2, 150_000));

    // The rep saves from the version they opened: refused, naming the manager and the fields.
    let stale = pipeline::update(&w.state, &rep, id, 1, edit("年度采购", "9000")).await;
    let AppError::ChangedMeanwhile { by, fields } = stale.unwrap_err() else {
        panic!("a stale edit must name who changed the opportunity")
    };
    assert_eq!(by, "manager@example.com");
    for field in ["title", "amount_minor", "expected_close", "next_step", "products"] {
        assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
    }
    let after = pipeline::card(&w.db.pool, None, id).await.unwrap().unwrap();
    assert_eq!((after.title.as_str(), after.amount_minor), ("年度采购（扩大）", 300_000));

    // One audit entry and one timeline event per saved edit; an edit that changes nothing
    // writes neither.
    let unchanged = pipeline::update(&w.state, &rep, id, 2, edit("年度采购（扩大）", "")).await;
    assert_eq!(unchanged.unwrap().version, 2, "nothing changed, no new version");
    let audits: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where entity_type = 'opportunity' and entity_id = $1 and action = 'update'",
    )
    .bind(id.0.to_string())
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(audits, 1);
    let edited: Vec<serde_json::Value> = sqlx::query_scalar(
        "select data from timeline_event where ref_id = $1 and kind = 'opportunity_updated'",
    )
    .bind(id.0)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(edited.len(), 1);
    assert!(edited[0]["fields"].as_array().unwrap().contains(&serde_json::json!("amount_minor")));

    // An id swap from outside the scope finds nothing, and a new owner outside it is refused.
    let swapped = pipeline::update(&w.state, &outsider, id, 2, edit("x", "1")).await;
    assert_eq!(swapped.unwrap_err(), AppError::NotFound);
    let to_outsider = OpportunityInput { owner_id: Some(outsider.id()), ..edit("y", "1") };
    let refused = pipeline::update(&w.state, &rep, id, 2, to_outsider).await.unwrap_err();
    assert_eq!(refused.field_errors().unwrap().get("owner_id"), &[FieldError::OwnerOutOfScope]);
    // A product the catalogue does not have is refused at its own line.
    let mut unknown = edit("z", "");
    unknown.lines.push(app::pipeline::model::OpportunityLineInput {
        product_id: Some(app::orders::model::ProductId(product + 999)),
        quantity: "1".into(),
    });
    let refused = pipeline::update(&w.state, &rep, id, 2, unknown).await.unwrap_err();
    assert_eq!(
        refused.field_errors().unwrap().get("lines.1.product_id"),
        &[FieldError::UnknownReference]
    );
}

#[tokio::test]
async fn tasks_are_edited_reassigned_deleted_restored_and_purged_with_an_audit_trail() {
    let w = World::new().await;
    let east = w.db.team("East").await;
    let west = w.db.team("West").await;
    let rep = w.caller("rep@example.com", Role::Member, Some(east)).await;
    let colleague = w.caller("colleague@example.com", Role::Member, Some(east)).await;
    let manager = w.caller("manager@example.com", Role::Manager, Some(east)).await;
    let outsider = w.caller("outsider@example.com", Role::Member, Some(west)).await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let customer = w.customer(&rep, "温州瓯海眼镜", "13600000008").await;
    let due = Utc::now() + Duration::hours(3);
    let input = |title: &str, assignee: Option<app::auth::model::UserId>| TaskInput {
        title: title.into(),
        customer_id: Some(customer),
        due_at: Some(due),
        assignee_id: assignee,
        ..Default::default()
    };
    let id = tasks::create(&w.state, &rep, input("寄样品", None)).await.unwrap();

    let day = |who: app::auth::model::UserId| {
        let pool = w.db.pool.clone();
        async move {
            let day = tasks::my_day(&pool, who, Utc::now() + Duration::days(1)).await.unwrap();
            day.today.iter().chain(&day.upcoming).map(|t| t.title.clone()).collect::<Vec<_>>()
        }
    };
    // The manager rewords it; the rep, saving from version 1, is told who changed what.
    tasks::update(&w.state, &manager, id, 1, input("寄样品并回电", None)).await.unwrap();
    let stale = tasks::update(&w.state, &rep, id, 1, input("寄样品", None)).await.unwrap_err();
    let AppError::ChangedMeanwhile { by, fields } = stale else { panic!("{stale:?}") };
    assert_eq!((by.as_str(), fields), ("manager@example.com", vec!["title".to_owned()]));
    // Then reassigns it to a colleague: it leaves the rep's day for the colleague's, and the
    // rep no longer reaches it.
    tasks::update(&w.state, &manager, id, 2, input("寄样品并回电", Some(colleague.id())))
        .await
        .unwrap();
    assert!(day(rep.id()).await.is_empty());
    assert_eq!(day(colleague.id()).await, vec!["寄样品并回电"]);
    assert_eq!(
        tasks::update(&w.state, &rep, id, 3, input("x", None)).await.unwrap_err(),
        AppError::NotFound
    );
    // Someone from another team reaches nothing by the id, and cannot be given the task.
    assert_eq!(
        tasks::update(&w.state, &outsider, id, 3, input("x", None)).await.unwrap_err(),
        AppError::NotFound
    );
    assert_eq!(tasks::delete(&w.state, &outsider, id, 3).await.unwrap_err(), AppError::NotFound);
    let away = tasks::update(&w.state, &colleague, id, 3, input("x", Some(outsider.id())));
    assert_eq!(
        away.await.unwrap_err().field_errors().unwrap().get("assignee_id"),
        &[FieldError::OwnerOutOfScope]
    );
    // A new due time makes the reminder due again.
    sqlx::query("update task set reminded_at = now() where id = $1")
        .bind(id.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let later = TaskInput {
        due_at: Some(due + Duration::days(1)),
        ..input("寄样品并回电", Some(colleague.id()))
    };
    tasks::update(&w.state, &colleague, id, 3, later).await.unwrap();
    let reminded: Option<chrono::DateTime<Utc>> =
        sqlx::query_scalar("select reminded_at from task where id = $1")
            .bind(id.0)
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(reminded, None);

    // Deleted: gone from every list, in the recycle bin, back with its links when restored.
    tasks::delete(&w.state, &colleague, id, 4).await.unwrap();
    assert!(day(colleague.id()).await.is_empty());
    assert!(
        tasks::for_record(&w.db.pool, None, Some(customer), None, None).await.unwrap().is_empty()
    );
    assert_eq!(
        tasks::complete(&w.state, &colleague, id, 5).await.unwrap_err(),
        AppError::NotFound,
        "a deleted task cannot be completed"
    );
    let bin = tasks::deleted(&w.db.pool, None, 50).await.unwrap();
    assert_eq!(bin.items.len(), 1);
    assert_eq!(bin.items[0].deleted_by_name.as_deref(), Some("colleague@example.com"));
    tasks::restore(&w.state, &admin, id).await.unwrap();
    assert_eq!(tasks::restore(&w.state, &admin, id).await.unwrap_err(), AppError::NotFound);
    let back = tasks::for_record(&w.db.pool, None, Some(customer), None, None).await.unwrap();
    assert_eq!(
        back.iter().map(|t| (t.id, t.customer_id)).collect::<Vec<_>>(),
        vec![(id, Some(customer))]
    );
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where entity_type = 'task' and entity_id = $1 order by id",
    )
    .bind(id.0.to_string())
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(actions, ["create", "update", "update", "update", "delete", "restore"]);

    // The purge takes what has been in the bin longer than the company keeps it, and says so.
    tasks::delete(&w.state, &colleague, id, 6).await.unwrap();
    let fresh = tasks::create(&w.state, &rep, input("新任务", None)).await.unwrap();
    tasks::delete(&w.state, &rep, fresh, 1).await.unwrap();
    sqlx::query("update task set deleted_at = now() - interval '31 days' where id = $1")
        .bind(id.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let mut conn = w.db.pool.acquire().await.unwrap();
    assert_eq!(tasks::purge_deleted(&mut conn, 30, 500).await.unwrap(), 1);
    assert_eq!(tasks::purge_deleted(&mut conn, 30, 500).await.unwrap(), 0, "nothing twice");
    let left: Vec<i64> =
        sqlx::query_scalar("select id from task").fetch_all(&w.db.pool).await.unwrap();
    assert_eq!(left, vec![fresh.0], "the recent deletion stays restorable");
    let purge: serde_json::Value = sqlx::query_scalar(
        "select before from audit_log where entity_type = 'task' and action = 'purge'",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(purge["ids"], serde_json::json!([id.0]));
    assert_eq!(purge["older_than_days"], 30);
}

#[tokio::test]
async fn a_deleted_lead_leaves_every_list_and_comes_back_or_is_purged_after_the_period() {
    let w = World::new().await;
    let west = w.db.team("华东").await;
    let east = w.db.team("华南").await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let rep = w.caller("rep@example.com", Role::Member, Some(west)).await;
    let other = w.caller("other@example.com", Role::Member, Some(east)).await;
    let lead = |name: &str| LeadInput {
        name: name.into(),
        phone: "13800138001".into(),
        owner_id: Some(rep.id()),
        ..Default::default()
    };
    let spam = leads::create(&w.state, &rep, lead("垃圾线索")).await.unwrap();
    let kept = leads::create(&w.state, &rep, lead("真实线索")).await.unwrap();
    let listed = |caller: &Authenticated| {
        let scope = caller.scope.visible_owners();
        let pool = w.db.pool.clone();
        async move {
            let filter = app::leads::model::LeadFilter::default();
            leads::list(&pool, scope.as_deref(), &filter, None, 50)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|l| l.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(&rep).await, vec![kept, spam]);

    // Out of scope, stale, or converted: refused, nothing moved.
    assert_eq!(leads::delete(&w.state, &other, spam, 1).await.unwrap_err(), AppError::NotFound);
    leads::set_status(&w.state, &rep, spam, 1, LeadStatus::Contacted, None).await.unwrap();
    assert!(matches!(
        leads::delete(&w.state, &rep, spam, 1).await.unwrap_err(),
        AppError::ChangedMeanwhile { .. }
    ));
    leads::delete(&w.state, &rep, spam, 2).await.unwrap();
    assert_eq!(listed(&rep).await, vec![kept]);
    assert_eq!(listed(&admin).await, vec![kept], "gone from everyone's list");
    assert_eq!(
        leads::detail(&w.db.pool, &rep, spam).await.unwrap_err(),
        AppError::NotFound,
        "its page is gone too"
    );
    let bin = leads::deleted(&w.db.pool, None, 50).await.unwrap();
    assert_eq!(bin.items.iter().map(|l| l.id).collect::<Vec<_>>(), vec![spam.0]);
    assert_eq!(bin.items[0].deleted_by_name.as_deref(), Some("rep@example.com"));

    // Restored as it was, with the deletion and restore in its history.
    leads::restore(&w.state, &admin, spam).await.unwrap();
    assert_eq!(leads::restore(&w.state, &admin, spam).await.unwrap_err(), AppError::NotFound);
    let back = leads::detail(&w.db.pool, &rep, spam).await.unwrap();
    assert_eq!(back.lead.status, LeadStatus::Contacted);
    let actions: Vec<LeadAction> = back.history.iter().map(|h| h.action).collect();
    assert_eq!(&actions[actions.len() - 2..], [LeadAction::Deleted, LeadAction::Restored]);

    // The purge takes what has been in the bin longer than the company keeps it, and says so;
    // a lead a task still names waits for the task.
    leads::delete(&w.state, &rep, spam, back.lead.version).await.unwrap();
    leads::delete(&w.state, &rep, kept, 1).await.unwrap();
    tasks::create(
        &w.state,
        &rep,
        TaskInput {
            title: "回电".into(),
            lead_id: Some(kept.0),
            due_at: Some(Utc::now() + Duration::days(1)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    sqlx::query("update lead set deleted_at = now() - interval '31 days'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    let mut conn = w.db.pool.acquire().await.unwrap();
    assert_eq!(leads::purge_deleted(&mut conn, 30, 500).await.unwrap(), 1);
    assert_eq!(leads::purge_deleted(&mut conn, 30, 500).await.unwrap(), 0, "nothing twice");
    let left: Vec<i64> =
        sqlx::query_scalar("select id from lead").fetch_all(&w.db.pool).await.unwrap();
    assert_eq!(left, vec![kept.0]);
    let purge: serde_json::Value = sqlx::query_scalar(
        "select before from audit_log where entity_type = 'lead' and action = 'purge'",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(purge["names"], serde_json::json!(["垃圾线索"]));
}

#[tokio::test]
async fn a_deleted_opportunity_leaves_the_board_and_the_forecast_until_restored() {
    let w = World::new().await;
    let team = w.db.team("华东").await;
    let elsewhere = w.db.team("华南").await;
    let admin = w.caller("admin@example.com", Role::Admin, None).await;
    let rep = w.caller("rep@example.com", Role::Member, Some(team)).await;
    let other = w.caller("other@example.com", Role::Member, Some(elsewhere)).await;
    let customer = w.customer(&rep, "杭州云栖纺织", "13700000001").await;
    let close = Utc::now().date_naive() + Duration::days(5);
    let duplicate = w.opportunity(&rep, customer, "重复录入", 8000, close).await;
    let kept = w.opportunity(&rep, customer, "年度合同", 2000, close).await;
    let scope = rep.scope.visible_owners();
    let board_total = || async {
        let board = pipeline::board(&w.db.pool, scope.as_deref(), &BoardFilter::default(), 10)
            .await
            .unwrap();
        (board.columns[0].count, board.columns[0].total_minor)
    };
    let best_case = || async {
        pipeline::forecast(&w.db.pool, scope.as_deref(), Utc::now().date_naive(), 2)
            .await
            .unwrap()
            .cells
            .iter()
            .map(|c| c.best_case_minor)
            .sum::<i64>()
    };
    assert_eq!(board_total().await, (2, 1_000_000));
    assert_eq!(best_case().await, 1_000_000);

    assert_eq!(
        pipeline::delete(&w.state, &other, duplicate, 1).await.unwrap_err(),
        AppError::NotFound
    );
    pipeline::delete(&w.state, &rep, duplicate, 1).await.unwrap();
    assert_eq!(board_total().await, (1, 200_000));
    assert_eq!(best_case().await, 200_000);
    assert!(
        pipeline::detail(&w.db.pool, scope.as_deref(), duplicate).await.is_err(),
        "its page is gone"
    );
    assert_eq!(
        pipeline::move_to(&w.state, &rep, duplicate, 2, w.stages().await[1].0, None)
            .await
            .unwrap_err(),
        AppError::NotFound
    );
    let bin = pipeline::deleted(&w.db.pool, None, 50).await.unwrap();
    assert_eq!(bin.items.iter().map(|o| o.id).collect::<Vec<_>>(), vec![duplicate.0]);
    let timeline: Vec<String> = sqlx::query_scalar(
        "select kind from timeline_event where customer_id = $1 and kind like 'opportunity_%' order by id",
    )
    .bind(customer.0)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(timeline.last().map(String::as_str), Some("opportunity_deleted"));

    // A won one stays: it is part of the results.
    let won = w.stages().await.into_iter().find(|s| s.1 == StageKind::Won).unwrap().0;
    pipeline::move_to(&w.state, &rep, kept, 1, won, None).await.unwrap();
    let refused = pipeline::delete(&w.state, &rep, kept, 2).await.unwrap_err();
    assert_eq!(refused.field_errors().unwrap().get("stage_id"), &[FieldError::ClosedOpportunity]);

    pipeline::restore(&w.state, &admin, duplicate).await.unwrap();
    assert_eq!(board_total().await.1, 800_000, "back on the board (the won one has moved)");
    assert_eq!(
        pipeline::restore(&w.state, &admin, duplicate).await.unwrap_err(),
        AppError::NotFound
    );

    // Purged after the period, with its stage history, one audit entry naming it.
    pipeline::delete(&w.state, &rep, duplicate, 3).await.unwrap();
    sqlx::query("update opportunity set deleted_at = now() - interval '31 days' where id = $1")
        .bind(duplicate.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let mut conn = w.db.pool.acquire().await.unwrap();
    assert_eq!(pipeline::purge_deleted(&mut conn, 30, 500).await.unwrap(), 1);
    assert_eq!(pipeline::purge_deleted(&mut conn, 30, 500).await.unwrap(), 0);
    let left: Vec<i64> =
        sqlx::query_scalar("select id from opportunity").fetch_all(&w.db.pool).await.unwrap();
    assert_eq!(left, vec![kept.0]);
}
