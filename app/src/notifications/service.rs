//! Writing, listing and emailing notifications (server only).

use super::model::*;
use crate::{
    auth::model::UserId,
    error::{AppError, stored},
    events::{Audience, ServerEvent, Topic, publish},
    i18n::{Locale, NotifyText, Text, fill},
    jobs::{
        context::{JobContext, JobError},
        model::kinds,
        queue::{NewJob, enqueue},
    },
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// Something that concerns `user`, written by the area where it happened.
pub struct Notice {
    pub user: UserId,
    pub kind: NotificationKind,
    pub entity_type: EntityType,
    pub entity_id: i64,
    /// The record's name as the notification shows it.
    pub title: String,
    /// Who caused it; none for the system (routing, sweeps). No one is notified of their own act.
    pub actor: Option<UserId>,
    pub excerpt: Option<String>,
    /// What makes this event one: the same key for the same user is notified once.
    pub event_key: String,
}

impl Notice {
    /// `user` was given the record (as owner or assignee) by `by`; `version` is the record's
    /// version after the write, so each assignment is one event.
    pub fn assigned(
        kind: NotificationKind,
        entity_type: EntityType,
        entity_id: i64,
        title: String,
        user: UserId,
        by: Option<UserId>,
        version: i32,
    ) -> Self {
        Notice {
            user,
            kind,
            entity_type,
            entity_id,
            title,
            actor: by,
            excerpt: None,
            event_key: format!("{}:{entity_id}:{version}", kind.as_str()),
        }
    }
}

/// Writes `notice` inside `conn`'s transaction, as the user's preference for its kind says, and
/// queues its email. Returns the notification's id, or `None` when nothing was written: the
/// user did it themselves, turned the kind off, is inactive, or was already told of this event.
pub async fn notify(conn: &mut PgConnection, notice: Notice) -> Result<Option<i64>, AppError> {
    if notice.actor == Some(notice.user) {
        return Ok(None);
    }
    let data = serde_json::json!({ "title": notice.title, "excerpt": notice.excerpt });
    let written = sqlx::query!(
        r#"insert into notification (user_id, kind, entity_type, entity_id, data, event_key,
                                     actor_id, email_status)
           select u.id, $2, $3, $4, $5, $6, $7,
                  case when coalesce(p.channel, $8) = 'email'
                       then case when u.notification_digest then 'digest' else 'queued' end
                  end
           from app_user u
           left join notification_preference p on p.user_id = u.id and p.kind = $2
           where u.id = $1 and u.active and coalesce(p.channel, $8) <> 'off'
           on conflict (user_id, event_key) do nothing
           returning id, email_status"#,
        notice.user.0,
        notice.kind.as_str(),
        notice.entity_type.as_str(),
        notice.entity_id,
        data,
        notice.event_key,
        notice.actor.map(|a| a.0),
        notice.kind.default_channel().as_str(),
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(written) = written else { return Ok(None) };
    if written.email_status.as_deref() == Some("queued") {
        let mut job = NewJob::new(
            kinds::NOTIFICATION_EMAIL,
            serde_json::json!({ "notification": written.id }),
        );
        job.dedupe_key = Some(format!("notification:{}", written.id));
        enqueue(&mut *conn, job).await?;
    }
    publish(&mut *conn, &bell_event(notice.user)).await?;
    Ok(Some(written.id))
}

/// The record a note that may mention people is written on.
pub struct Mentioned {
    pub entity_type: EntityType,
    pub entity_id: i64,
    pub title: String,
    /// What makes the note one event (e.g. `ticket_message:17`).
    pub event: String,
}

/// Notifies every active user `@`-mentioned by their display name in `text`, written by
/// `author` on `on`.
pub async fn notify_mentions(
    conn: &mut PgConnection,
    author: UserId,
    text: &str,
    on: Mentioned,
) -> Result<usize, AppError> {
    if !text.contains('@') {
        return Ok(0);
    }
    let users = sqlx::query!("select id, display_name from app_user where active")
        .fetch_all(&mut *conn)
        .await?;
    let names: Vec<String> = users.iter().map(|u| u.display_name.clone()).collect();
    let excerpt: String = text.chars().take(120).collect();
    let mut count = 0;
    for name in mentioned(text, &names) {
        for user in users.iter().filter(|u| u.display_name == name) {
            let notice = Notice {
                user: UserId(user.id),
                kind: NotificationKind::Mention,
                entity_type: on.entity_type,
                entity_id: on.entity_id,
                title: on.title.clone(),
                actor: Some(author),
                excerpt: Some(excerpt.clone()),
                event_key: format!("mention:{}", on.event),
            };
            count += usize::from(notify(&mut *conn, notice).await?.is_some());
        }
    }
    Ok(count)
}

/// Tells `user`'s open pages that their notifications changed.
fn bell_event(user: UserId) -> ServerEvent {
    ServerEvent { topic: Topic::Notification, id: user.0, audience: Audience::Only(vec![user]) }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    entity_type: String,
    entity_id: i64,
    data: serde_json::Value,
    actor: Option<String>,
    created_at: DateTime<Utc>,
    read: bool,
}

impl TryFrom<Row> for Notification {
    type Error = AppError;

    fn try_from(r: Row) -> Result<Self, AppError> {
        let text = |key: &str| r.data.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        Ok(Notification {
            id: r.id,
            kind: stored(NotificationKind::parse(&r.kind))?,
            entity_type: stored(EntityType::parse(&r.entity_type))?,
            entity_id: r.entity_id,
            title: text("title").unwrap_or_default(),
            excerpt: text("excerpt"),
            actor: r.actor,
            created_at: r.created_at,
            read: r.read,
        })
    }
}

const COLUMNS: &str = "n.id, n.kind, n.entity_type, n.entity_id, n.data,
    a.display_name as actor, n.created_at, n.read_at is not null as read";

/// The user's newest notifications (before `before`, an id), and how many are unread.
pub async fn inbox(
    pool: &PgPool,
    user: UserId,
    before: Option<i64>,
    limit: i64,
) -> Result<Inbox, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from notification n left join app_user a on a.id = n.actor_id
         where n.user_id = $1 and ($2::bigint is null or n.id < $2)
         order by n.id desc limit $3"
    ))
    .bind(user.0)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    let unread = unread_count(pool, user).await?;
    let items = rows.into_iter().map(Notification::try_from).collect::<Result<Vec<_>, _>>()?;
    let page = crate::paging::Page::from_overfetch(items, limit, |n: &Notification| n.id);
    Ok(Inbox { items: page.items, unread, next: page.next })
}

pub async fn unread_count(pool: &PgPool, user: UserId) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "count!" from notification where user_id = $1 and read_at is null"#,
        user.0
    )
    .fetch_one(pool)
    .await?)
}

/// Marks the user's notifications `ids` read, or all of them with `None`. Only the user's own
/// are touched, whatever ids are sent.
pub async fn mark_read(pool: &PgPool, user: UserId, ids: Option<&[i64]>) -> Result<u64, AppError> {
    let mut tx = pool.begin().await?;
    let marked = sqlx::query!(
        "update notification set read_at = now()
         where user_id = $1 and read_at is null and ($2::bigint[] is null or id = any($2))",
        user.0,
        ids as _,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    publish(&mut *tx, &bell_event(user)).await?;
    tx.commit().await?;
    Ok(marked)
}

pub async fn preferences(pool: &PgPool, user: UserId) -> Result<Preferences, AppError> {
    let chosen = sqlx::query!(
        "select kind, channel from notification_preference where user_id = $1",
        user.0
    )
    .fetch_all(pool)
    .await?;
    let digest =
        sqlx::query_scalar!("select notification_digest from app_user where id = $1", user.0)
            .fetch_one(pool)
            .await?;
    let channels = NotificationKind::ALL
        .iter()
        .map(|&kind| {
            let channel = chosen
                .iter()
                .find(|c| c.kind == kind.as_str())
                .and_then(|c| Channel::parse(&c.channel).ok())
                .unwrap_or(kind.default_channel());
            (kind, channel)
        })
        .collect();
    Ok(Preferences { channels, digest })
}

pub async fn save_preferences(
    pool: &PgPool,
    user: UserId,
    preferences: &Preferences,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let (kinds, channels): (Vec<&str>, Vec<&str>) =
        preferences.channels.iter().map(|(k, c)| (k.as_str(), c.as_str())).unzip();
    sqlx::query!(
        "insert into notification_preference (user_id, kind, channel)
         select $1, k, c from unnest($2::text[], $3::text[]) as t(k, c)
         on conflict (user_id, kind) do update set channel = excluded.channel",
        user.0,
        &kinds as &[&str],
        &channels as &[&str],
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update app_user set notification_digest = $2 where id = $1",
        user.0,
        preferences.digest
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A notification with its reader's address and language, for its email.
struct Addressed {
    notification: Notification,
    email: String,
    locale: Locale,
}

#[derive(sqlx::FromRow)]
struct AddressedRow {
    #[sqlx(flatten)]
    notification: Row,
    email: String,
    locale: String,
    email_status: Option<String>,
}

/// The notification `id`, locked, with its reader's address and language and its email status.
async fn addressed(
    conn: &mut PgConnection,
    id: i64,
) -> Result<Option<(Addressed, String)>, AppError> {
    let row: Option<AddressedRow> = sqlx::query_as(&format!(
        "select {COLUMNS}, u.email, u.locale, n.email_status
         from notification n
         join app_user u on u.id = n.user_id
         left join app_user a on a.id = n.actor_id
         where n.id = $1
         for update of n"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some((
        Addressed {
            notification: Notification::try_from(row.notification)?,
            email: row.email,
            locale: Locale::from_stored(&row.locale),
        },
        row.email_status.unwrap_or_default(),
    )))
}

/// The email body for notifications: each sentence with its link, then why it was sent.
fn email_body(public_url: &str, notifications: &[Notification], locale: Locale) -> String {
    let mut body = String::new();
    for n in notifications {
        let url = format!("{}{}", public_url.trim_end_matches('/'), n.href());
        body.push_str(&n.sentence(locale));
        body.push('\n');
        body.push_str(&fill(NotifyText::EmailOpen.text(locale), &[("url", &url)]));
        body.push_str("\n\n");
    }
    body.push_str("-- \n");
    body.push_str(NotifyText::EmailFooter.text(locale));
    body.push('\n');
    body
}

/// The `notification_email` job: emails one notification, once. A notification read in the
/// meantime is emailed anyway (the person may read mail elsewhere); one already sent is not.
pub async fn send_email(ctx: JobContext) -> Result<(), JobError> {
    #[derive(serde::Deserialize)]
    struct Payload {
        notification: i64,
    }
    let payload: Payload = ctx.payload()?;
    let state = ctx.state.clone();
    let mut tx = state.pool.begin().await?;
    let Some((addressed, status)) = addressed(&mut tx, payload.notification).await? else {
        return Ok(());
    };
    if status != "queued" {
        return Ok(());
    }
    let Addressed { notification, email, locale } = addressed;
    let mailer = match crate::mail::Mailer::from_settings(&state.settings) {
        Ok(mailer) => mailer,
        Err(reason) => {
            // No server to send through: said on the notification, not retried.
            sqlx::query!(
                "update notification set email_status = 'failed', email_error = $2 where id = $1",
                notification.id,
                reason
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(());
        }
    };
    let subject = notification.sentence(locale);
    let body = email_body(&state.settings.public_url, std::slice::from_ref(&notification), locale);
    match mailer.send(&email, &subject, body).await {
        Ok(()) => {
            sqlx::query!(
                "update notification set email_status = 'sent', emailed_at = now(), email_error = null
                 where id = $1",
                notification.id
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }
        Err(reason) => {
            // Kept queued for the job's next attempt; the reason shows what the server refused.
            sqlx::query!(
                "update notification set email_error = $2 where id = $1",
                notification.id,
                reason
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Err(JobError::Retry(reason))
        }
    }
}

/// The `notification_digest` job: one email per user who asked for a digest, with what waited
/// for it since the last one.
pub async fn send_digests(mut ctx: JobContext) -> Result<(), JobError> {
    let state = ctx.state.clone();
    let users: Vec<i64> = sqlx::query_scalar!(
        "select distinct user_id from notification where email_status = 'digest'"
    )
    .fetch_all(&state.pool)
    .await?;
    if users.is_empty() {
        return Ok(());
    }
    let mailer = crate::mail::Mailer::from_settings(&state.settings).map_err(JobError::Fatal)?;
    let mut failures = Vec::new();
    let (total, mut done) = (users.len() as i64, 0);
    for user in users {
        let mut tx = state.pool.begin().await?;
        let (email, locale): (String, String) =
            sqlx::query_as("select email, locale from app_user where id = $1")
                .bind(user)
                .fetch_one(&mut *tx)
                .await?;
        let locale = Locale::from_stored(&locale);
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "select {COLUMNS} from notification n left join app_user a on a.id = n.actor_id
             where n.user_id = $1 and n.email_status = 'digest'
             order by n.id for update of n"
        ))
        .bind(user)
        .fetch_all(&mut *tx)
        .await?;
        let items = rows.into_iter().map(Notification::try_from).collect::<Result<Vec<_>, _>>()?;
        if items.is_empty() {
            continue;
        }
        let subject = fill(NotifyText::DigestSubject.text(locale), &[("n", &items.len())]);
        let body = email_body(&state.settings.public_url, &items, locale);
        let ids: Vec<i64> = items.iter().map(|n| n.id).collect();
        match mailer.send(&email, &subject, body).await {
            Ok(()) => {
                sqlx::query!(
                    "update notification set email_status = 'sent', emailed_at = now()
                     where id = any($1)",
                    &ids
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
            Err(reason) => failures.push(format!("{email}: {reason}")),
        }
        done += 1;
        ctx.progress(done, Some(total), None).await?;
    }
    if failures.is_empty() { Ok(()) } else { Err(JobError::Retry(failures.join("; "))) }
}
