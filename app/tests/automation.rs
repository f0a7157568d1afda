//! Automation rules against real Postgres and a real SMTP sink: whom a rule selects, that it acts
//! once per occurrence however often and from however many connections it runs, that
//! do-not-contact is honoured, and that greetings go out in each customer's language.

use app::{
    auth::{model::Role, server::Authenticated},
    automation::{
        model::{ActionKind, RuleId, RuleInput, TriggerKind},
        service::{self as automation, Acted},
    },
    customers::model::{CustomerFilter, CustomerId, CustomerInput, LifecycleStage},
    i18n::Locale,
    orders::model::{OrderInput, OrderLineInput, ProductId},
    state::{AppState, Settings},
    testing::{Background, SmtpSink, TestDatabase, company_today},
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

struct World {
    db: TestDatabase,
    state: AppState,
    admin: Authenticated,
    owner: Authenticated,
    product: ProductId,
    today: NaiveDate,
}

impl World {
    async fn new(settings: Settings) -> Self {
        let db = TestDatabase::new().await;
        let state = db.state_with(settings);
        let password = "a long enough password";
        let admin =
            db.caller(db.user("admin@example.com", Role::Admin, None, password).await).await;
        let owner =
            db.caller(db.user("owner@example.com", Role::Member, None, password).await).await;
        let product: i64 = sqlx::query_scalar(
            "insert into product (sku, name, unit_price_minor) values ('P', '产品', 100) returning id",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        let today = company_today(&db.pool).await;
        World {
            db,
            state,
            admin: admin.unwrap(),
            owner: owner.unwrap(),
            product: ProductId(product),
            today,
        }
    }

    /// A customer of the member's, as `shape` leaves the input.
    async fn customer(&self, name: &str, shape: impl FnOnce(&mut CustomerInput)) -> CustomerId {
        let mut input = CustomerInput {
            name: name.into(),
            owner_id: Some(self.owner.id()),
            ..Default::default()
        };
        shape(&mut input);
        app::customers::service::create(&self.state, &self.admin, input, vec![]).await.unwrap()
    }

    /// An order at ten in the morning, company time, on `day` (before now: `day` is past).
    async fn order_on(&self, customer: CustomerId, day: NaiveDate) {
        let zone = app::clock::time_zone(&self.db.pool).await.unwrap();
        self.order_at(customer, app::clock::start_of_day(day, zone) + Duration::hours(10)).await;
    }

    async fn order_at(&self, customer: CustomerId, at: DateTime<Utc>) {
        let input = OrderInput {
            customer_id: customer,
            ordered_at: Some(at),
            lines: vec![OrderLineInput {
                product_id: Some(self.product),
                quantity: "1".into(),
                unit_price: "100".into(),
            }],
            ..Default::default()
        };
        app::orders::service::add_order(&self.state, &self.admin, input).await.unwrap();
    }

    async fn sql(&self, statement: &str, customer: CustomerId) {
        sqlx::query(statement).bind(customer.0).execute(&self.db.pool).await.unwrap();
    }

    async fn rule(&self, input: &RuleInput) -> RuleId {
        automation::save(&self.state, &self.admin, None, 0, input).await.unwrap()
    }

    async fn preview(&self, input: &RuleInput, id: Option<RuleId>) -> i64 {
        automation::preview(&self.db.pool, id, input.validate().unwrap(), self.today).await.unwrap()
    }

    /// (title, assignee, due) of a customer's tasks.
    async fn tasks_of(&self, customer: CustomerId) -> Vec<(String, i64, DateTime<Utc>)> {
        sqlx::query_as(
            "select title, assignee_id, due_at from task where customer_id = $1 order by id",
        )
        .bind(customer.0)
        .fetch_all(&self.db.pool)
        .await
        .unwrap()
    }

    /// (customer, occurrence, outcome) of a rule's runs, by customer.
    async fn outcomes(&self, rule: RuleId) -> Vec<(i64, NaiveDate, String)> {
        sqlx::query_as(
            "select customer_id, occurrence, outcome from automation_run where rule_id = $1
             order by customer_id, occurrence",
        )
        .bind(rule.0)
        .fetch_all(&self.db.pool)
        .await
        .unwrap()
    }

    /// The end of a company day, when rule tasks fall due.
    async fn end_of(&self, day: NaiveDate) -> DateTime<Utc> {
        let zone = app::clock::time_zone(&self.db.pool).await.unwrap();
        app::clock::start_of_day(day + Duration::days(1), zone) - Duration::minutes(1)
    }
}

fn win_back() -> RuleInput {
    RuleInput {
        name: "沉默客户挽回".into(),
        trigger: TriggerKind::TurnedSilent,
        action: ActionKind::Task,
        task_title: "挽回 {name}（{owner}）".into(),
        task_due_days: "2".into(),
        active: true,
        ..Default::default()
    }
}

fn sum(acted: &[Acted]) -> Acted {
    acted.iter().fold(Acted::default(), |a, b| Acted {
        tasks: a.tasks + b.tasks,
        emails: a.emails + b.emails,
        skipped: a.skipped + b.skipped,
    })
}

#[tokio::test]
async fn a_customer_turning_silent_gets_one_win_back_task_however_often_and_from_wherever_it_runs()
{
    let w = World::new(Settings::default()).await;
    let window = 180; // the default active window
    let silent_day_of = |last: NaiveDate| last + Duration::days(window + 1);
    let today = w.today;
    let last_order_for_silence_on = |day: NaiveDate| day - Duration::days(window + 1);

    let turned_today = w.customer("今天沉默", |c| c.region = "上海".into()).await;
    w.order_on(turned_today, last_order_for_silence_on(today)).await;
    let still_active = w.customer("仍然活跃", |_| {}).await;
    w.order_on(still_active, today - Duration::days(window)).await;
    let week_ago = w.customer("七天前沉默", |_| {}).await;
    w.order_on(week_ago, last_order_for_silence_on(today - Duration::days(7))).await;
    let long_ago = w.customer("八天前沉默", |_| {}).await;
    w.order_on(long_ago, last_order_for_silence_on(today - Duration::days(8))).await;
    let opted_out = w.customer("请勿联系", |_| {}).await;
    w.order_on(opted_out, last_order_for_silence_on(today)).await;
    w.sql("update customer set do_not_contact = true where id = $1", opted_out).await;
    let former = w.customer("已流失", |_| {}).await;
    w.order_on(former, last_order_for_silence_on(today)).await;
    w.sql(
        "update customer set customer_type = 'former', churn_reason = 'price', churned_at = now()
         where id = $1",
        former,
    )
    .await;
    let deleted = w.customer("已删除", |_| {}).await;
    w.order_on(deleted, last_order_for_silence_on(today)).await;
    w.sql("update customer set deleted_at = now() where id = $1", deleted).await;
    w.customer("从未下单", |_| {}).await;

    // Before it is switched on: whom it would act on now (not the one who opted out).
    let rule = win_back();
    assert_eq!(w.preview(&rule, None).await, 2);
    let narrowed = |shape: fn(&mut RuleInput)| {
        let mut rule = win_back();
        shape(&mut rule);
        rule
    };
    assert_eq!(w.preview(&narrowed(|r| r.stage = Some(LifecycleStage::New)), None).await, 2);
    assert_eq!(w.preview(&narrowed(|r| r.stage = Some(LifecycleStage::Loyal)), None).await, 0);
    let shanghai = CustomerFilter { region: Some("上海".into()), ..Default::default() };
    let segment =
        app::tiers::service::save_segment(&w.state, &w.admin, None, 0, "上海客户", "", &shanghai)
            .await
            .unwrap();
    let mut in_segment = win_back();
    in_segment.segment_id = Some(segment);
    assert_eq!(w.preview(&in_segment, None).await, 1);

    // Evaluated three times over from two connection pools at once, as two server processes
    // would: each occurrence is acted on once.
    let id = w.rule(&rule).await;
    let other = sqlx::PgPool::connect(&w.db.url).await.unwrap();
    let mut acted = Vec::new();
    for _ in 0..3 {
        let actor = w.admin.actor();
        let (a, b) = tokio::join!(
            automation::evaluate(&w.db.pool, actor, id, today),
            automation::evaluate(&other, actor, id, today),
        );
        acted.extend([a.unwrap(), b.unwrap()]);
    }
    assert_eq!(sum(&acted), Acted { tasks: 2, emails: 0, skipped: 1 });
    let member = w.owner.id().0;
    let due = w.end_of(today + Duration::days(2)).await;
    assert_eq!(
        w.tasks_of(turned_today).await,
        vec![("挽回 今天沉默（owner@example.com）".to_owned(), member, due)]
    );
    // Caught up a week late, due from today.
    assert_eq!(w.tasks_of(week_ago).await.len(), 1);
    assert_eq!(w.tasks_of(week_ago).await[0].2, due);
    for untouched in [still_active, long_ago, opted_out, former, deleted] {
        assert!(w.tasks_of(untouched).await.is_empty(), "{untouched:?}");
    }
    assert_eq!(
        w.outcomes(id).await,
        vec![
            (turned_today.0, today, "task_created".to_owned()),
            (week_ago.0, today - Duration::days(7), "task_created".to_owned()),
            (opted_out.0, today, "skipped_do_not_contact".to_owned()),
        ]
    );
    assert_eq!(w.preview(&rule, Some(id)).await, 0, "nothing left to act on");
    let page = automation::runs(&w.db.pool, None, id, None, 2).await.unwrap();
    assert_eq!(page.items.len(), 2);
    let rest = automation::runs(&w.db.pool, None, id, page.next, 2).await.unwrap();
    assert_eq!(rest.items.len(), 1);
    assert!(rest.next.is_none());
    // A manager scoped to other owners sees none of this owner's customers in the log.
    let elsewhere = automation::runs(&w.db.pool, Some(&[w.admin.id().0]), id, None, 10).await;
    assert!(elsewhere.unwrap().items.is_empty());
    let own = automation::runs(&w.db.pool, Some(&[w.owner.id().0]), id, None, 10).await;
    assert_eq!(own.unwrap().items.len(), 3);

    // An order wins the customer back; silent again a window later, it is a new occurrence.
    w.order_at(turned_today, Utc::now() - Duration::minutes(1)).await;
    assert_eq!(
        automation::evaluate(&w.db.pool, w.admin.actor(), id, today).await.unwrap(),
        Acted::default()
    );
    let next_silence = silent_day_of(today);
    let later = automation::evaluate(&w.db.pool, w.admin.actor(), id, next_silence).await.unwrap();
    assert_eq!(later, Acted { tasks: 1, emails: 0, skipped: 0 });
    assert_eq!(w.tasks_of(turned_today).await.len(), 2);
}

fn greeting() -> RuleInput {
    RuleInput {
        name: "生日祝福".into(),
        trigger: TriggerKind::Birthday,
        days: "3".into(),
        action: ActionKind::Email,
        email_subject_zh: "{name}，生日快乐".into(),
        email_body_zh: "亲爱的 {name}：祝您生日快乐！您的顾问 {owner}".into(),
        email_subject_en: "Happy birthday, {name}".into(),
        email_body_en: "Dear {name}, happy birthday! Yours, {owner}".into(),
        active: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_birthday_greeting_goes_out_once_in_each_customers_language() {
    let sink = SmtpSink::start().await;
    let w =
        World::new(Settings { smtp_url: Some(sink.smtp_url.clone()), ..Settings::default() }).await;
    // Born in a leap year, so that a birthday three days on exists whatever today is.
    let born = |day: NaiveDate| day.with_year(1992).unwrap();
    let in_three_days = born(w.today + Duration::days(3));
    let person = |email: &'static str, locale: Locale, birthday: NaiveDate| {
        move |c: &mut CustomerInput| {
            c.email = email.into();
            c.locale = locale;
            c.birthday = Some(birthday);
        }
    };
    let amy = w.customer("Amy Chen", person("amy@example.com", Locale::En, in_three_days)).await;
    let wang = w.customer("王芳", person("wang@example.com", Locale::ZhCn, in_three_days)).await;
    let later = born(w.today + Duration::days(10));
    w.customer("Later", person("later@example.com", Locale::En, later)).await;
    let opted_out =
        w.customer("Opted Out", person("out@example.com", Locale::En, in_three_days)).await;
    w.sql("update customer set do_not_contact = true where id = $1", opted_out).await;
    let late_opt_out =
        w.customer("Late Opt-out", person("late@example.com", Locale::En, in_three_days)).await;
    let no_address = w.customer("No Address", |c| c.birthday = Some(in_three_days)).await;

    let rule = greeting();
    assert_eq!(w.preview(&rule, None).await, 3, "Amy, 王芳 and the late opt-out");
    let id = w.rule(&rule).await;
    let first = automation::evaluate(&w.db.pool, w.admin.actor(), id, w.today).await.unwrap();
    let again = automation::evaluate(&w.db.pool, w.admin.actor(), id, w.today).await.unwrap();
    assert_eq!((first, again), (Acted { tasks: 0, emails: 3, skipped: 2 }, Acted::default()));
    // Asking not to be contacted after the email was queued still stops it.
    w.sql("update customer set do_not_contact = true where id = $1", late_opt_out).await;

    let workers = Background::start(&w.state);
    workers.settled(30).await;
    let english = sink.message_about("amy@example.com", "Happy birthday, Amy Chen", 10).await;
    assert!(
        english["text"]
            .as_str()
            .unwrap()
            .contains("Dear Amy Chen, happy birthday! Yours, owner@example.com")
    );
    let chinese = sink.message_about("wang@example.com", "王芳，生日快乐", 10).await;
    assert!(chinese["text"].as_str().unwrap().contains("亲爱的 王芳：祝您生日快乐！"));
    let occurrence = w.today + Duration::days(3);
    assert_eq!(
        w.outcomes(id).await,
        vec![
            (amy.0, occurrence, "email_sent".to_owned()),
            (wang.0, occurrence, "email_sent".to_owned()),
            (opted_out.0, occurrence, "skipped_do_not_contact".to_owned()),
            (late_opt_out.0, occurrence, "skipped_do_not_contact".to_owned()),
            (no_address.0, occurrence, "skipped_no_email".to_owned()),
        ]
    );

    // The next mornings up to the birthday find nothing new to send.
    for day in 1..=3 {
        let next = w.today + Duration::days(day);
        let acted = automation::evaluate(&w.db.pool, w.admin.actor(), id, next).await.unwrap();
        assert_eq!(acted, Acted::default());
    }
    workers.settled(30).await;
    // (The owner's own notification emails, of customers assigned to it, are not counted.)
    let to_customers = sink
        .messages()
        .await
        .into_iter()
        .filter(|m| {
            m["to"]
                .as_array()
                .is_some_and(|to| to.iter().any(|a| a["address"] != "owner@example.com"))
        })
        .count();
    assert_eq!(to_customers, 2);
}

/// A rule acting by task on `trigger`, shaped further by `shape`.
fn task_on(trigger: TriggerKind, shape: impl FnOnce(&mut RuleInput)) -> RuleInput {
    let mut rule = RuleInput {
        name: format!("{trigger:?}"),
        trigger,
        action: ActionKind::Task,
        task_title: "跟进 {name}".into(),
        active: true,
        ..Default::default()
    };
    shape(&mut rule);
    rule
}

#[tokio::test]
async fn tier_moves_detractors_large_orders_and_quiet_spells_are_each_acted_on_once() {
    let w = World::new(Settings::default()).await;
    let today = w.today;
    let tiers: Vec<i64> = sqlx::query_scalar("select id from tier where active order by position")
        .fetch_all(&w.db.pool)
        .await
        .unwrap();
    let (top, middle, bottom) = (tiers[0], tiers[1], tiers[2]);
    let moved = |customer: CustomerId, from: Option<i64>, to: Option<i64>, days_ago: i32| {
        let pool = w.db.pool.clone();
        async move {
            sqlx::query(
                "insert into tier_change (customer_id, from_tier_id, to_tier_id, at)
                 values ($1, $2, $3, now() - make_interval(days => $4))",
            )
            .bind(customer.0)
            .bind(from)
            .bind(to)
            .bind(days_ago)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    let promoted = w.customer("升级客户", |_| {}).await;
    moved(promoted, Some(middle), Some(top), 0).await;
    let entered = w.customer("新入等级", |_| {}).await;
    moved(entered, None, Some(bottom), 1).await;
    let demoted = w.customer("降级客户", |_| {}).await;
    moved(demoted, Some(top), Some(bottom), 0).await;
    let dropped = w.customer("掉出等级", |_| {}).await;
    moved(dropped, Some(bottom), None, 2).await;
    // Up and back down on one day: one occurrence of each.
    let bouncing = w.customer("来回变动", |_| {}).await;
    moved(bouncing, Some(middle), Some(top), 0).await;
    moved(bouncing, Some(top), Some(middle), 0).await;
    moved(bouncing, Some(middle), Some(top), 0).await;
    let long_ago = w.customer("很久以前升级", |_| {}).await;
    moved(long_ago, Some(middle), Some(top), 10).await;

    let up = w.rule(&task_on(TriggerKind::TierUp, |_| {})).await;
    let down = w.rule(&task_on(TriggerKind::TierDown, |_| {})).await;
    let w = &w;
    let acted_on = |rule: RuleId| async move {
        w.outcomes(rule).await.into_iter().map(|(customer, ..)| customer).collect::<Vec<_>>()
    };
    for rule in [up, down] {
        automation::evaluate(&w.db.pool, w.admin.actor(), rule, today).await.unwrap();
        automation::evaluate(&w.db.pool, w.admin.actor(), rule, today).await.unwrap();
    }
    assert_eq!(acted_on(up).await, vec![promoted.0, entered.0, bouncing.0]);
    assert_eq!(acted_on(down).await, vec![demoted.0, dropped.0, bouncing.0]);

    // Detractors: NPS 0-6 within the last week; a passive (7) and an old answer are not.
    let survey: i64 = sqlx::query_scalar(
        "insert into survey (name_zh, name_en) values ('满意度', 'Satisfaction') returning id",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    let send: i64 = sqlx::query_scalar(
        "insert into survey_send (survey_id, target) values ($1, 'customer') returning id",
    )
    .bind(survey)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    let answered = |customer: CustomerId, nps: i32, days_ago: i32| {
        let pool = w.db.pool.clone();
        async move {
            sqlx::query(
                "with r as (insert into survey_recipient (send_id, survey_id, customer_id, email, locale)
                            values ($1, $2, $3, 'x@example.com', 'zh-CN') returning id)
                 insert into survey_answer (recipient_id, survey_id, customer_id, nps, answers, created_at)
                 select r.id, $2, $3, $4, '{}', now() - make_interval(days => $5) from r",
            )
            .bind(send)
            .bind(survey)
            .bind(customer.0)
            .bind(nps)
            .bind(days_ago)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    let unhappy = w.customer("不满意", |_| {}).await;
    answered(unhappy, 3, 0).await;
    let passive = w.customer("一般", |_| {}).await;
    answered(passive, 7, 0).await;
    let old_complaint = w.customer("旧的不满", |_| {}).await;
    answered(old_complaint, 0, 9).await;
    let detractors = w.rule(&task_on(TriggerKind::Detractor, |_| {})).await;
    automation::evaluate(&w.db.pool, w.admin.actor(), detractors, today).await.unwrap();
    assert_eq!(acted_on(detractors).await, vec![unhappy.0]);

    // Orders of at least ¥5,000 placed this week, not cancelled ones.
    let big_spender = w.customer("大单客户", |_| {}).await;
    let big = |customer: CustomerId, yuan: &str| {
        let input = OrderInput {
            customer_id: customer,
            ordered_at: Some(Utc::now() - Duration::hours(1)),
            lines: vec![OrderLineInput {
                product_id: Some(w.product),
                quantity: "1".into(),
                unit_price: yuan.into(),
            }],
            ..Default::default()
        };
        app::orders::service::add_order(&w.state, &w.admin, input)
    };
    big(big_spender, "5000").await.unwrap();
    let small_spender = w.customer("小单客户", |_| {}).await;
    big(small_spender, "4999.99").await.unwrap();
    let large = w.rule(&task_on(TriggerKind::OrderAbove, |r| r.min_amount = "5,000".into())).await;
    automation::evaluate(&w.db.pool, w.admin.actor(), large, today).await.unwrap();
    assert_eq!(acted_on(large).await, vec![big_spender.0]);

    // A callback cadence of 30 days: the last interaction (or, without one, the customer's
    // creation) 30 days back or more.
    // Narrowed by a segment (tagged customers), as care rules usually are.
    let callbacks = CustomerFilter { tag: Some("回访".into()), ..Default::default() };
    let segment =
        app::tiers::service::save_segment(&w.state, &w.admin, None, 0, "回访客户", "", &callbacks)
            .await
            .unwrap();
    let tagged = |c: &mut CustomerInput| c.tags = vec!["回访".into()];
    let quiet = w.customer("三十天没联系", tagged).await;
    let recent = w.customer("刚联系过", tagged).await;
    let never = w.customer("从未联系", tagged).await;
    for (customer, days_ago) in [(quiet, 30), (recent, 29)] {
        sqlx::query(
            "insert into interaction (customer_id, kind, occurred_at, subject)
             values ($1, 'call', now() - make_interval(days => $2), '回访')",
        )
        .bind(customer.0)
        .bind(days_ago)
        .execute(&w.db.pool)
        .await
        .unwrap();
    }
    sqlx::query("update customer set created_at = now() - interval '40 days' where id = $1")
        .bind(never.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let cadence = task_on(TriggerKind::NoContact, |r| {
        r.days = "30".into();
        r.segment_id = Some(segment);
    });
    let cadence_rule = w.rule(&cadence).await;
    assert_eq!(w.preview(&cadence, Some(cadence_rule)).await, 2);
    automation::evaluate(&w.db.pool, w.admin.actor(), cadence_rule, today).await.unwrap();
    assert_eq!(acted_on(cadence_rule).await, vec![quiet.0, never.0]);
    // A call today starts a new gap: the next occurrence is 30 days on, acted on once then.
    sqlx::query(
        "insert into interaction (customer_id, kind, occurred_at, subject) values ($1, 'call', now(), '回访')",
    )
    .bind(quiet.0)
    .execute(&w.db.pool)
    .await
    .unwrap();
    let later = today + Duration::days(30);
    let acted =
        automation::evaluate(&w.db.pool, w.admin.actor(), cadence_rule, later).await.unwrap();
    // By then `recent` is due too; `never` was acted on for the same gap already.
    assert_eq!(acted.tasks, 2);
    assert_eq!(w.tasks_of(recent).await.len(), 1);
    assert_eq!(w.tasks_of(quiet).await.len(), 2);
    assert_eq!(w.tasks_of(never).await.len(), 1);
}

#[tokio::test]
async fn the_care_calendar_shows_each_days_tasks_and_occasions_within_scope_and_rule_completion() {
    use app::automation::{
        calendar::{OccasionKind, Period, Span},
        calendar_repo,
    };
    let w = World::new(Settings::default()).await;
    let today = w.today;
    let zone = app::clock::time_zone(&w.db.pool).await.unwrap();
    let other = w.db.user("other@example.com", Role::Member, None, "a long enough password").await;

    // Two customers turn silent today: the win-back rule gives the owner two tasks.
    let first = w.customer("甲客户", |_| {}).await;
    let second = w.customer("乙客户", |_| {}).await;
    for customer in [first, second] {
        w.order_on(customer, today - Duration::days(181)).await;
    }
    let rule = w.rule(&win_back()).await;
    let acted = automation::evaluate(&w.db.pool, w.admin.actor(), rule, today).await.unwrap();
    assert_eq!(acted.tasks, 2);
    // Both due today: one done on time, the other due at the day's start and left open.
    let start_of_today = app::clock::start_of_day(today, zone);
    for (customer, due, done) in
        [(first, w.end_of(today).await, Some(Utc::now())), (second, start_of_today, None)]
    {
        sqlx::query("update task set due_at = $2, done_at = $3 where customer_id = $1")
            .bind(customer.0)
            .bind(due)
            .bind(done)
            .execute(&w.db.pool)
            .await
            .unwrap();
    }
    // Six tasks of the owner's own on one day next week (a month shows four of them), and one
    // of someone else's.
    let busy_day = today + Duration::days(7);
    for n in 0..6 {
        let input = app::tasks::model::TaskInput {
            title: format!("拜访 {n}"),
            due_at: Some(app::clock::start_of_day(busy_day, zone) + Duration::hours(9 + n)),
            ..Default::default()
        };
        app::tasks::service::create(&w.state, &w.owner, input).await.unwrap();
    }
    sqlx::query("insert into task (title, assignee_id, due_at) values ('别人的任务', $1, $2)")
        .bind(other.0)
        .bind(app::clock::start_of_day(busy_day, zone) + Duration::hours(8))
        .execute(&w.db.pool)
        .await
        .unwrap();

    // Occasions: a birthday in three days, another person's customer's anniversary, a deleted
    // customer's birthday (not shown), and a 29 February birthday.
    let in_three_days = today + Duration::days(3);
    let born = NaiveDate::from_ymd_opt(1990, in_three_days.month(), in_three_days.day().min(28));
    let birthday_day = born.unwrap().with_year(in_three_days.year()).unwrap();
    let birthday = w.customer("生日客户", |c| c.birthday = born).await;
    let deleted = w.customer("已删除", |c| c.birthday = born).await;
    w.sql("update customer set deleted_at = now() where id = $1", deleted).await;
    let theirs = w
        .customer("别人的客户", |c| c.anniversary = born.map(|d| d.with_year(2020).unwrap()))
        .await;
    sqlx::query("update customer set owner_id = $1 where id = $2")
        .bind(other.0)
        .bind(theirs.0)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let leapling =
        w.customer("闰日客户", |c| c.birthday = NaiveDate::from_ymd_opt(2000, 2, 29)).await;

    let owner = w.owner.id();
    let calendar = |scope: Option<Vec<i64>>, person, span, day| {
        let pool = w.db.pool.clone();
        async move {
            let period = Period::around(span, day);
            calendar_repo::calendar(&pool, scope.as_deref(), owner, person, period, today, zone)
                .await
                .unwrap()
        }
    };

    // Everyone, the month of next week's busy day: four of the owner's six shown, seven counted.
    let month = calendar(None, None, Span::Month, busy_day).await;
    let busy = month.days.iter().find(|d| d.day == busy_day).unwrap();
    assert_eq!((busy.tasks.len(), busy.task_count), (4, 7));
    assert_eq!(busy.tasks[0].title, "别人的任务");
    assert!(month.people.len() >= 3, "an admin may pick anyone");
    // A week shows them all, open ones first on the day.
    let week = calendar(None, None, Span::Week, busy_day).await;
    let busy = week.days.iter().find(|d| d.day == busy_day).unwrap();
    assert_eq!(busy.tasks.len(), 7);

    // The owner alone, the week holding today: the rule's tasks carry its name; the owner's
    // customers' birthday, not the deleted one's nor the other person's anniversary.
    let mine = calendar(Some(vec![owner.0]), None, Span::Week, today).await;
    assert!(mine.people.is_empty(), "someone who sees only their own picks no one");
    let rule_tasks: Vec<_> =
        mine.days.iter().flat_map(|d| &d.tasks).filter(|t| t.rule.is_some()).collect();
    assert_eq!(rule_tasks.len(), 2);
    assert!(rule_tasks.iter().all(|t| t.rule.as_deref() == Some("沉默客户挽回")));
    assert_eq!(rule_tasks.iter().filter(|t| t.done).count(), 1);
    let birthdays = calendar(Some(vec![owner.0]), None, Span::Month, birthday_day).await;
    let on_birthday = birthdays.days.iter().find(|d| d.day == birthday_day).unwrap();
    let names: Vec<_> = on_birthday.occasions.iter().map(|o| o.customer_name.as_str()).collect();
    assert_eq!(names, ["生日客户"]);
    assert_eq!(on_birthday.occasions[0].kind, OccasionKind::Birthday);
    assert_eq!(on_birthday.occasions[0].customer_id, birthday);
    assert_eq!(on_birthday.occasions[0].years, birthday_day.year() - 1990);
    let everyone = calendar(None, None, Span::Month, birthday_day).await;
    let on_birthday = everyone.days.iter().find(|d| d.day == birthday_day).unwrap();
    let kinds: Vec<_> = on_birthday.occasions.iter().map(|o| o.kind).collect();
    assert_eq!(kinds.len(), 2);
    assert!(kinds.contains(&OccasionKind::Anniversary));
    // 29 February falls on the 28th in a year without one.
    let february =
        calendar(None, None, Span::Month, NaiveDate::from_ymd_opt(2027, 2, 1).unwrap()).await;
    let on_28th =
        february.days.iter().find(|d| d.day == NaiveDate::from_ymd_opt(2027, 2, 28).unwrap());
    let leap_day = on_28th.unwrap().occasions.iter().find(|o| o.customer_id == leapling);
    assert_eq!(leap_day.unwrap().years, 27);

    // Completion of the rule's tasks due in the period: 2 due, 1 done on time, 1 overdue.
    let line = &mine.by_rule[0];
    assert_eq!(
        (line.name.as_str(), line.due, line.done, line.on_time, line.overdue),
        ("沉默客户挽回", 2, 1, 1, 1)
    );
    assert_eq!(line.rate(), Some(50));
    assert_eq!(mine.by_person.len(), 1);
    assert_eq!(mine.by_person[0].name, "owner@example.com");

    // Someone scoped to the other person sees none of it, and cannot ask for the owner.
    let elsewhere = calendar(Some(vec![other.0]), Some(owner), Span::Week, today).await;
    assert!(elsewhere.days.iter().all(|d| d.tasks.is_empty() && d.occasions.is_empty()));
    assert!(elsewhere.by_rule.is_empty());
    let theirs_only = calendar(Some(vec![other.0]), None, Span::Month, busy_day).await;
    let busy = theirs_only.days.iter().find(|d| d.day == busy_day).unwrap();
    assert_eq!((busy.tasks.len(), busy.task_count), (1, 1));
}
