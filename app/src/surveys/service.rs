//! Surveys: the builder's storage, sending with single-use links by email, the public answer
//! with its follow-up ticket for detractors, and the results (server only).

use super::model::*;
use crate::{
    audit::repo::{Change, record},
    auth::server::{Actor, Authenticated, DataScope},
    customers::model::CustomerId,
    customers::timeline::repo::{NewEntry, append},
    error::{AppError, FieldError},
    events::{Audience, ServerEvent, Topic, publish},
    i18n::Locale,
    jobs::{
        context::{JobContext, JobError},
        model::kinds as job_kinds,
        queue::{NewJob, enqueue},
    },
    state::AppState,
    tickets::model::{Category, Channel, TicketId, TicketInput, TicketPriority},
};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgExecutor, PgPool};

/// Timeline kind of an answer.
pub const SURVEY_ANSWERED: &str = "survey_answered";
/// Attempts per recipient before the address is marked failed.
pub const MAX_SEND_ATTEMPTS: i32 = 3;

fn survey_event(id: i64) -> ServerEvent {
    ServerEvent {
        topic: Topic::Survey,
        id,
        audience: Audience::RoleAtLeast(crate::auth::model::Role::Manager),
    }
}

/// Every active survey with its counts.
pub async fn list(pool: &PgPool) -> Result<Vec<SurveySummary>, AppError> {
    let found = sqlx::query_as!(
        SurveySummary,
        r#"select s.id, s.name_zh, s.name_en, s.send_on_ticket_resolved,
                (select count(*) from survey_recipient r
                 where r.survey_id = s.id and r.status in ('sent', 'answered')) as "sent!",
                (select count(*) from survey_recipient r
                 where r.survey_id = s.id and r.status = 'answered') as "answered!"
         from survey s where s.active order by s.id"#
    )
    .fetch_all(pool)
    .await?;
    Ok(found)
}

/// One survey with its questions.
pub async fn load(conn: &mut PgConnection, id: i64) -> Result<Survey, AppError> {
    let survey = sqlx::query!(
        "select name_zh, name_en, intro_zh, intro_en, send_on_ticket_resolved, link_valid_days, version
         from survey where id = $1 and active",
        id,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let questions = sqlx::query!(
        "select kind, text_zh, text_en, options, required from survey_question
         where survey_id = $1 order by position",
        id,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Survey {
        id: Some(id),
        name_zh: survey.name_zh,
        name_en: survey.name_en,
        intro_zh: survey.intro_zh,
        intro_en: survey.intro_en,
        send_on_ticket_resolved: survey.send_on_ticket_resolved,
        link_valid_days: survey.link_valid_days,
        version: survey.version,
        questions: questions
            .into_iter()
            .map(|q| {
                Ok(Question {
                    kind: crate::error::stored(QuestionKind::parse(&q.kind))?,
                    text_zh: q.text_zh,
                    text_en: q.text_en,
                    options: serde_json::from_value(q.options).map_err(AppError::internal)?,
                    required: q.required,
                })
            })
            .collect::<Result<_, AppError>>()?,
    })
}

/// Creates or updates a survey and replaces its questions. Answers keep a copy of the
/// questions they answered, so editing never garbles past results.
///
/// Errors: `Validation`, `Conflict`, `NotFound`.
pub async fn save(
    state: &AppState,
    caller: &Authenticated,
    survey: Survey,
) -> Result<i64, AppError> {
    survey.validate()?;
    let mut tx = state.pool.begin().await?;
    if survey.send_on_ticket_resolved {
        // Only one survey goes out after resolved tickets: the new choice replaces the old.
        sqlx::query!(
            "update survey set send_on_ticket_resolved = false, version = version + 1
             where send_on_ticket_resolved and id is distinct from $1",
            survey.id,
        )
        .execute(&mut *tx)
        .await?;
    }
    let id = match survey.id {
        Some(id) => {
            let before = load(&mut tx, id).await?;
            let updated = sqlx::query!(
                "update survey set name_zh = $2, name_en = $3, intro_zh = $4, intro_en = $5,
                     send_on_ticket_resolved = $6, link_valid_days = $7, version = version + 1, updated_at = now()
                 where id = $1 and version = $8 and active",
                id,
                survey.name_zh.trim(),
                survey.name_en.trim(),
                survey.intro_zh.trim(),
                survey.intro_en.trim(),
                survey.send_on_ticket_resolved,
                survey.link_valid_days,
                survey.version,
            )
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                return Err(AppError::Conflict);
            }
            record(
                &mut *tx,
                caller.actor(),
                Change::new("update", "survey", id).before(&before).after(&survey),
            )
            .await?;
            sqlx::query!("delete from survey_question where survey_id = $1", id)
                .execute(&mut *tx)
                .await?;
            id
        }
        None => {
            let id = sqlx::query_scalar!(
                "insert into survey (name_zh, name_en, intro_zh, intro_en, send_on_ticket_resolved,
                     link_valid_days, created_by)
                 values ($1, $2, $3, $4, $5, $6, $7) returning id",
                survey.name_zh.trim(),
                survey.name_en.trim(),
                survey.intro_zh.trim(),
                survey.intro_en.trim(),
                survey.send_on_ticket_resolved,
                survey.link_valid_days,
                caller.id().0,
            )
            .fetch_one(&mut *tx)
            .await?;
            record(&mut *tx, caller.actor(), Change::new("create", "survey", id).after(&survey))
                .await?;
            id
        }
    };
    // Every question in one statement, numbered in the order given.
    let questions = &survey.questions;
    let options = questions
        .iter()
        .map(|q| serde_json::to_value(&q.options))
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::internal)?;
    sqlx::query!(
        "insert into survey_question (survey_id, position, kind, text_zh, text_en, options, required)
         select $1, q.position, q.kind, q.text_zh, q.text_en, q.options, q.required
         from unnest($2::text[], $3::text[], $4::text[], $5::jsonb[], $6::bool[])
              with ordinality as q(kind, text_zh, text_en, options, required, position)",
        id,
        &questions.iter().map(|q| q.kind.as_str().to_owned()).collect::<Vec<_>>(),
        &questions.iter().map(|q| q.text_zh.trim().to_owned()).collect::<Vec<_>>(),
        &questions.iter().map(|q| q.text_en.trim().to_owned()).collect::<Vec<_>>(),
        &options,
        &questions.iter().map(|q| q.required).collect::<Vec<_>>(),
    )
    .execute(&mut *tx)
    .await?;
    publish(&mut *tx, &survey_event(id)).await?;
    tx.commit().await?;
    Ok(id)
}

/// Queues a survey to one customer or to every customer of a segment (in the caller's scope),
/// and the job that emails them.
///
/// Errors: `NotFound` (survey, customer or segment), `Validation` (`target`: nobody to send to).
pub async fn send(
    state: &AppState,
    caller: &Authenticated,
    survey_id: i64,
    target: SendTarget,
) -> Result<SendOutcome, AppError> {
    let mut tx = state.pool.begin().await?;
    load(&mut tx, survey_id).await?;
    let scope = caller.scope.visible_owners();
    let (target_name, segment_id, customer_ids): (&str, Option<i64>, Vec<i64>) = match &target {
        SendTarget::Customer(customer) => {
            if !crate::customers::repo::visible(&state.pool, *customer, scope.as_deref()).await? {
                return Err(AppError::NotFound);
            }
            ("customer", None, vec![customer.0])
        }
        SendTarget::Segment(segment) => {
            let filter = sqlx::query_scalar!("select filter from segment where id = $1", segment)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(AppError::NotFound)?;
            let filter: crate::customers::model::CustomerFilter =
                serde_json::from_value(filter).map_err(AppError::internal)?;
            let settings = crate::customers::repo::settings(&state.pool).await?;
            let mut query =
                sqlx::QueryBuilder::new("select c.id from customer c where c.deleted_at is null");
            crate::customers::repo::push_filters(&mut query, &filter, scope.as_deref(), &settings);
            let ids: Vec<i64> = query.build_query_scalar().fetch_all(&mut *tx).await?;
            ("segment", Some(*segment), ids)
        }
    };
    let send_id = sqlx::query_scalar!(
        "insert into survey_send (survey_id, target, segment_id, created_by)
         values ($1, $2, $3, $4) returning id",
        survey_id,
        target_name,
        segment_id,
        caller.id().0,
    )
    .fetch_one(&mut *tx)
    .await?;
    let outcome = add_recipients(&mut tx, send_id, survey_id, &customer_ids, None).await?;
    if outcome.recipients == 0 {
        return Err(AppError::validation("target", FieldError::Empty));
    }
    let job_id = queue_delivery(&mut tx, send_id, Some(caller.id())).await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("send", "survey", survey_id).after(&serde_json::json!({
            "send_id": send_id, "target": target_name, "segment_id": segment_id,
            "recipients": outcome.recipients, "skipped_without_email": outcome.skipped_without_email,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(SendOutcome { job_id, ..outcome })
}

async fn add_recipients(
    conn: &mut PgConnection,
    send_id: i64,
    survey_id: i64,
    customers: &[i64],
    ticket: Option<TicketId>,
) -> Result<SendOutcome, AppError> {
    // The address a customer is surveyed at: their own, else their primary contact's.
    let inserted = sqlx::query!(
        "insert into survey_recipient (send_id, survey_id, customer_id, ticket_id, email, locale)
         select $1, $2, c.id, $4, e.email, c.locale
         from customer c cross join lateral (
             select coalesce(nullif(c.email, ''),
                 (select ct.email from contact ct
                  where ct.customer_id = c.id and nullif(ct.email, '') is not null
                  order by ct.is_primary desc, ct.id limit 1)) as email) e
         where c.id = any($3) and c.deleted_at is null and e.email is not null
         on conflict do nothing",
        send_id,
        survey_id,
        customers,
        ticket.map(|t| t.0),
    )
    .execute(&mut *conn)
    .await?
    .rows_affected() as i32;
    let skipped = customers.len() as i32 - inserted;
    sqlx::query!(
        "update survey_send set recipients = $2, skipped_without_email = $3 where id = $1",
        send_id,
        inserted,
        skipped.max(0),
    )
    .execute(&mut *conn)
    .await?;
    Ok(SendOutcome { recipients: inserted, skipped_without_email: skipped.max(0), job_id: None })
}

async fn queue_delivery(
    conn: &mut PgConnection,
    send_id: i64,
    created_by: Option<crate::auth::model::UserId>,
) -> Result<Option<i64>, AppError> {
    let mut job = NewJob::new(job_kinds::SURVEY_SEND, serde_json::json!({ "send_id": send_id }));
    job.created_by = created_by;
    job.dedupe_key = Some(format!("survey_send:{send_id}"));
    let job_id = enqueue(&mut *conn, job).await?;
    sqlx::query!("update survey_send set job_id = $2 where id = $1", send_id, job_id)
        .execute(&mut *conn)
        .await?;
    Ok(job_id)
}

/// The `survey_after_resolution` job, queued by a ticket's resolution: sends the survey that
/// follows resolutions, in one transaction.
pub async fn after_resolution(ctx: JobContext) -> Result<(), JobError> {
    #[derive(serde::Deserialize)]
    struct Payload {
        ticket_id: i64,
    }
    let payload: Payload = ctx.payload()?;
    let mut tx = ctx.state.pool.begin().await?;
    send_after_resolution(&mut tx, ctx.actor(), TicketId(payload.ticket_id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Queues the survey set to follow resolved tickets, once per ticket, when the customer has an
/// address.
pub async fn send_after_resolution(
    conn: &mut PgConnection,
    actor: Actor,
    ticket: TicketId,
) -> Result<(), AppError> {
    let survey = sqlx::query_scalar!(
        "select id from survey where send_on_ticket_resolved and active limit 1"
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(survey_id) = survey else { return Ok(()) };
    let already = sqlx::query_scalar!(
        r#"select exists(select 1 from survey_recipient where survey_id = $1 and ticket_id = $2)
           as "already!""#,
        survey_id,
        ticket.0,
    )
    .fetch_one(&mut *conn)
    .await?;
    if already {
        return Ok(());
    }
    let customer = sqlx::query_scalar!("select customer_id from ticket where id = $1", ticket.0)
        .fetch_one(&mut *conn)
        .await?;
    let send_id = sqlx::query_scalar!(
        "insert into survey_send (survey_id, target, ticket_id, created_by)
         values ($1, 'ticket', $2, $3) returning id",
        survey_id,
        ticket.0,
        actor.user_id.map(|u| u.0),
    )
    .fetch_one(&mut *conn)
    .await?;
    let outcome = add_recipients(conn, send_id, survey_id, &[customer], Some(ticket)).await?;
    if outcome.recipients > 0 {
        queue_delivery(conn, send_id, actor.user_id).await?;
    }
    Ok(())
}

/// Gives a recipient a fresh link valid for `days`, replacing any earlier one, and returns
/// its token (stored only as a hash) and expiry.
pub async fn issue_link(
    executor: impl PgExecutor<'_>,
    recipient: i64,
    days: i32,
) -> Result<(String, DateTime<Utc>), AppError> {
    let (token, hash) = new_token();
    let expires = Utc::now() + Duration::days(days as i64);
    sqlx::query!(
        "update survey_recipient set token_hash = $2, expires_at = $3 where id = $1",
        recipient,
        &hash,
        expires as _,
    )
    .execute(executor)
    .await?;
    Ok((token, expires))
}

/// A new unguessable token (256 random bits, hex) and the hash that is stored.
fn new_token() -> (String, Vec<u8>) {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let hash = token_hash(&token);
    (token, hash)
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

/// The email a recipient gets.
fn message_text(
    survey: &Survey,
    locale: Locale,
    link: &str,
    expires: DateTime<Utc>,
    zone: chrono_tz::Tz,
) -> (String, String) {
    // The last day the link works, on the company's calendar.
    let date = expires.with_timezone(&zone).format("%Y-%m-%d");
    match locale {
        Locale::ZhCn => (
            format!("{}：请告诉我们您的评价", survey.name_zh),
            format!(
                "您好，\n\n{}\n\n请点击以下链接作答（约一分钟，链接仅可使用一次，{date} 前有效）：\n{link}\n\n谢谢！",
                survey.intro_zh
            ),
        ),
        Locale::En => (
            format!("{}: tell us how we did", survey.name_en),
            format!(
                "Hello,\n\n{}\n\nPlease answer at this link (about a minute; it works once and until {date}):\n{link}\n\nThank you!",
                survey.intro_en
            ),
        ),
    }
}

/// The job that emails a sending's queued recipients. Each recipient is tried up to
/// `MAX_SEND_ATTEMPTS` times across job attempts; a fresh token is stored before each email,
/// so only the link in the email that went out works.
pub async fn deliver(mut ctx: JobContext) -> Result<(), JobError> {
    #[derive(serde::Deserialize)]
    struct Payload {
        send_id: i64,
    }
    let Payload { send_id } = ctx.payload()?;
    let pool = ctx.state.pool.clone();
    let settings = ctx.state.settings.clone();
    let mailer = crate::mail::Mailer::from_settings(&settings);
    let zone = ctx.state.clock.zone(&pool).await;
    let survey_id = sqlx::query_scalar!("select survey_id from survey_send where id = $1", send_id)
        .fetch_optional(&pool)
        .await?
        .ok_or_else(|| JobError::Fatal(format!("no survey sending {send_id}")))?;
    let survey = {
        let mut conn = pool.acquire().await?;
        match load(&mut conn, survey_id).await {
            Ok(survey) => survey,
            Err(AppError::NotFound) => return Err(JobError::Fatal("survey deleted".into())),
            Err(other) => return Err(other.into()),
        }
    };
    // Recipients already tried by an earlier attempt count as done; each one tried now adds one.
    let counts = sqlx::query!(
        r#"select count(*) as "total!",
                  count(*) filter (where status <> 'queued' or attempts > 0) as "done!"
           from survey_recipient where send_id = $1"#,
        send_id,
    )
    .fetch_one(&pool)
    .await?;
    let total = counts.total;
    let mut done = counts.done;
    let mut retry_later = 0;
    let mut last_id = 0i64;
    loop {
        let batch = sqlx::query!(
            "select id, email, locale, attempts from survey_recipient
             where send_id = $1 and status = 'queued' and id > $2 order by id limit 50",
            send_id,
            last_id,
        )
        .fetch_all(&pool)
        .await?;
        if batch.is_empty() {
            break;
        }
        for recipient in batch {
            let (id, email, attempts) = (recipient.id, recipient.email, recipient.attempts);
            last_id = id;
            let locale = Locale::from_stored(&recipient.locale);
            let (token, expires) = issue_link(&pool, id, survey.link_valid_days).await?;
            let link = format!("{}/s/{token}", settings.public_url.trim_end_matches('/'));
            let (subject, body) = message_text(&survey, locale, &link, expires, zone);
            let outcome = match &mailer {
                Ok(mailer) => mailer.send(&email, &subject, body).await,
                Err(error) => Err(error.clone()),
            };
            match outcome {
                Ok(()) => {
                    sqlx::query!(
                        "update survey_recipient set status = 'sent', sent_at = now(),
                             attempts = attempts + 1, last_error = null
                         where id = $1",
                        id,
                    )
                    .execute(&pool)
                    .await?;
                }
                Err(error) => {
                    let give_up = attempts + 1 >= MAX_SEND_ATTEMPTS;
                    tracing::warn!(%error, recipient = id, give_up, "survey email failed");
                    if !give_up {
                        retry_later += 1;
                    }
                    sqlx::query!(
                        "update survey_recipient set attempts = attempts + 1, last_error = $2,
                             token_hash = null, status = case when $3 then 'failed' else 'queued' end
                         where id = $1",
                        id,
                        error.chars().take(500).collect::<String>(),
                        give_up,
                    )
                    .execute(&pool)
                    .await?;
                }
            }
            if attempts == 0 {
                done += 1;
            }
            ctx.progress(done, Some(total), None).await?;
        }
        publish(&pool, &survey_event(survey_id)).await?;
    }
    publish(&pool, &survey_event(survey_id)).await?;
    if retry_later > 0 {
        // The queue retries the job with back-off; recipients that were sent are not resent.
        return Err(JobError::Retry(format!("{retry_later} emails failed and will be retried")));
    }
    Ok(())
}

struct Recipient {
    id: i64,
    survey_id: i64,
    customer_id: i64,
    ticket_id: Option<i64>,
    locale: Locale,
}

/// Finds a recipient by their token and checks the link still works.
async fn recipient_by_token(
    executor: impl PgExecutor<'_>,
    token: &str,
    lock: bool,
) -> Result<Recipient, AppError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let sql = format!(
        "select id, survey_id, customer_id, ticket_id, locale, expires_at, answered_at
         from survey_recipient where token_hash = $1{}",
        if lock { " for update" } else { "" }
    );
    // (id, survey, customer, ticket, locale, expires, answered)
    type LinkRow =
        (i64, i64, i64, Option<i64>, String, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let row: Option<LinkRow> =
        sqlx::query_as(&sql).bind(token_hash(token)).fetch_optional(executor).await?;
    let (id, survey_id, customer_id, ticket_id, locale, expires_at, answered_at) =
        row.ok_or(AppError::NotFound)?;
    if answered_at.is_some() {
        return Err(AppError::LinkUsed);
    }
    if expires_at.is_none_or(|at| at <= Utc::now()) {
        return Err(AppError::LinkExpired);
    }
    Ok(Recipient { id, survey_id, customer_id, ticket_id, locale: Locale::from_stored(&locale) })
}

/// The survey behind a link, in the recipient's language.
///
/// Errors: `NotFound` (no such link), `LinkUsed`, `LinkExpired`.
pub async fn public_survey(pool: &PgPool, token: &str) -> Result<PublicSurvey, AppError> {
    let recipient = recipient_by_token(pool, token, false).await?;
    let mut conn = pool.acquire().await?;
    Ok(PublicSurvey {
        locale: recipient.locale,
        survey: load(&mut conn, recipient.survey_id).await?,
    })
}

/// Records an answer once. A detractor's answer opens a follow-up ticket for the customer's
/// owner, linked to the answer, in the same transaction.
///
/// Errors: `NotFound`, `LinkUsed`, `LinkExpired`, `Validation` (`q{n}`).
pub async fn answer(
    state: &AppState,
    token: &str,
    answers: Vec<AnswerValue>,
) -> Result<Option<TicketId>, AppError> {
    let mut tx = state.pool.begin().await?;
    let recipient = recipient_by_token(&mut *tx, token, true).await?;
    let survey = load(&mut tx, recipient.survey_id).await?;
    validate_answers(&survey.questions, &answers)?;
    let (csat, nps) = headline_scores(&survey.questions, &answers);
    let customer = CustomerId(recipient.customer_id);
    let tier = crate::tiers::service::tier_of(&mut *tx, customer).await?;
    let people = sqlx::query!(
        "select (select assignee_id from ticket where id = $2) as agent,
                (select owner_id from customer where id = $1) as owner",
        customer.0,
        recipient.ticket_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    let (agent, owner) = (people.agent, people.owner);
    let stored_answers: Vec<serde_json::Value> = survey
        .questions
        .iter()
        .zip(answers.iter().chain(std::iter::repeat(&AnswerValue::Skipped)))
        .map(|(q, a)| {
            serde_json::json!({
                "kind": q.kind.as_str(), "text_zh": q.text_zh, "text_en": q.text_en,
                "options": q.options, "value": a,
            })
        })
        .collect();
    let answer_id = sqlx::query_scalar!(
        "insert into survey_answer (recipient_id, survey_id, customer_id, ticket_id, agent_id, tier_id, csat, nps, answers)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
        recipient.id,
        recipient.survey_id,
        customer.0,
        recipient.ticket_id,
        agent,
        tier.as_ref().map(|t| t.id.0),
        csat,
        nps,
        serde_json::Value::Array(stored_answers),
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "update survey_recipient set status = 'answered', answered_at = now() where id = $1",
        recipient.id,
    )
    .execute(&mut *tx)
    .await?;
    let comments: Vec<String> = survey
        .questions
        .iter()
        .zip(&answers)
        .filter_map(|(q, a)| match (q.kind, a) {
            (QuestionKind::Text, AnswerValue::Text(t)) if !t.trim().is_empty() => {
                Some(t.trim().to_owned())
            }
            _ => None,
        })
        .collect();
    append(
        &mut *tx,
        NewEntry::now(customer, SURVEY_ANSWERED, None).reference(answer_id).data(
            serde_json::json!({
                "survey_zh": survey.name_zh, "survey_en": survey.name_en, "csat": csat, "nps": nps,
                "comment": comments.first(),
            }),
        ),
    )
    .await?;
    let followup = if is_detractor(csat, nps) {
        let score = match (csat, nps) {
            (Some(c), _) if c <= 2 => format!("CSAT {c}"),
            (_, Some(n)) => format!("NPS {n}"),
            _ => String::new(),
        };
        let customer_locale = recipient.locale;
        let subject = match customer_locale {
            Locale::ZhCn => format!("满意度回访：{}（{score}）", survey.name_zh),
            Locale::En => format!("Satisfaction follow-up: {} ({score})", survey.name_en),
        };
        let input = TicketInput {
            customer_id: Some(customer),
            channel: Channel::Survey,
            category: Category::Complaint,
            priority: TicketPriority::High,
            subject,
            description: comments.join("\n\n"),
            assignee_id: owner.map(crate::auth::model::UserId),
            ..Default::default()
        };
        let (ticket, _) = crate::tickets::service::create_in(
            &mut tx,
            Actor::system(),
            None,
            input,
            Some(answer_id),
        )
        .await?;
        sqlx::query!(
            "update survey_answer set followup_ticket_id = $2 where id = $1",
            answer_id,
            ticket.0,
        )
        .execute(&mut *tx)
        .await?;
        Some(ticket)
    } else {
        let event = crate::customers::service::customer_event(&mut tx, customer).await?;
        publish(&mut *tx, &event).await?;
        None
    };
    publish(&mut *tx, &survey_event(recipient.survey_id)).await?;
    tx.commit().await?;
    Ok(followup)
}

/// A survey's results.
pub async fn results(
    pool: &PgPool,
    survey_id: i64,
    scope: &DataScope,
) -> Result<SurveyResults, AppError> {
    let survey = {
        let mut conn = pool.acquire().await?;
        load(&mut conn, survey_id).await?
    };
    // A manager sees the answers and recipients of the customers in their scope only.
    let owners = scope.visible_owners();
    let delivery = sqlx::query!(
        r#"select count(*) filter (where r.status = 'queued') as "queued!",
                count(*) filter (where r.status in ('sent', 'answered')) as "sent!",
                count(*) filter (where r.status = 'failed') as "failed!",
                count(*) filter (where r.status = 'answered') as "answered!"
         from survey_recipient r join customer c on c.id = r.customer_id
         where r.survey_id = $1 and ($2::bigint[] is null or c.owner_id = any($2))"#,
        survey_id,
        owners.as_deref(),
    )
    .fetch_one(pool)
    .await?;
    let (queued, sent, failed, answered) =
        (delivery.queued, delivery.sent, delivery.failed, delivery.answered);
    // Every grouping in one pass over the answers: all of them, by week, by agent, by tier.
    let groups = sqlx::query!(
        r#"select grouping(w.week, u.display_name, t.name_zh, t.name_en, t.position) as "grouping!",
                w.week as "week?: chrono::NaiveDate", coalesce(u.display_name, '—') as "agent!",
                coalesce(t.name_zh || ' / ' || t.name_en, '—') as "tier!", t.position as "tier_position?",
                count(*) as "answers!", count(a.csat) as "csat_answers!",
                count(*) filter (where a.csat >= 4) as "satisfied!",
                count(*) filter (where a.nps >= 9) as "promoters!",
                count(*) filter (where a.nps between 7 and 8) as "passives!",
                count(*) filter (where a.nps <= 6) as "detractors!"
         from survey_answer a join customer sc on sc.id = a.customer_id
         left join app_user u on u.id = a.agent_id
         left join tier t on t.id = a.tier_id
         cross join lateral (
             select date_trunc('week', a.created_at at time zone company_time_zone())::date as week) w
         where a.survey_id = $1 and ($2::bigint[] is null or sc.owner_id = any($2))
         group by grouping sets ((), (w.week), (u.display_name), (t.name_zh, t.name_en, t.position))"#,
        survey_id,
        owners.as_deref(),
    )
    .fetch_all(pool)
    .await?;
    // `grouping(...)` has a bit set for each column the row is not grouped by (week is the
    // highest of five): all 31 for the overall row, all but week's for the weeks, and so on.
    const OVERALL: i32 = 0b11111;
    const BY_WEEK: i32 = 0b01111;
    const BY_AGENT: i32 = 0b10111;
    let mut overall = None;
    let (mut by_week, mut by_agent, mut by_tier) = (Vec::new(), Vec::new(), Vec::new());
    for g in groups {
        let counts = ScoreGroup {
            label: String::new(),
            week: g.week,
            answers: g.answers,
            csat_percent: csat_percent(g.satisfied, g.csat_answers),
            nps: net_promoter_score(g.promoters, g.passives, g.detractors),
        };
        match g.grouping {
            OVERALL => {
                overall = Some((counts, g.csat_answers, g.promoters, g.passives, g.detractors))
            }
            BY_WEEK => by_week.push(counts),
            BY_AGENT => by_agent.push(ScoreGroup { label: g.agent, ..counts }),
            _ => by_tier.push((g.tier_position, ScoreGroup { label: g.tier, ..counts })),
        }
    }
    by_week.sort_by_key(|g| std::cmp::Reverse(g.week));
    by_week.truncate(26);
    by_agent.sort_by_key(|g| std::cmp::Reverse(g.answers));
    by_agent.truncate(50);
    // Tiers in their order, answers without a tier last.
    by_tier.sort_by_key(|(position, _)| (position.is_none(), *position));
    let by_tier = by_tier.into_iter().map(|(_, group)| group).collect();
    let (overall, csat_answers, promoters, passives, detractors) = overall.unwrap_or_default();
    let texts = sqlx::query!(
        r#"select a.customer_id, c.name as customer_name,
                e->>'text_zh' || ' / ' || (e->>'text_en') as "question!",
                e->'value'->>'Text' as "text!", a.created_at as "created_at: DateTime<Utc>"
         from survey_answer a join customer c on c.id = a.customer_id
         cross join lateral jsonb_array_elements(a.answers) e
         where a.survey_id = $1 and ($2::bigint[] is null or c.owner_id = any($2))
           and e->>'kind' = 'text' and coalesce(e->'value'->>'Text', '') <> ''
         order by a.created_at desc limit 50"#,
        survey_id,
        owners.as_deref(),
    )
    .fetch_all(pool)
    .await?;
    let recipients = sqlx::query!(
        r#"select r.id, r.customer_id, c.name as customer_name, r.email, r.status, r.attempts,
                r.last_error, r.sent_at as "sent_at: DateTime<Utc>",
                r.answered_at as "answered_at: DateTime<Utc>", a.followup_ticket_id as "followup_ticket_id?"
         from survey_recipient r join customer c on c.id = r.customer_id
         left join survey_answer a on a.recipient_id = r.id
         where r.survey_id = $1 and ($2::bigint[] is null or c.owner_id = any($2))
         order by r.id desc limit 100"#,
        survey_id,
        owners.as_deref(),
    )
    .fetch_all(pool)
    .await?;
    Ok(SurveyResults {
        survey,
        queued,
        sent,
        failed,
        answered,
        response_rate_percent: (sent > 0).then(|| answered as f64 * 100.0 / sent as f64),
        csat_answers,
        csat_percent: overall.csat_percent,
        promoters,
        passives,
        detractors,
        nps: overall.nps,
        by_week,
        by_agent,
        by_tier,
        texts: texts
            .into_iter()
            .map(|t| TextAnswer {
                customer_id: CustomerId(t.customer_id),
                customer_name: t.customer_name,
                question: t.question,
                text: t.text,
                at: t.created_at,
            })
            .collect(),
        recipients: recipients
            .into_iter()
            .map(|r| RecipientRow {
                id: r.id,
                customer_id: CustomerId(r.customer_id),
                customer_name: r.customer_name,
                email: r.email,
                status: r.status,
                attempts: r.attempts,
                last_error: r.last_error,
                sent_at: r.sent_at,
                answered_at: r.answered_at,
                followup_ticket_id: r.followup_ticket_id,
            })
            .collect(),
    })
}
