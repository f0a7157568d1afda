//! Demo service data: tickets in every queue and status over the last weeks (some late), their
//! conversations, and answered satisfaction surveys, so the queues, the report and the survey
//! results show something real on first sign-in.

use crate::{
    auth::server::Actor,
    customers::model::CustomerId,
    error::AppError,
    tickets::model::{Category, Channel, TicketInput, TicketPriority},
};
use chrono::{Duration, Utc};
use rand::{Rng, rngs::StdRng, seq::SliceRandom};
use sqlx::PgPool;

const HISTORY_TICKETS: usize = 80;

const SUBJECTS: &[(&str, Category)] = &[
    ("无法登录会员系统", Category::Fault),
    ("发票抬头需要修改", Category::Question),
    ("送货延误三天", Category::Complaint),
    ("希望增加微信支付", Category::Suggestion),
    ("设备开机报错 E42", Category::Fault),
    ("积分没有到账", Category::Question),
    ("客服态度不好", Category::Complaint),
    ("Invoice address is wrong", Category::Question),
    ("Delivery arrived damaged", Category::Complaint),
    ("Please add an English manual", Category::Suggestion),
];

pub async fn seed(pool: &PgPool, rng: &mut StdRng) -> Result<(), AppError> {
    // Customers with English names read English emails and survey pages.
    sqlx::query!("update customer set locale = 'en' where name ~ '^[A-Za-z]'")
        .execute(pool)
        .await?;
    let customers: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "select id, owner_id from customer where deleted_at is null and owner_id is not null order by id",
    )
    .fetch_all(pool)
    .await?;
    let agents: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "select id, team_id from app_user where active and role <> 'admin' order by id",
    )
    .fetch_all(pool)
    .await?;
    if customers.is_empty() || agents.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    let now = Utc::now();
    let survey: Option<i64> =
        sqlx::query_scalar!("select id from survey where send_on_ticket_resolved limit 1")
            .fetch_optional(&mut *tx)
            .await?;
    let send: Option<i64> = match survey {
        Some(survey) => Some(
            sqlx::query_scalar!(
                "insert into survey_send (survey_id, target, recipients) values ($1, 'ticket', 0) returning id",
                survey,
            )
            .fetch_one(&mut *tx)
            .await?,
        ),
        None => None,
    };
    for n in 0..HISTORY_TICKETS {
        let (customer, _) = *customers.choose(rng).expect("customers");
        let (agent, team) = *agents.choose(rng).expect("agents");
        let (subject, category) = *SUBJECTS.choose(rng).expect("subjects");
        let priority = *[
            TicketPriority::Low,
            TicketPriority::Normal,
            TicketPriority::Normal,
            TicketPriority::High,
        ]
        .choose(rng)
        .expect("priorities");
        let channel =
            *[Channel::Phone, Channel::Email, Channel::Wechat, Channel::WebForm, Channel::WalkIn]
                .choose(rng)
                .expect("channels");
        // Most tickets are history; the ones still open came in over the last two days, a few
        // of them already late, as on a real desk.
        let still_open = n % 4 == 0 || n % 7 == 0;
        let created = if still_open {
            now - Duration::minutes(rng.gen_range(20..60 * 48))
        } else {
            now - Duration::minutes(rng.gen_range(60 * 24 * 3..60 * 24 * 40))
        };
        let (first_minutes, resolution_minutes) = match priority {
            TicketPriority::High => (60, 480),
            TicketPriority::Normal => (240, 1440),
            _ => (480, 2400),
        };
        // Deadlines in calendar time here; real tickets get business hours from the service.
        let first_due = created + Duration::minutes(first_minutes * 2);
        let resolution_due = created + Duration::minutes(resolution_minutes * 2);
        let responded = created + Duration::minutes(rng.gen_range(5..first_minutes * 3));
        let resolved = responded + Duration::minutes(rng.gen_range(30..resolution_minutes * 3));
        let done = !still_open && resolved < now;
        let status = if done {
            if rng.gen_ratio(1, 3) { "closed" } else { "resolved" }
        } else if n % 7 == 0 {
            "waiting"
        } else {
            "open"
        };
        let assignee = (n % 9 != 0 || done).then_some(agent);
        let status = if assignee.is_none() { "new" } else { status };
        let id: i64 = sqlx::query_scalar!(
            "insert into ticket (customer_id, channel, category, priority, status, assignee_id, team_id,
                 subject, tier_id, sla_policy_id, first_response_due, resolution_due, first_responded_at,
                 resolved_at, closed_at, paused_at, first_response_breached, resolution_breached,
                 created_at, updated_at)
             select $1, $2, $3, $4, $5, $6, $7, $8, s.computed_tier_id,
                    (select id from sla_policy where priority = $4 and tier_id is null),
                    $9, $10, $11, $12, $13, $14, coalesce($11, now()) > $9, coalesce($12, now()) > $10, $15, $15
             from (select $1::bigint as customer_id) c
             left join customer_score s on s.customer_id = c.customer_id
             returning id",
            customer,
            channel.as_str(),
            category.as_str(),
            priority.as_str(),
            status,
            assignee,
            assignee.and(team),
            subject,
            first_due as _,
            resolution_due as _,
            (assignee.is_some() && responded < now).then_some(responded) as _,
            done.then_some(resolved) as _,
            (status == "closed").then_some(resolved + Duration::days(2)) as _,
            (status == "waiting").then_some(now - Duration::hours(5)) as _,
            created as _,
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query!(
            "insert into ticket_message (ticket_id, kind, author_id, body, created_at)
             values ($1, 'customer', null, $2, $3)",
            id,
            format!("{subject}，请尽快处理。"),
            created as _,
        )
        .execute(&mut *tx)
        .await?;
        if let Some(agent) = assignee.filter(|_| responded < now) {
            sqlx::query!(
                "insert into ticket_message (ticket_id, kind, author_id, body, created_at)
                 values ($1, 'reply', $2, '您好，我们已收到，正在处理。', $3)",
                id,
                agent,
                responded as _,
            )
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query!(
            "insert into sla_breach (ticket_id, kind, due_at)
             select id, 'first_response', first_response_due from ticket where id = $1 and first_response_breached
             union all
             select id, 'resolution', resolution_due from ticket where id = $1 and resolution_breached",
            id,
        )
        .execute(&mut *tx)
        .await?;
        // Two of three resolved tickets were surveyed; most answered.
        if let (Some(survey), Some(send), true) = (survey, send, done && n % 3 != 0) {
            let csat: i32 = *[5, 5, 4, 4, 4, 3, 2, 5, 4, 1].choose(rng).expect("scores");
            let nps: i32 = (csat * 2 + rng.gen_range(-1..=0)).clamp(0, 10);
            let recipient: i64 = sqlx::query_scalar!(
                "insert into survey_recipient (send_id, survey_id, customer_id, ticket_id, email, locale,
                     status, attempts, sent_at, answered_at, expires_at)
                 select $1, $2, c.id, $3, coalesce(c.email, 'demo@guanxi.demo'), c.locale, 'answered', 1, $4::timestamptz, $4 + interval '3 hours', $4 + interval '14 days'
                 from customer c where c.id = $5 returning id",
                send,
                survey,
                id,
                resolved as _,
                customer,
            )
            .fetch_one(&mut *tx)
            .await?;
            let comment = if csat <= 2 {
                "等了太久"
            } else if csat == 5 {
                "处理很快，谢谢！"
            } else {
                ""
            };
            sqlx::query!(
                "insert into survey_answer (recipient_id, survey_id, customer_id, ticket_id, agent_id, tier_id,
                     csat, nps, answers, created_at)
                 select $1, $2, $3, $4, $5, s.computed_tier_id, $6::int, $7::int,
                        jsonb_build_array(
                            jsonb_build_object('kind', 'csat', 'text_zh', '您对这次服务满意吗？', 'text_en', 'How satisfied are you?', 'value', jsonb_build_object('Score', $6)),
                            jsonb_build_object('kind', 'nps', 'text_zh', '推荐度', 'text_en', 'Recommend', 'value', jsonb_build_object('Score', $7)),
                            jsonb_build_object('kind', 'text', 'text_zh', '还有什么想告诉我们的吗？', 'text_en', 'Anything else?',
                                'value', case when $8::text = '' then to_jsonb('Skipped'::text) else jsonb_build_object('Text', $8) end)),
                        $9
                 from (select $3::bigint as customer_id) c left join customer_score s on s.customer_id = c.customer_id",
                recipient,
                survey,
                customer,
                id,
                agent,
                csat,
                nps,
                comment,
                (resolved + Duration::hours(3)) as _,
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    // A few fresh tickets through the service itself: real SLA clocks over business hours.
    for (n, (subject, category)) in SUBJECTS.iter().take(4).enumerate() {
        let (customer, owner) = customers[n * 3 % customers.len()];
        let input = TicketInput {
            customer_id: Some(CustomerId(customer)),
            subject: (*subject).to_owned(),
            category: *category,
            priority: if n == 0 { TicketPriority::High } else { TicketPriority::Normal },
            description: format!("{subject}。"),
            assignee_id: (n % 2 == 0).then_some(owner).flatten().map(crate::auth::model::UserId),
            ..Default::default()
        };
        crate::tickets::service::create_in(&mut tx, Actor::system(), None, input, None).await?;
    }
    tx.commit().await?;
    Ok(())
}
