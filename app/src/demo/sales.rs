//! Demo sales data: opportunities in every stage with their history, leads from every channel (some
//! not followed up in time, some converted into those opportunities), a web form, routing, quotas,
//! past forecast snapshots and tasks, so the board, the forecast and "my day" show something real
//! on first sign-in.

use super::names::{self, REGIONS};
use crate::error::AppError;
use chrono::{Datelike, Duration, Utc};
use rand::{Rng, rngs::StdRng, seq::SliceRandom};
use sqlx::PgPool;

const OPEN_OPPORTUNITIES: usize = 90;
const CLOSED_OPPORTUNITIES: usize = 60;
const LEADS: usize = 36;

pub async fn seed(pool: &PgPool, rng: &mut StdRng) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let customers: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "select id, owner_id from customer where deleted_at is null and owner_id is not null order by id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let products: Vec<(i64, String, i64)> =
        sqlx::query_as("select id, name, unit_price_minor from product where active order by id")
            .fetch_all(&mut *tx)
            .await?;
    let stages: Vec<(i64, i32, String)> = sqlx::query_as(
        "select s.id, s.probability, s.kind from pipeline_stage s join pipeline p on p.id = s.pipeline_id
         where p.is_default and s.active order by s.position",
    )
    .fetch_all(&mut *tx)
    .await?;
    let pipeline: i64 =
        sqlx::query_scalar!("select id from pipeline where is_default").fetch_one(&mut *tx).await?;
    let open: Vec<i64> = stages.iter().filter(|s| s.2 == "open").map(|s| s.0).collect();
    let won = stages.iter().find(|s| s.2 == "won").map(|s| s.0).unwrap_or_default();
    let lost = stages.iter().find(|s| s.2 == "lost").map(|s| s.0).unwrap_or_default();
    if customers.is_empty() || products.is_empty() || open.is_empty() {
        return Ok(());
    }
    let today = Utc::now();
    let reasons = ["价格太高", "选择了竞争对手", "预算取消", "需求变化"];
    for n in 0..OPEN_OPPORTUNITIES + CLOSED_OPPORTUNITIES {
        let (customer, owner) = *customers.choose(rng).expect("customers");
        let (product, product_name, price) = products.choose(rng).expect("products").clone();
        let quantity: i64 = rng.gen_range(1..=8);
        let closed = n >= OPEN_OPPORTUNITIES;
        // Open ones lean to the early stages, as real pipelines do.
        let reached = if closed {
            rng.gen_range(1..open.len())
        } else {
            [0, 0, 0, 1, 1, 1, 2, 2, 3].choose(rng).copied().unwrap_or(0).min(open.len() - 1)
        };
        let created = today - Duration::days(rng.gen_range(20..200));
        let mut at = created;
        let mut path = vec![open[0]];
        path.extend(open[1..=reached].iter().copied());
        let outcome = closed.then(|| if rng.gen_ratio(2, 5) { won } else { lost });
        path.extend(outcome);
        // Each step spends a few days; the last step ends before today.
        let steps: Vec<chrono::DateTime<Utc>> = path
            .iter()
            .map(|_| {
                let here = at;
                at += Duration::days(rng.gen_range(2..15));
                here.min(today - Duration::hours(rng.gen_range(1..48)))
            })
            .collect();
        let stage = *path.last().expect("a stage");
        let entered = *steps.last().expect("a step");
        let close = if closed {
            entered.date_naive()
        } else {
            (today + Duration::days(rng.gen_range(-10..100))).date_naive()
        };
        let amount = price * quantity;
        let id: i64 = sqlx::query_scalar!(
            "insert into opportunity (customer_id, title, amount_minor, expected_close, owner_id, pipeline_id,
                 stage_id, stage_entered_at, next_step, lost_reason, closed_at, created_by, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $5, $12) returning id",
            customer,
            format!("{product_name} × {quantity}"),
            amount,
            close as _,
            owner,
            pipeline,
            stage,
            entered as _,
            (!closed).then_some("安排演示并确认预算"),
            (outcome == Some(lost)).then(|| reasons.choose(rng).copied().unwrap_or("价格太高")),
            closed.then_some(entered) as _,
            created as _,
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query!(
            "insert into opportunity_product (opportunity_id, product_id, quantity, unit_price_minor)
             values ($1, $2, $3, $4)",
            id,
            product,
            quantity as i32,
            price,
        )
        .execute(&mut *tx)
        .await?;
        for (k, (to, when)) in path.iter().zip(&steps).enumerate() {
            let from = k.checked_sub(1).map(|p| path[p]);
            let seconds = k.checked_sub(1).map(|p| (*when - steps[p]).num_seconds());
            sqlx::query!(
                "insert into opportunity_stage_change (opportunity_id, from_stage_id, to_stage_id, at, seconds_in_stage, by_user)
                 values ($1, $2, $3, $4, $5, $6)",
                id,
                from,
                to,
                when as _,
                seconds,
                owner,
            )
            .execute(&mut *tx)
            .await?;
        }
    }

    // Reps of the two sales teams share new leads in turn; Guangdong goes to the south team.
    let reps: Vec<(i64, String)> = sqlx::query_as(
        "select u.id, t.name from app_user u join team t on t.id = u.team_id
         where u.role = 'member' and t.name <> $1 order by u.id",
    )
    .bind(super::DEMO_TEAMS[2])
    .fetch_all(&mut *tx)
    .await?;
    for (n, (rep, _)) in reps.iter().enumerate() {
        sqlx::query!(
            "insert into lead_routing_member (user_id, position) values ($1, $2)",
            rep,
            n as i32,
        )
        .execute(&mut *tx)
        .await?;
    }
    if let Some((south, _)) = reps.iter().find(|(_, team)| team == super::DEMO_TEAMS[1]) {
        sqlx::query!("insert into lead_routing_rule (region, user_id) values ('广东', $1)", south,)
            .execute(&mut *tx)
            .await?;
    }
    let form: i64 = sqlx::query_scalar!(
        "insert into lead_form (name, key) values ('官网咨询表单', 'demo-website-form') returning id"
    )
    .fetch_one(&mut *tx)
    .await?;
    let sources = ["manual", "web_form", "event", "referral", "social", "phone"];
    for n in 0..LEADS {
        let person = names::person(rng);
        let company = rng.gen_ratio(3, 4).then(|| names::company(rng));
        let (region, _) = *REGIONS.choose(rng).expect("regions");
        let source = *sources.choose(rng).expect("sources");
        // The newest leads are fresh; a few older ones were never followed up.
        let hours_ago = if n < 6 { rng.gen_range(30..120) } else { rng.gen_range(1..400) };
        let status = if n < 6 || hours_ago < 20 {
            "new"
        } else {
            *["contacted", "qualified", "qualified", "disqualified", "new"]
                .choose(rng)
                .expect("statuses")
        };
        let (owner, _) = reps.get(n % reps.len().max(1)).cloned().unwrap_or((0, String::new()));
        let created = today - Duration::hours(hours_ago);
        sqlx::query!(
            "insert into lead (name, company, phone, phone_normalized, email, region, source, status,
                 disqualify_reason, owner_id, form_id, message, first_contacted_at, created_at)
             values ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            &person.display_name,
            company,
            names::mobile(rng),
            format!("{}@example.com", person.email_local),
            region,
            source,
            status,
            (status == "disqualified").then_some("没有采购预算"),
            (owner > 0).then_some(owner),
            (source == "web_form").then_some(form),
            (source == "web_form").then_some("想了解专业版的报价和实施周期"),
            (status != "new").then(|| created + Duration::hours(3)) as _,
            created as _,
        )
        .execute(&mut *tx)
        .await?;
    }

    // About half the opportunities began as a lead a few days earlier, from a spread of sources,
    // so the funnel and each source's revenue have something to show.
    sqlx::query(
        "with picked as (
             select o.id, o.customer_id, o.owner_id, o.created_at, c.name, c.region,
                    row_number() over (order by o.id) as n
             from opportunity o join customer c on c.id = o.customer_id
             where o.lead_id is null and o.id % 2 = 0
         ), dated as (
             select p.*, p.created_at - make_interval(days => 2 + (p.n % 9)::int) as lead_at,
                    (array['web_form', 'event', 'referral', 'web_form', 'social', 'phone', 'referral'])
                        [1 + (p.n % 7)::int] as source
             from picked p
         ), made as (
             insert into lead (name, region, source, status, owner_id, first_contacted_at,
                               customer_id, opportunity_id, created_at, updated_at)
             select d.name, d.region, d.source, 'converted', d.owner_id,
                    d.lead_at + interval '5 hours', d.customer_id, d.id, d.lead_at, d.created_at
             from dated d
             returning id, opportunity_id
         )
         update opportunity o set lead_id = m.id from made m where o.id = m.opportunity_id",
    )
    .execute(&mut *tx)
    .await?;

    // Quotas for this month and the next two; weekly snapshots of the last two months.
    let first = today.date_naive().with_day(1).unwrap_or(today.date_naive());
    let sellers: Vec<i64> = sqlx::query_scalar!(
        r#"select distinct owner_id as "owner_id!" from opportunity where owner_id is not null"#
    )
    .fetch_all(&mut *tx)
    .await?;
    for seller in &sellers {
        for months in 0..3 {
            let month = first.checked_add_months(chrono::Months::new(months)).unwrap_or(first);
            sqlx::query!(
                "insert into quota (owner_id, month, amount_minor) values ($1, $2, $3)",
                seller,
                month as _,
                rng.gen_range(4..12) * 1_000_000i64,
            )
            .execute(&mut *tx)
            .await?;
        }
        for months in 1..=2 {
            let month = first.checked_sub_months(chrono::Months::new(months)).unwrap_or(first);
            let mut monday =
                month - Duration::days(i64::from(month.weekday().num_days_from_monday()));
            let end = month.checked_add_months(chrono::Months::new(1)).unwrap_or(month);
            // What the rep actually won that month, so accuracy reads like a real team's.
            let won: i64 = sqlx::query_scalar!(
                r#"select coalesce(sum(o.amount_minor), 0)::bigint as "won!" from opportunity o
                 join pipeline_stage s on s.id = o.stage_id and s.kind = 'won'
                 where o.owner_id = $1 and date_trunc('month', o.closed_at at time zone company_time_zone())::date = $2"#,
                seller,
                month as _,
            )
            .fetch_one(&mut *tx)
            .await?;
            while monday < end {
                let weighted = (won.max(500_000) * rng.gen_range(60..140) / 100).max(100_000);
                sqlx::query!(
                    "insert into forecast_snapshot values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing",
                    monday as _,
                    month as _,
                    seller,
                    weighted,
                    weighted * 9 / 10,
                    weighted * 7 / 10,
                    weighted * 2,
                )
                .execute(&mut *tx)
                .await?;
                monday += Duration::days(7);
            }
        }
    }

    // Tasks for the named demo accounts: some late, some today, some recurring care calls.
    let people: Vec<i64> = sqlx::query_scalar!(
        "select id from app_user where email in ('member@guanxi.demo', 'manager@guanxi.demo', 'emily.chen@guanxi.demo')"
    )
    .fetch_all(&mut *tx)
    .await?;
    let titles = ["电话回访", "发送报价单", "安排产品演示", "确认合同条款", "季度客户关怀"];
    for (k, person) in people.iter().enumerate() {
        let theirs: Vec<i64> =
            customers.iter().filter(|(_, o)| *o == Some(*person)).map(|(c, _)| *c).collect();
        for n in 0..6 {
            let customer = theirs.choose(rng).copied();
            let due = today + Duration::hours([-30, -3, 2, 5, 30, 96][n] + k as i64);
            let repeat = (n == 4).then_some(30);
            sqlx::query!(
                "insert into task (title, customer_id, assignee_id, due_at, priority, repeat_days, created_by, reminded_at)
                 values ($1, $2, $3, $4, $5, $6, $3, case when $4 < now() then now() end)",
                titles[n % titles.len()],
                customer,
                person,
                due as _,
                if n == 1 { "high" } else { "normal" },
                repeat,
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
