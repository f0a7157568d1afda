//! Every automation rule over a million customers, as the morning run evaluates them, and the
//! care calendar over the same data.
//!
//!     cargo bench -p server --bench automation
//!
//! Issue 22's budget: evaluating every automation rule over 1 M customers in the nightly run in
//! under 60 s. Copies the customers bench's database (loaded on first use) to
//! `guanxi_bench_automation` and gives its customers what the triggers read: a birthday for
//! every customer and an anniversary for half, a tier in force for every customer, a week of
//! tier moves (20,000), customers marked former (5,000), detractor answers, interactions for a
//! tenth of the customers. Then one rule of each trigger kind, each timed on its first
//! evaluation (acting) and its second (nothing new: the idempotence check alone), and the care
//! calendar of a month for everyone and for one member. "Today" is the last day with orders.

mod common;

use app::{
    auth::{model::UserId, server::Actor},
    automation::{
        calendar::{Period, Span},
        calendar_repo,
        model::{ActionKind, RuleInput, TriggerKind},
        service as automation,
    },
};
use common::{admin_caller, caller_with_role, env_number, fresh_copy};
use sqlx::{Executor, PgPool};
use std::time::Instant;

/// Runs `statement` (with today's start as `$1` where it names it), printing how long it took.
async fn prepare(
    pool: &PgPool,
    what: &str,
    statement: &str,
    day_start: chrono::DateTime<chrono::Utc>,
) {
    let started = Instant::now();
    let mut query = sqlx::query(statement);
    if statement.contains("$1") {
        query = query.bind(day_start);
    }
    let done = query.execute(pool).await.unwrap();
    println!("  {what}: {} rows in {:.1} s", done.rows_affected(), started.elapsed().as_secs_f64());
}

fn task_rule(name: &str, trigger: TriggerKind, shape: impl FnOnce(&mut RuleInput)) -> RuleInput {
    let mut rule = RuleInput {
        name: name.into(),
        trigger,
        days: "0".into(),
        action: ActionKind::Task,
        task_title: "回访 {name}（{tier}）".into(),
        task_due_days: "2".into(),
        active: true,
        ..Default::default()
    };
    shape(&mut rule);
    rule
}

fn email_rule(name: &str, trigger: TriggerKind, days: &str) -> RuleInput {
    RuleInput {
        name: name.into(),
        trigger,
        days: days.into(),
        action: ActionKind::Email,
        email_subject_zh: "{name}，您好".into(),
        email_body_zh: "亲爱的 {name}：感谢您一直以来的支持。".into(),
        email_subject_en: "Hello, {name}".into(),
        email_body_en: "Dear {name}, thank you for staying with us.".into(),
        active: true,
        ..Default::default()
    }
}

#[tokio::main]
async fn main() {
    let customers = env_number("GUANXI_BENCH_CUSTOMERS", 1_000_000);
    let orders = env_number("GUANXI_BENCH_ORDERS", 5_000_000);
    let (template, _) = common::loaded_database(customers, orders).await;
    let started = Instant::now();
    let pool = fresh_copy(&template, "guanxi_bench_automation").await;
    println!("database copied in {:.0} s", started.elapsed().as_secs_f64());
    let today = common::last_order_day(&pool).await;
    let zone = app::clock::time_zone(&pool).await.unwrap();
    let day_start = app::clock::start_of_day(today, zone);

    println!("what the triggers read:");
    prepare(
        &pool,
        "birthdays (all) and anniversaries (half)",
        "update customer set
             birthday = make_date(1950 + (id % 50)::int, 1, 1) + (id % 365)::int,
             anniversary = case when id % 2 = 0
                                then make_date(2012 + (id / 2 % 10)::int, 1, 1) + ((id * 7) % 365)::int end",
        day_start,
    )
    .await;
    prepare(
        &pool,
        "a tier in force for every customer",
        "insert into customer_score (customer_id, recency_days, frequency, monetary_minor, r, f, m,
                                     computed_tier_id)
         select c.id, c.id % 700, c.id % 9, c.id % 100000, 1 + c.id % 5, 1 + c.id % 4,
                1 + c.id % 3, t.ids[1 + c.id % 3]
         from customer c, (select array_agg(id order by position) as ids from tier) t
         on conflict (customer_id) do update set computed_tier_id = excluded.computed_tier_id",
        day_start,
    )
    .await;
    prepare(
        &pool,
        "tier moves in the last week",
        "insert into tier_change (customer_id, at, from_tier_id, to_tier_id)
         select c.id, $1 - (c.id % 7) * interval '1 day' + interval '10 hours',
                t.ids[1 + c.id % 3], t.ids[1 + (c.id + 1) % 3]
         from customer c, (select array_agg(id order by position) as ids from tier) t
         where c.id % 50 = 0",
        day_start,
    )
    .await;
    prepare(
        &pool,
        "customers marked former in the last week",
        "update customer set customer_type = 'former', churn_reason = 'price',
                             churned_at = $1 - (id % 7) * interval '1 day'
         where id % 200 = 1",
        day_start,
    )
    .await;
    prepare(
        &pool,
        "survey answers in the last week (a third detractors)",
        "with s as (insert into survey (name_zh, name_en) values ('满意度', 'Satisfaction')
                    returning id),
              send as (insert into survey_send (survey_id, target)
                       select id, 'segment' from s returning id, survey_id),
              r as (insert into survey_recipient (send_id, survey_id, customer_id, email, locale,
                                                  status)
                    select send.id, send.survey_id, c.id, 'c' || c.id || '@example.com', 'zh-CN',
                           'sent'
                    from send, customer c where c.id % 100 = 2
                    returning id, survey_id, customer_id)
         insert into survey_answer (recipient_id, survey_id, customer_id, nps, answers, created_at)
         select r.id, r.survey_id, r.customer_id, (r.customer_id / 100) % 11, '[]',
                $1 - ((r.customer_id / 100) % 7) * interval '1 day' + interval '9 hours'
         from r",
        day_start,
    )
    .await;
    prepare(
        &pool,
        "interactions (a tenth of the customers, over four months)",
        "insert into interaction (customer_id, kind, occurred_at, subject)
         select id, 'call', $1 - (id % 120) * interval '1 day' + interval '11 hours', '回访'
         from customer where id % 10 = 3",
        day_start,
    )
    .await;
    pool.execute("analyze").await.unwrap();

    let admin = admin_caller(&pool).await;
    let state = app::state::AppState::new(pool.clone(), Default::default());
    let top_tier: i64 = sqlx::query_scalar("select id from tier order by position limit 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let rules = [
        task_rule("沉默客户挽回", TriggerKind::TurnedSilent, |_| {}),
        task_rule("流失客户回访", TriggerKind::TurnedFormer, |_| {}),
        task_rule("升级祝贺", TriggerKind::TierUp, |_| {}),
        email_rule("降级关怀", TriggerKind::TierDown, "0"),
        task_rule("贬损客户跟进", TriggerKind::Detractor, |_| {}),
        task_rule("大额订单感谢", TriggerKind::OrderAbove, |r| r.min_amount = "5000".into()),
        task_rule("重点客户 30 天回访", TriggerKind::NoContact, |r| {
            r.days = "30".into();
            r.tier_id = Some(top_tier);
        }),
        email_rule("生日祝福", TriggerKind::Birthday, "3"),
        task_rule("纪念日问候", TriggerKind::Anniversary, |_| {}),
    ];
    let mut ids = Vec::new();
    for rule in &rules {
        ids.push(automation::save(&state, &admin, None, 0, rule).await.unwrap());
    }

    println!(
        "\n| rule ({customers} customers, today {today}) | acted (tasks / emails / skipped) | first run | second run |\n| --- | --- | --- | --- |"
    );
    let (mut first_total, mut second_total) = (0.0, 0.0);
    for (rule, id) in rules.iter().zip(&ids) {
        let started = Instant::now();
        let acted = automation::evaluate(&pool, Actor::system(), *id, today).await.unwrap();
        let first = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let again = automation::evaluate(&pool, Actor::system(), *id, today).await.unwrap();
        let second = started.elapsed().as_secs_f64();
        assert_eq!(again.tasks + again.emails + again.skipped, 0, "{}: acted twice", rule.name);
        first_total += first;
        second_total += second;
        println!(
            "| {} | {} / {} / {} | {first:.2} s | {second:.2} s |",
            rule.name, acted.tasks, acted.emails, acted.skipped
        );
    }
    println!("| every rule | | {first_total:.1} s | {second_total:.1} s |");

    // The care calendar of the month holding today, with the rules' tasks in it.
    let member = caller_with_role(&pool, app::auth::model::Role::Member).await;
    let period = Period::around(Span::Month, today);
    println!("\n| care calendar, month of {today} | time |\n| --- | --- |");
    for (who, scope, person) in [
        ("everyone (admin)", None, None),
        ("one member, picked by the admin", None, Some(member.id())),
        ("a member's own", Some(vec![member.id().0]), None),
    ] {
        let mut times = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            calendar_repo::calendar(
                &pool,
                scope.as_deref(),
                UserId(0),
                person,
                period,
                today,
                zone,
            )
            .await
            .unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!("| {who} | {:.0} ms (median of 5) |", times[2]);
    }
}
