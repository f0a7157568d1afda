//! Tickets, SLA clocks, claiming, and surveys by email through a real SMTP sink, against real
//! Postgres.

use app::{
    auth::{model::Role, server::Authenticated},
    customers::{
        model::{CustomerId, CustomerInput},
        service as customers,
    },
    error::{AppError, FieldError},
    state::Settings,
    surveys::{
        model::{AnswerValue, SendTarget},
        service as surveys,
    },
    testing::{Background, SmtpSink, TestDatabase},
    tickets::{
        model::{
            BusinessCalendar, MessageKind, Queue, TicketId, TicketInput, TicketPriority,
            TicketStatus,
        },
        service as tickets,
    },
};
use chrono::{DateTime, Duration, Utc};

async fn caller(
    db: &TestDatabase,
    email: &str,
    role: Role,
    team: Option<app::auth::model::TeamId>,
) -> Authenticated {
    let id = db.user(email, role, team, "a long enough password").await;
    db.caller(id).await.unwrap()
}

async fn customer(
    state: &app::state::AppState,
    owner: &Authenticated,
    name: &str,
    email: &str,
) -> CustomerId {
    customers::create(
        state,
        owner,
        CustomerInput { name: name.into(), email: email.into(), ..Default::default() },
        vec![],
    )
    .await
    .unwrap()
}

/// Puts a customer in the top tier by a manual override, as an admin would.
async fn make_top_tier(db: &TestDatabase, id: CustomerId) {
    sqlx::query(
        "insert into customer_score (customer_id, override_tier_id, override_reason)
         select $1, id, 'VIP' from tier where position = 1 and active
         on conflict (customer_id) do update set override_tier_id = excluded.override_tier_id,
             override_reason = excluded.override_reason",
    )
    .bind(id.0)
    .execute(&db.pool)
    .await
    .unwrap();
}

async fn due_times(
    db: &TestDatabase,
    id: TicketId,
) -> (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>) {
    sqlx::query_as(
        "select created_at, first_response_due, resolution_due from ticket where id = $1",
    )
    .bind(id.0)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

async fn calendar(db: &TestDatabase) -> BusinessCalendar {
    let mut conn = db.pool.acquire().await.unwrap();
    tickets::calendar(&mut conn).await.unwrap()
}

fn ticket_for(customer: CustomerId, subject: &str, priority: TicketPriority) -> TicketInput {
    TicketInput {
        customer_id: Some(customer),
        subject: subject.into(),
        priority,
        ..Default::default()
    }
}

#[tokio::test]
async fn top_tier_customers_get_the_tighter_sla_counted_in_business_hours() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let agent = caller(&db, "agent@example.com", Role::Admin, None).await;
    let vip = customer(&state, &agent, "华为技术", "").await;
    let plain = customer(&state, &agent, "小张便利店", "").await;
    make_top_tier(&db, vip).await;

    let vip_ticket =
        tickets::create(&state, &agent, ticket_for(vip, "无法登录", TicketPriority::Normal))
            .await
            .unwrap();
    let plain_ticket =
        tickets::create(&state, &agent, ticket_for(plain, "无法登录", TicketPriority::Normal))
            .await
            .unwrap();
    let calendar = calendar(&db).await;
    // Normal priority: 60 / 480 business minutes for the top tier, 240 / 1440 for the rest.
    let (created, first, resolution) = due_times(&db, vip_ticket).await;
    assert_eq!(first, calendar.add_business_minutes(created, 60));
    assert_eq!(resolution, calendar.add_business_minutes(created, 480));
    let (created, first, resolution) = due_times(&db, plain_ticket).await;
    assert_eq!(first, calendar.add_business_minutes(created, 240));
    assert_eq!(resolution, calendar.add_business_minutes(created, 1440));
    assert_eq!(calendar.business_minutes_between(created, first), 240);

    // Urgent tickets run around the clock.
    let urgent =
        tickets::create(&state, &agent, ticket_for(plain, "机房断电", TicketPriority::Urgent))
            .await
            .unwrap();
    let (created, first, _) = due_times(&db, urgent).await;
    assert_eq!(first - created, Duration::minutes(30));

    let detail = tickets::detail(&db.pool, &agent, vip_ticket).await.unwrap();
    assert!(detail.row.tier_name_en.is_some());
    assert_eq!(detail.first_response_minutes, Some(60));
}

#[tokio::test]
async fn replies_stop_the_first_response_clock_and_waiting_pauses_resolution() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let agent = caller(&db, "agent@example.com", Role::Manager, None).await;
    let id = customer(&state, &agent, "远东贸易", "").await;
    // Around the clock, so the arithmetic below does not depend on the hour the test runs.
    sqlx::query("update sla_policy set business_hours = false").execute(&db.pool).await.unwrap();
    let ticket = tickets::create(&state, &agent, ticket_for(id, "发票错误", TicketPriority::High))
        .await
        .unwrap();
    tickets::reply(&state, &agent, ticket, MessageKind::Note, "查一下开票系统").await.unwrap();
    let detail = tickets::detail(&db.pool, &agent, ticket).await.unwrap();
    assert!(detail.row.first_responded_at.is_none(), "an internal note is not a response");
    tickets::reply(&state, &agent, ticket, MessageKind::Reply, "您好，我们正在处理").await.unwrap();
    let detail = tickets::detail(&db.pool, &agent, ticket).await.unwrap();
    assert!(detail.row.first_responded_at.is_some());
    assert_eq!(detail.row.status, TicketStatus::Open);
    assert_eq!(detail.row.sla_due_at, Some(detail.row.resolution_due));
    let error = tickets::reply(&state, &agent, ticket, MessageKind::Reply, "  ").await.unwrap_err();
    assert_eq!(error.field_errors().unwrap().get("body"), &[FieldError::Required]);

    // Waiting on the customer for two hours moves the resolution deadline by two hours.
    let before = detail.row.resolution_due;
    tickets::set_status(&state, &agent, ticket, detail.row.version, TicketStatus::Waiting)
        .await
        .unwrap();
    let paused = tickets::detail(&db.pool, &agent, ticket).await.unwrap();
    assert_eq!(paused.row.sla_due_at, None);
    sqlx::query("update ticket set paused_at = paused_at - interval '2 hours' where id = $1")
        .bind(ticket.0)
        .execute(&db.pool)
        .await
        .unwrap();
    tickets::reply(&state, &agent, ticket, MessageKind::Customer, "我补充了发票号").await.unwrap();
    let resumed = tickets::detail(&db.pool, &agent, ticket).await.unwrap();
    assert_eq!(resumed.row.status, TicketStatus::Open);
    let moved = resumed.row.resolution_due - before;
    assert!((moved - Duration::hours(2)).num_seconds().abs() < 5, "moved by {moved}");

    // A follow-up task on the ticket carries the ticket's customer.
    let task = app::tasks::model::TaskInput {
        title: "回访发票问题".into(),
        ticket_id: Some(ticket),
        due_at: Some(Utc::now() + Duration::days(1)),
        ..Default::default()
    };
    app::tasks::service::create(&state, &agent, task).await.unwrap();
    let on_ticket =
        app::tasks::service::for_record(&db.pool, None, None, None, Some(ticket)).await.unwrap();
    assert_eq!(on_ticket.len(), 1);
    assert_eq!(on_ticket[0].customer_id, Some(id));
    assert_eq!(on_ticket[0].ticket_subject.as_deref(), Some("发票错误"));

    // A stale version is refused; a move that is not allowed from here too.
    let stale =
        tickets::set_status(&state, &agent, ticket, paused.row.version, TicketStatus::Resolved)
            .await;
    assert!(
        matches!(&stale, Err(AppError::ChangedMeanwhile { fields, .. }) if fields == &["status"]),
        "{stale:?}"
    );
    let wrong =
        tickets::set_status(&state, &agent, ticket, resumed.row.version, TicketStatus::Reopened)
            .await;
    assert_eq!(
        wrong.unwrap_err().field_errors().unwrap().get("status"),
        &[FieldError::InvalidChoice]
    );
}

#[tokio::test]
async fn late_clocks_are_recorded_as_breaches_once() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let agent = caller(&db, "agent@example.com", Role::Admin, None).await;
    let id = customer(&state, &agent, "迟到客户", "").await;
    let ticket = tickets::create(&state, &agent, ticket_for(id, "没人回", TicketPriority::Low))
        .await
        .unwrap();
    sqlx::query(
        "update ticket set first_response_due = now() - interval '1 minute',
             resolution_due = now() - interval '1 minute', created_at = now() - interval '1 hour'
         where id = $1",
    )
    .bind(ticket.0)
    .execute(&db.pool)
    .await
    .unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(tickets::record_breaches(&mut conn, None).await.unwrap(), 2);
    assert_eq!(tickets::record_breaches(&mut conn, None).await.unwrap(), 0);
    let detail = tickets::detail(&db.pool, &agent, ticket).await.unwrap();
    assert!(detail.first_response_breached && detail.resolution_breached);
    let breaching = tickets::queue(&db.pool, &agent, Queue::BreachingSoon, None, 50).await.unwrap();
    assert_eq!(breaching.items.iter().map(|t| t.id).collect::<Vec<_>>(), vec![ticket]);
    let report = tickets::report(&db.pool, &agent, 30).await.unwrap();
    assert_eq!(report.breaches, 2);
    assert_eq!(report.sla_attainment_percent, Some(0.0));
}

#[tokio::test]
async fn two_agents_claiming_at_once_end_with_one_owner_and_a_clear_refusal() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let team = db.team("客服一组").await;
    let lin = caller(&db, "lin@example.com", Role::Member, Some(team)).await;
    let wang = caller(&db, "wang@example.com", Role::Member, Some(team)).await;
    let admin = caller(&db, "admin@example.com", Role::Admin, None).await;
    let id = customer(&state, &admin, "抢单客户", "").await;
    let ticket = tickets::create(&state, &admin, ticket_for(id, "退货", TicketPriority::Normal))
        .await
        .unwrap();
    // Unassigned tickets are visible to agents so they can claim them.
    let unassigned = tickets::queue(&db.pool, &lin, Queue::Unassigned, None, 50).await.unwrap();
    assert_eq!(unassigned.items.len(), 1);

    for _ in 0..20 {
        sqlx::query("update ticket set assignee_id = null where id = $1")
            .bind(ticket.0)
            .execute(&db.pool)
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            tickets::claim(&state, &lin, ticket),
            tickets::claim(&state, &wang, ticket)
        );
        let owner: Option<i64> = sqlx::query_scalar("select assignee_id from ticket where id = $1")
            .bind(ticket.0)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        match (a, b) {
            (Ok(()), Err(AppError::AlreadyClaimed { by })) => {
                assert_eq!(by, "lin@example.com");
                assert_eq!(owner, Some(lin.id().0));
            }
            (Err(AppError::AlreadyClaimed { by }), Ok(())) => {
                assert_eq!(by, "wang@example.com");
                assert_eq!(owner, Some(wang.id().0));
            }
            other => panic!("expected one claim and one refusal, got {other:?}"),
        }
    }
    // The winner's own queue has it; a second claim by the owner is harmless.
    let owner = if tickets::claim(&state, &lin, ticket).await.is_ok() { &lin } else { &wang };
    let mine = tickets::queue(&db.pool, owner, Queue::Mine, None, 50).await.unwrap();
    assert_eq!(mine.items.len(), 1);
}

#[tokio::test]
async fn members_never_reach_another_teams_ticket_by_id() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let east = db.team("East").await;
    let west = db.team("West").await;
    let alice = caller(&db, "alice@example.com", Role::Member, Some(east)).await;
    let bob = caller(&db, "bob@example.com", Role::Member, Some(west)).await;
    let id = customer(&state, &bob, "西部客户", "").await;
    let input = TicketInput {
        assignee_id: Some(bob.id()),
        ..ticket_for(id, "西部问题", TicketPriority::Normal)
    };
    let ticket = tickets::create(&state, &bob, input).await.unwrap();
    assert_eq!(tickets::detail(&db.pool, &alice, ticket).await.unwrap_err(), AppError::NotFound);
    assert_eq!(tickets::claim(&state, &alice, ticket).await.unwrap_err(), AppError::NotFound);
    let reply = tickets::reply(&state, &alice, ticket, MessageKind::Reply, "hi").await;
    assert_eq!(reply.unwrap_err(), AppError::NotFound);
    let all = tickets::queue(&db.pool, &alice, Queue::AllOpen, None, 50).await.unwrap();
    assert!(all.items.is_empty());
    // Nor can she open a ticket on Bob's customer.
    let foreign = tickets::create(&state, &alice, ticket_for(id, "x", TicketPriority::Low))
        .await
        .unwrap_err();
    assert_eq!(foreign.field_errors().unwrap().get("customer_id"), &[FieldError::UnknownReference]);
}

fn token_in(text: &str) -> String {
    let start = text.find("/s/").expect("a survey link") + 3;
    text[start..].chars().take_while(|c| c.is_ascii_hexdigit()).collect()
}

#[tokio::test]
async fn resolving_emails_a_single_use_survey_and_a_detractor_opens_a_follow_up() {
    let sink = SmtpSink::start().await;
    let db = TestDatabase::new().await;
    let state = db.state_with(Settings {
        smtp_url: Some(sink.smtp_url.clone()),
        public_url: "http://crm.example.com".into(),
        ..Settings::default()
    });
    let workers = Background::start(&state);
    let owner = caller(&db, "owner@example.com", Role::Manager, None).await;
    let agent = caller(&db, "agent@example.com", Role::Admin, None).await;
    // The owner records that this customer reads English, as on the customer form.
    let id = customers::create(
        &state,
        &owner,
        CustomerInput {
            name: "不满意客户".into(),
            email: "buyer@example.com".into(),
            locale: app::i18n::Locale::En,
            ..Default::default()
        },
        vec![],
    )
    .await
    .unwrap();
    let ticket =
        tickets::create(&state, &agent, ticket_for(id, "Broken delivery", TicketPriority::Normal))
            .await
            .unwrap();
    tickets::reply(&state, &agent, ticket, MessageKind::Reply, "Sorry, sending a new one")
        .await
        .unwrap();
    let version = tickets::detail(&db.pool, &agent, ticket).await.unwrap().row.version;
    tickets::set_status(&state, &agent, ticket, version, TicketStatus::Resolved).await.unwrap();

    // The reply went to the same address as an email of its own.
    let message = sink.message_about("buyer@example.com", "Service satisfaction", 20).await;
    let text = message["text"].as_str().unwrap();
    assert!(text.contains("http://crm.example.com/s/"), "{text}");
    let token = token_in(text);
    assert_eq!(token.len(), 64);

    let public = surveys::public_survey(&db.pool, &token).await.unwrap();
    assert_eq!(public.locale, app::i18n::Locale::En);
    // A required question left out is refused, and the link still works afterwards.
    let refused = surveys::answer(&state, &token, vec![]).await.unwrap_err();
    assert_eq!(refused.field_errors().unwrap().get("q0"), &[FieldError::Required]);
    let followup = surveys::answer(
        &state,
        &token,
        vec![AnswerValue::Score(1), AnswerValue::Skipped, AnswerValue::Text("Took a week".into())],
    )
    .await
    .unwrap()
    .expect("a detractor's answer opens a follow-up ticket");
    let follow = tickets::detail(&db.pool, &agent, followup).await.unwrap();
    assert_eq!(follow.row.assignee_id, Some(owner.id()), "the customer's owner follows up");
    assert!(follow.survey_answer_id.is_some());
    assert_eq!(follow.messages[0].body, "Took a week");

    // Single use.
    assert_eq!(
        surveys::answer(&state, &token, vec![AnswerValue::Score(5)]).await.unwrap_err(),
        AppError::LinkUsed
    );
    assert_eq!(surveys::public_survey(&db.pool, &token).await.unwrap_err(), AppError::LinkUsed);
    // Unknown or malformed tokens learn nothing.
    assert_eq!(
        surveys::public_survey(&db.pool, &"0".repeat(64)).await.unwrap_err(),
        AppError::NotFound
    );
    assert_eq!(
        surveys::public_survey(&db.pool, "../../etc").await.unwrap_err(),
        AppError::NotFound
    );

    // The answer is on the customer's timeline and in the results.
    let timeline = app::customers::timeline::repo::list(&db.pool, id, None, 50).await.unwrap();
    assert!(timeline.items.iter().any(|e| e.kind == "survey_answered" && e.data["csat"] == 1));
    let service = tickets::customer_service(&db.pool, &owner, id).await.unwrap();
    assert_eq!(service.last_csat, Some(1));
    let survey_id: i64 = sqlx::query_scalar("select survey_id from survey_recipient limit 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let results = surveys::results(&db.pool, survey_id, &owner.scope).await.unwrap();
    assert_eq!((results.sent, results.answered, results.csat_percent), (1, 1, Some(0.0)));
    assert_eq!(results.texts[0].text, "Took a week");
    // The one answer in each grouping: this week, the agent who had the ticket, the
    // customer's tier (or none).
    let today = app::testing::company_today(&db.pool).await;
    let monday =
        today - Duration::days(chrono::Datelike::weekday(&today).num_days_from_monday() as i64);
    let weeks: Vec<_> = results.by_week.iter().map(|g| (g.week, g.answers)).collect();
    assert_eq!(weeks, vec![(Some(monday), 1)]);
    let agents: Vec<_> = results.by_agent.iter().map(|g| (g.label.as_str(), g.answers)).collect();
    assert_eq!(agents, vec![(agent.user.display_name.as_str(), 1)]);
    assert_eq!(results.by_agent[0].csat_percent, Some(0.0));
    assert_eq!(results.by_tier.iter().map(|g| g.answers).sum::<i64>(), 1);

    // Resolving again (after a reopen) does not survey the same ticket twice.
    let version = tickets::detail(&db.pool, &agent, ticket).await.unwrap().row.version;
    tickets::set_status(&state, &agent, ticket, version, TicketStatus::Reopened).await.unwrap();
    let version = tickets::detail(&db.pool, &agent, ticket).await.unwrap().row.version;
    tickets::set_status(&state, &agent, ticket, version, TicketStatus::Resolved).await.unwrap();
    // The second resolution's survey job has run, and found the ticket surveyed already.
    workers.settled(20).await;
    let queued: i64 = sqlx::query_scalar(
        "select count(*) from job where kind = 'survey_after_resolution' and status = 'succeeded'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(queued, 2, "each resolution queued its survey job");
    let recipients: i64 = sqlx::query_scalar("select count(*) from survey_recipient")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(recipients, 1);
}

#[tokio::test]
async fn expired_links_are_refused_and_happy_answers_open_nothing() {
    let sink = SmtpSink::start().await;
    let db = TestDatabase::new().await;
    let state =
        db.state_with(Settings { smtp_url: Some(sink.smtp_url.clone()), ..Settings::default() });
    let _workers = Background::start(&state);
    let owner = caller(&db, "owner@example.com", Role::Admin, None).await;
    let happy = customer(&state, &owner, "满意客户", "happy@example.com").await;
    let late = customer(&state, &owner, "迟到客户", "late@example.com").await;
    let survey_id: i64 =
        sqlx::query_scalar("select id from survey limit 1").fetch_one(&db.pool).await.unwrap();
    for id in [happy, late] {
        let outcome =
            surveys::send(&state, &owner, survey_id, SendTarget::Customer(id)).await.unwrap();
        assert_eq!(outcome.recipients, 1);
    }
    let happy_token =
        token_in(sink.message_to("happy@example.com", 20).await["text"].as_str().unwrap());
    let late_token =
        token_in(sink.message_to("late@example.com", 20).await["text"].as_str().unwrap());
    // The Chinese-speaking customer gets a Chinese email.
    assert!(
        sink.message_to("happy@example.com", 1).await["subject"]
            .as_str()
            .unwrap()
            .contains("服务满意度")
    );

    sqlx::query("update survey_recipient set expires_at = now() - interval '1 second' where email = 'late@example.com'")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        surveys::public_survey(&db.pool, &late_token).await.unwrap_err(),
        AppError::LinkExpired
    );
    let expired = surveys::answer(&state, &late_token, vec![AnswerValue::Score(5)]).await;
    assert_eq!(expired.unwrap_err(), AppError::LinkExpired);

    let followup =
        surveys::answer(&state, &happy_token, vec![AnswerValue::Score(5), AnswerValue::Score(10)])
            .await
            .unwrap();
    assert_eq!(followup, None);
    let results = surveys::results(&db.pool, survey_id, &owner.scope).await.unwrap();
    assert_eq!(
        (results.promoters, results.nps, results.csat_percent),
        (1, Some(100.0), Some(100.0))
    );
    // A manager whose team owns none of these customers sees none of their answers or
    // recipients (the results once showed every recipient company-wide).
    let north = db.team("North").await;
    let manager = caller(&db, "north.manager@example.com", Role::Manager, Some(north)).await;
    let scoped = surveys::results(&db.pool, survey_id, &manager.scope).await.unwrap();
    assert_eq!((scoped.sent, scoped.answered, scoped.promoters), (0, 0, 0));
    assert!(scoped.recipients.is_empty() && scoped.texts.is_empty());
    assert!(scoped.by_week.is_empty() && scoped.by_agent.is_empty() && scoped.by_tier.is_empty());
    assert_eq!((scoped.nps, scoped.csat_percent), (None, None));
    // Sent straight to customers, the answers have no agent.
    let agents: Vec<_> = results.by_agent.iter().map(|g| (g.label.as_str(), g.answers)).collect();
    assert_eq!(agents, vec![("—", 1)]);

    // A customer without any email is skipped, and sending to nobody is refused.
    let silent = customer(&state, &owner, "无邮箱客户", "").await;
    let refused =
        surveys::send(&state, &owner, survey_id, SendTarget::Customer(silent)).await.unwrap_err();
    assert_eq!(refused.field_errors().unwrap().get("target"), &[FieldError::Empty]);
}

#[tokio::test]
async fn without_an_smtp_server_each_recipient_records_why_it_was_not_sent() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let _workers = Background::start(&state);
    let owner = caller(&db, "owner@example.com", Role::Admin, None).await;
    let id = customer(&state, &owner, "无法发送", "nobody@example.com").await;
    let survey_id: i64 =
        sqlx::query_scalar("select id from survey limit 1").fetch_one(&db.pool).await.unwrap();
    surveys::send(&state, &owner, survey_id, SendTarget::Customer(id)).await.unwrap();
    for _ in 0..100 {
        let (attempts, error): (i32, Option<String>) =
            sqlx::query_as("select attempts, last_error from survey_recipient")
                .fetch_one(&db.pool)
                .await
                .unwrap();
        if attempts > 0 {
            assert!(error.unwrap().contains("no SMTP server configured"));
            let token: Option<Vec<u8>> =
                sqlx::query_scalar("select token_hash from survey_recipient")
                    .fetch_one(&db.pool)
                    .await
                    .unwrap();
            assert_eq!(token, None, "an unsent link must not work");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the sending job never tried");
}

#[tokio::test]
async fn a_saved_survey_reads_back_with_its_questions_in_order() {
    use app::surveys::model::{Choice, Question, QuestionKind, Survey};
    let db = TestDatabase::new().await;
    let state = db.state_with(Settings::default());
    let admin = caller(&db, "admin@example.com", Role::Admin, None).await;
    let choice = |zh: &str, en: &str| Choice { zh: zh.into(), en: en.into() };
    let question = |kind, zh: &str, en: &str, options: Vec<Choice>, required| Question {
        kind,
        text_zh: zh.into(),
        text_en: en.into(),
        options,
        required,
    };
    let questions = vec![
        question(QuestionKind::Csat, "满意吗", "Satisfied?", vec![], true),
        question(
            QuestionKind::Single,
            "哪个渠道",
            "Which channel?",
            vec![choice("电话", "Phone"), choice("微信", "WeChat")],
            false,
        ),
        question(QuestionKind::Text, "还有吗", "Anything else?", vec![], false),
    ];
    let survey = Survey {
        name_zh: "回访".into(),
        name_en: "Follow-up".into(),
        link_valid_days: 7,
        questions: questions.clone(),
        ..Default::default()
    };
    let id = surveys::save(&state, &admin, survey).await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let saved = surveys::load(&mut conn, id).await.unwrap();
    assert_eq!(saved.questions, questions);
    // Saving again replaces the questions: fewer, in the new order.
    let edited = Survey { questions: vec![questions[2].clone(), questions[0].clone()], ..saved };
    surveys::save(&state, &admin, edited).await.unwrap();
    let saved = surveys::load(&mut conn, id).await.unwrap();
    assert_eq!(saved.questions, vec![questions[2].clone(), questions[0].clone()]);
}

#[tokio::test]
async fn a_ticket_edit_moves_its_sla_names_a_stale_editor_and_shows_on_the_conversation() {
    let db = TestDatabase::new().await;
    let state = db.state();
    let east = db.team("East").await;
    let west = db.team("West").await;
    let agent = caller(&db, "agent@example.com", Role::Member, Some(east)).await;
    // Before the lead signs in: a manager's team is read at sign-in.
    let colleague = caller(&db, "colleague@example.com", Role::Member, Some(east)).await;
    let lead = caller(&db, "lead@example.com", Role::Manager, Some(east)).await;
    let outsider = caller(&db, "outsider@example.com", Role::Member, Some(west)).await;
    let plain = customer(&state, &agent, "小张便利店", "").await;
    let vip = customer(&state, &agent, "华为技术", "").await;
    let foreign = customer(&state, &outsider, "西部客户", "").await;
    make_top_tier(&db, vip).await;
    let id = tickets::create(
        &state,
        &agent,
        TicketInput {
            assignee_id: Some(agent.id()),
            ..ticket_for(plain, "发票错误", TicketPriority::Normal)
        },
    )
    .await
    .unwrap();
    let (created, _, _) = due_times(&db, id).await;
    let calendar = calendar(&db).await;
    let edit = |customer: CustomerId, priority: TicketPriority, assignee| {
        app::tickets::model::TicketEdit {
            customer_id: customer,
            category: app::tickets::model::Category::Complaint,
            priority,
            assignee_id: assignee,
        }
    };

    // The lead raises it to high and hands it to a colleague: the deadlines follow the high
    // policy (60 / 480 business minutes), the colleague has it, the conversation says so.
    tickets::update(&state, &lead, id, 1, edit(plain, TicketPriority::High, Some(colleague.id())))
        .await
        .unwrap();
    let (_, first, resolution) = due_times(&db, id).await;
    assert_eq!(first, calendar.add_business_minutes(created, 60));
    assert_eq!(resolution, calendar.add_business_minutes(created, 480));
    let detail = tickets::detail(&db.pool, &lead, id).await.unwrap();
    assert_eq!(detail.row.assignee_id, Some(colleague.id()));
    assert_eq!(detail.row.priority, TicketPriority::High);
    let change = detail.messages.iter().find(|m| m.kind == MessageKind::Change).expect("a change");
    let change: app::tickets::model::TicketChange = serde_json::from_str(&change.body).unwrap();
    assert_eq!(change.priority, Some(("normal".into(), "high".into())));
    assert_eq!(change.assignee.as_ref().unwrap().1.as_deref(), Some("colleague@example.com"));
    assert!(change.deadlines_moved);

    // The agent, saving from version 1, is told who changed what.
    let stale =
        tickets::update(&state, &agent, id, 1, edit(plain, TicketPriority::Low, None)).await;
    let Err(AppError::ChangedMeanwhile { by, fields }) = stale else { panic!("{stale:?}") };
    assert_eq!(by, "lead@example.com");
    assert!(fields.contains(&"priority".to_owned()) && fields.contains(&"assignee_id".to_owned()));

    // Moved to the top-tier customer: that tier's tighter high policy (30 / 240).
    tickets::update(&state, &lead, id, 2, edit(vip, TicketPriority::High, Some(colleague.id())))
        .await
        .unwrap();
    let (_, first, resolution) = due_times(&db, id).await;
    assert_eq!(first, calendar.add_business_minutes(created, 30));
    assert_eq!(resolution, calendar.add_business_minutes(created, 240));
    assert_eq!(tickets::detail(&db.pool, &lead, id).await.unwrap().row.customer_id, vip);

    // Another team's customer, or another team's agent, is refused at its field; another team
    // reaches nothing by the ticket's id; an edit that changes nothing writes nothing.
    let refused = tickets::update(&state, &lead, id, 3, edit(foreign, TicketPriority::High, None));
    assert_eq!(
        refused.await.unwrap_err().field_errors().unwrap().get("customer_id"),
        &[FieldError::UnknownReference]
    );
    let refused =
        tickets::update(&state, &lead, id, 3, edit(vip, TicketPriority::High, Some(outsider.id())));
    assert_eq!(
        refused.await.unwrap_err().field_errors().unwrap().get("assignee_id"),
        &[FieldError::OwnerOutOfScope]
    );
    let swapped =
        tickets::update(&state, &outsider, id, 3, edit(foreign, TicketPriority::Low, None)).await;
    assert_eq!(swapped.unwrap_err(), AppError::NotFound);
    tickets::update(&state, &lead, id, 3, edit(vip, TicketPriority::High, Some(colleague.id())))
        .await
        .unwrap();
    let changes: i64 = sqlx::query_scalar(
        "select count(*) from ticket_message where ticket_id = $1 and kind = 'change'",
    )
    .bind(id.0)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(changes, 2, "one entry per saved edit");
    let audits: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where entity_type = 'ticket' and entity_id = $1 and action = 'update'",
    )
    .bind(id.0.to_string())
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(audits, 2);
    // A change cannot be typed as a reply.
    let typed = tickets::reply(&state, &lead, id, MessageKind::Change, "{}").await;
    assert_eq!(
        typed.unwrap_err().field_errors().unwrap().get("kind"),
        &[FieldError::InvalidChoice]
    );
}

#[tokio::test]
async fn a_deleted_ticket_leaves_queues_reports_and_its_thread_and_comes_back_as_it_was() {
    use app::tickets::email::{self, Imported};
    let db = TestDatabase::new().await;
    let state = db.state();
    let east = db.team("East").await;
    let west = db.team("West").await;
    let manager = caller(&db, "manager@example.com", Role::Manager, Some(east)).await;
    let stranger = caller(&db, "stranger@example.com", Role::Manager, Some(west)).await;
    let admin = caller(&db, "admin@example.com", Role::Admin, None).await;
    let id = customer(&state, &manager, "湖畔茶社", "buyer@lakeside.example").await;
    let kept =
        tickets::create(&state, &manager, ticket_for(id, "发票抬头错了", TicketPriority::Normal))
            .await
            .unwrap();
    // The customer writes again about the same thing: a second ticket, which is a duplicate.
    let again = email::parse(
        b"From: buyer@lakeside.example\r\nMessage-ID: <again-1@lakeside.example>\r\n\
          Subject: invoice title\r\n\r\nThe title is wrong.\r\n",
    )
    .unwrap();
    let Imported::Opened(duplicate) = email::import(&state, &again).await.unwrap() else {
        panic!("a known customer's email opens a ticket")
    };
    tickets::claim(&state, &manager, duplicate).await.unwrap();
    let version = tickets::detail(&db.pool, &manager, duplicate).await.unwrap().row.version;

    // Out of scope: not found; from a stale version: who changed what.
    assert_eq!(
        tickets::delete(&state, &stranger, duplicate, version).await.unwrap_err(),
        AppError::NotFound
    );
    assert!(matches!(
        tickets::delete(&state, &manager, duplicate, version - 1).await.unwrap_err(),
        AppError::ChangedMeanwhile { .. }
    ));
    tickets::delete(&state, &manager, duplicate, version).await.unwrap();

    // Gone from its page, the queues, the search by number, the 360 section and the report; its
    // clocks no longer breach; a claim or a reply cannot reach it.
    assert_eq!(
        tickets::detail(&db.pool, &manager, duplicate).await.unwrap_err(),
        AppError::NotFound
    );
    let open = tickets::queue(&db.pool, &admin, Queue::AllOpen, None, 50).await.unwrap();
    assert_eq!(open.items.iter().map(|t| t.id).collect::<Vec<_>>(), vec![kept]);
    let number = format!("#{}", duplicate.0);
    let found = tickets::queue_or_search(&db.pool, &admin, Queue::AllOpen, Some(&number), None, 50)
        .await
        .unwrap();
    assert!(found.items.is_empty());
    let section = tickets::customer_service(&db.pool, &manager, id).await.unwrap();
    assert_eq!((section.open_tickets, section.recent.len()), (1, 1));
    assert_eq!(tickets::report(&db.pool, &admin, 30).await.unwrap().created, 1);
    sqlx::query(
        "update ticket set first_response_due = now() - interval '1 minute',
             resolution_due = now() - interval '1 minute' where id = $1",
    )
    .bind(duplicate.0)
    .execute(&db.pool)
    .await
    .unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(tickets::record_breaches(&mut conn, None).await.unwrap(), 0);
    assert_eq!(tickets::claim(&state, &admin, duplicate).await.unwrap_err(), AppError::NotFound);
    assert_eq!(
        tickets::reply(&state, &manager, duplicate, MessageKind::Note, "x").await.unwrap_err(),
        AppError::NotFound
    );

    // The customer's next email on its thread opens a new ticket instead.
    let reply = email::parse(
        b"From: buyer@lakeside.example\r\nMessage-ID: <again-2@lakeside.example>\r\n\
          In-Reply-To: <again-1@lakeside.example>\r\nSubject: Re: invoice title\r\n\r\nAny news?\r\n",
    )
    .unwrap();
    match email::import(&state, &reply).await.unwrap() {
        Imported::Opened(new) => assert!(new != duplicate && new != kept),
        other => panic!("expected a new ticket, got {other:?}"),
    }

    // In the bin, and back as it was (the breaches the sweep now sees recorded once).
    let bin = tickets::deleted(&db.pool, None, 50).await.unwrap();
    assert_eq!(bin.items.iter().map(|b| b.id).collect::<Vec<_>>(), vec![duplicate.0]);
    assert_eq!(bin.items[0].name, format!("#{} invoice title", duplicate.0));
    assert_eq!(bin.items[0].person.as_deref(), Some("manager@example.com"));
    tickets::restore(&state, &admin, duplicate).await.unwrap();
    assert_eq!(tickets::restore(&state, &admin, duplicate).await.unwrap_err(), AppError::NotFound);
    let back = tickets::detail(&db.pool, &manager, duplicate).await.unwrap();
    assert_eq!(back.messages[0].body.trim(), "The title is wrong.");
    assert_eq!(tickets::record_breaches(&mut conn, None).await.unwrap(), 2);
    let kinds: Vec<String> = sqlx::query_scalar(
        "select kind from timeline_event where customer_id = $1 and ref_id = $2 order by id",
    )
    .bind(id.0)
    .bind(duplicate.0)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(kinds, vec!["ticket_opened", "ticket_deleted", "ticket_restored"]);

    // Deleted again and purged after the period with its conversation, files and breaches; the
    // survey sent about it keeps its results without it.
    tickets::delete(&state, &manager, duplicate, back.row.version).await.unwrap();
    let message: i64 = sqlx::query_scalar("select id from ticket_message where ticket_id = $1")
        .bind(duplicate.0)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into ticket_attachment (message_id, file_name, content_type, size_bytes, content)
         values ($1, 'invoice.pdf', 'application/pdf', 3, '\\x010203')",
    )
    .bind(message)
    .execute(&db.pool)
    .await
    .unwrap();
    let send: i64 = sqlx::query_scalar(
        "insert into survey_send (survey_id, target, ticket_id)
         select id, 'ticket', $1 from survey order by id limit 1 returning id",
    )
    .bind(duplicate.0)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(tickets::purge_deleted(&mut conn, 30, 500).await.unwrap(), 0, "not yet");
    sqlx::query("update ticket set deleted_at = now() - interval '31 days' where id = $1")
        .bind(duplicate.0)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(tickets::purge_deleted(&mut conn, 30, 500).await.unwrap(), 1);
    assert_eq!(tickets::purge_deleted(&mut conn, 30, 500).await.unwrap(), 0);
    let left: i64 = sqlx::query_scalar(
        "select (select count(*) from ticket where id = $1) + (select count(*) from ticket_message where ticket_id = $1)
              + (select count(*) from sla_breach where ticket_id = $1) + (select count(*) from ticket_attachment)",
    )
    .bind(duplicate.0)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
    let survey_ticket: Option<i64> =
        sqlx::query_scalar("select ticket_id from survey_send where id = $1")
            .bind(send)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(survey_ticket, None);
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where entity_type = 'ticket'
           and (entity_id = $1 or entity_id = 'recycle_bin') and action <> 'create' and action <> 'claim'
         order by id",
    )
    .bind(duplicate.0.to_string())
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(actions, vec!["delete", "restore", "delete", "purge"]);
}
