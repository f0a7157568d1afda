//! Tickets: opening with the SLA of the customer's tier, queues, claiming, replies, status
//! changes with paused clocks, breach recording, the 360 section and the quality report
//! (server only).

use super::model::*;
use crate::{
    audit::repo::{Change, record},
    auth::{
        model::{Role, TeamId, UserId},
        server::{Actor, Authenticated},
    },
    customers::model::{CustomerId, TextMatch},
    customers::timeline::repo::{NewEntry, append},
    error::{AppError, FieldError, stored},
    events::{Audience, ServerEvent, Topic, publish},
    jobs::{
        model::kinds as job_kinds,
        queue::{self, NewJob},
    },
    notifications::{
        model::{EntityType, NotificationKind},
        service::{Mentioned, Notice, notify, notify_mentions},
    },
    state::AppState,
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Acquire, PgConnection, PgExecutor, PgPool, Postgres, QueryBuilder};

/// Timeline kinds of the service desk.
pub mod kinds {
    pub const TICKET_OPENED: &str = "ticket_opened";
    pub const TICKET_RESOLVED: &str = "ticket_resolved";
    pub const TICKET_REOPENED: &str = "ticket_reopened";
    pub const TICKET_DELETED: &str = "ticket_deleted";
    pub const TICKET_RESTORED: &str = "ticket_restored";
}

const ROW_COLUMNS: &str = "t.id, t.subject, t.customer_id, c.name as customer_name, t.category,
    t.priority, t.status, t.assignee_id, u.display_name as assignee_name,
    tr.name_zh as tier_name_zh, tr.name_en as tier_name_en, t.created_at, t.sla_due_at,
    t.first_responded_at, t.first_response_due, t.resolution_due, t.paused_at, t.version";

const ROW_JOINS: &str = "from ticket t
    join customer c on c.id = t.customer_id
    left join app_user u on u.id = t.assignee_id
    left join tier tr on tr.id = t.tier_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    subject: String,
    customer_id: i64,
    customer_name: String,
    category: String,
    priority: String,
    status: String,
    assignee_id: Option<i64>,
    assignee_name: Option<String>,
    tier_name_zh: Option<String>,
    tier_name_en: Option<String>,
    created_at: DateTime<Utc>,
    sla_due_at: Option<DateTime<Utc>>,
    first_responded_at: Option<DateTime<Utc>>,
    first_response_due: DateTime<Utc>,
    resolution_due: DateTime<Utc>,
    paused_at: Option<DateTime<Utc>>,
    version: i32,
}

impl TryFrom<Row> for TicketRow {
    type Error = AppError;

    fn try_from(r: Row) -> Result<Self, AppError> {
        Ok(TicketRow {
            id: TicketId(r.id),
            subject: r.subject,
            customer_id: CustomerId(r.customer_id),
            customer_name: r.customer_name,
            category: stored(Category::parse(&r.category))?,
            priority: stored(TicketPriority::parse(&r.priority))?,
            status: stored(TicketStatus::parse(&r.status))?,
            assignee_id: r.assignee_id.map(UserId),
            assignee_name: r.assignee_name,
            tier_name_zh: r.tier_name_zh,
            tier_name_en: r.tier_name_en,
            created_at: r.created_at,
            sla_due_at: r.sla_due_at,
            first_responded_at: r.first_responded_at,
            first_response_due: r.first_response_due,
            resolution_due: r.resolution_due,
            paused_at: r.paused_at,
            version: r.version,
        })
    }
}

fn rows(rows: Vec<Row>) -> Result<Vec<TicketRow>, AppError> {
    rows.into_iter().map(TicketRow::try_from).collect()
}

/// Who may see which tickets: those assigned to someone in scope, those of customers owned by
/// someone in scope, and unassigned ones of the caller's team (or of no team), so agents can
/// claim them.
pub(crate) struct TicketScope {
    owners: Option<Vec<i64>>,
    team: Option<i64>,
}

impl TicketScope {
    pub(crate) fn of(caller: &Authenticated) -> Self {
        TicketScope {
            owners: caller.scope.visible_owners(),
            team: caller.scope.team_id.map(|t| t.0),
        }
    }

    pub(crate) fn push(&self, query: &mut QueryBuilder<'_, Postgres>) {
        if let Some(owners) = &self.owners {
            query.push(" and (t.assignee_id = any(");
            query.push_bind(owners.clone());
            query.push(") or c.owner_id = any(");
            query.push_bind(owners.clone());
            query.push(") or (t.assignee_id is null and (t.team_id is null or t.team_id = ");
            query.push_bind(self.team);
            query.push(")))");
        }
    }
}

/// Tells a ticket's new assignee, unless they assigned it to themselves. `version` is the
/// ticket's version after the write: one notification per assignment.
async fn notify_assignee(
    conn: &mut PgConnection,
    kind: NotificationKind,
    id: TicketId,
    subject: &str,
    assignee: Option<UserId>,
    actor: Option<UserId>,
    version: i32,
) -> Result<(), AppError> {
    let Some(user) = assignee else { return Ok(()) };
    let title = format!("#{} {subject}", id.0);
    notify(conn, Notice::assigned(kind, EntityType::Ticket, id.0, title, user, actor, version))
        .await?;
    Ok(())
}

fn ticket_event(id: TicketId, assignee: Option<UserId>) -> ServerEvent {
    ServerEvent {
        topic: Topic::Ticket,
        id: id.0,
        audience: match assignee {
            Some(user) => Audience::Users { ids: vec![user], or_role: Role::Manager },
            // Unassigned tickets concern every agent who could claim them.
            None => Audience::RoleAtLeast(Role::Member),
        },
    }
}

/// Publishes a ticket change to its assignee (or every agent while unassigned), the queues,
/// and the customer's 360 page.
async fn announce(
    conn: &mut PgConnection,
    id: TicketId,
    assignee: Option<UserId>,
    customer: CustomerId,
) -> Result<(), AppError> {
    publish(&mut *conn, &ticket_event(id, assignee)).await?;
    let event = crate::customers::service::customer_event(&mut *conn, customer).await?;
    publish(&mut *conn, &event).await
}

/// Tells the ticket's viewers that its conversation changed (an email sent or received).
pub async fn announce_message(pool: &PgPool, id: TicketId) -> Result<(), AppError> {
    let mut conn = pool.acquire().await?;
    let row = sqlx::query!("select assignee_id, customer_id from ticket where id = $1", id.0)
        .fetch_one(&mut *conn)
        .await?;
    announce(&mut conn, id, row.assignee_id.map(UserId), CustomerId(row.customer_id)).await
}

/// The customer wrote (an email in) on a ticket that was `status`: a clock waiting on them runs
/// again; a resolved ticket is reopened with a new resolution deadline.
pub async fn customer_wrote(
    conn: &mut PgConnection,
    id: TicketId,
    status: TicketStatus,
) -> Result<(), AppError> {
    match status {
        TicketStatus::Waiting => resume(conn, id, TicketStatus::Open).await,
        TicketStatus::Resolved => {
            let due = reopened_deadline(conn, id).await?;
            sqlx::query!(
                "update ticket set status = 'reopened', resolved_at = null,
                     reopen_count = reopen_count + 1, resolution_due = $2,
                     resolution_breached = false, updated_at = now(), version = version + 1
                 where id = $1",
                id.0,
                due as _,
            )
            .execute(&mut *conn)
            .await?;
            Ok(())
        }
        _ => {
            sqlx::query!(
                "update ticket set updated_at = now(), version = version + 1 where id = $1",
                id.0
            )
            .execute(&mut *conn)
            .await?;
            Ok(())
        }
    }
}

/// A reopened ticket's new resolution deadline: its policy's time from now.
async fn reopened_deadline(
    conn: &mut PgConnection,
    id: TicketId,
) -> Result<DateTime<Utc>, AppError> {
    let (minutes, business_hours) = sqlx::query!(
        "select p.resolution_minutes, p.business_hours from ticket t
         join sla_policy p on p.id = t.sla_policy_id where t.id = $1",
        id.0,
    )
    .fetch_optional(&mut *conn)
    .await?
    .map_or((1440, true), |p| (p.resolution_minutes, p.business_hours));
    Ok(calendar(conn).await?.deadline(Utc::now(), minutes as i64, business_hours))
}

/// The desk's business hours.
pub async fn calendar(conn: &mut PgConnection) -> Result<BusinessCalendar, AppError> {
    let row = sqlx::query!(
        r#"select company_time_zone() as "time_zone!", work_days, day_start_minute,
                  day_end_minute, version
           from service_calendar where id = 1"#
    )
    .fetch_one(&mut *conn)
    .await?;
    let holidays =
        sqlx::query_scalar!(r#"select day as "day: NaiveDate" from service_holiday order by day"#)
            .fetch_all(&mut *conn)
            .await?;
    Ok(BusinessCalendar {
        time_zone: row.time_zone,
        work_days: row.work_days.into_iter().map(|d| d as u32).collect(),
        day_start_minute: row.day_start_minute,
        day_end_minute: row.day_end_minute,
        holidays,
        version: row.version,
    })
}

/// The policy for a priority and a tier: the tier's own row, else the general one.
async fn policy_for(
    conn: &mut PgConnection,
    priority: TicketPriority,
    tier: Option<i64>,
) -> Result<(i64, i32, i32, bool), AppError> {
    sqlx::query!(
        "select id, first_response_minutes, resolution_minutes, business_hours from sla_policy
         where priority = $1 and (tier_id = $2 or tier_id is null)
         order by tier_id is null limit 1",
        priority.as_str(),
        tier,
    )
    .fetch_optional(&mut *conn)
    .await?
    .map(|p| (p.id, p.first_response_minutes, p.resolution_minutes, p.business_hours))
    .ok_or_else(|| AppError::internal(format!("no SLA policy for priority {}", priority.as_str())))
}

/// Opens a ticket with the SLA of the customer's tier.
///
/// Errors: `Validation` (`customer_id`, `subject`, `assignee_id`...).
pub async fn create(
    state: &AppState,
    caller: &Authenticated,
    input: TicketInput,
) -> Result<TicketId, AppError> {
    let mut tx = state.pool.begin().await?;
    let (id, _) = create_in(&mut tx, caller.actor(), Some(&caller.scope), input, None).await?;
    tx.commit().await?;
    Ok(id)
}

/// Opens a ticket inside `conn`'s transaction. `scope` is the caller's (a system-opened
/// follow-up passes `None`); `survey_answer` links a detractor's answer.
pub async fn create_in(
    conn: &mut PgConnection,
    actor: Actor,
    scope: Option<&crate::auth::server::DataScope>,
    input: TicketInput,
    survey_answer: Option<i64>,
) -> Result<(TicketId, Option<UserId>), AppError> {
    input.validate()?;
    let customer =
        input.customer_id.ok_or(AppError::validation("customer_id", FieldError::Required))?;
    let visible = scope.and_then(|s| s.visible_owners());
    // Locked, so a merge or delete of the customer waits for the ticket to be written.
    if crate::customers::repo::lock(&mut *conn, customer, visible.as_deref()).await?.is_none() {
        return Err(AppError::validation("customer_id", FieldError::UnknownReference));
    }
    if let Some(contact) = input.contact_id {
        let belongs = sqlx::query_scalar!(
            r#"select exists(select 1 from contact where id = $1 and customer_id = $2) as "belongs!""#,
            contact,
            customer.0,
        )
        .fetch_one(&mut *conn)
        .await?;
        if !belongs {
            return Err(AppError::validation("contact_id", FieldError::UnknownReference));
        }
    }
    let team: Option<i64> = match input.assignee_id.or(actor.user_id) {
        Some(user) => {
            let row = sqlx::query!("select team_id, active from app_user where id = $1", user.0)
                .fetch_optional(&mut *conn)
                .await?;
            match row.map(|r| (r.team_id, r.active)) {
                Some((team, true)) => team,
                _ if input.assignee_id.is_some() => {
                    return Err(AppError::validation("assignee_id", FieldError::UnknownReference));
                }
                _ => None,
            }
        }
        None => None,
    };
    if let (Some(scope), Some(assignee)) = (scope, input.assignee_id)
        && !scope.can_see_owner(Some(assignee))
    {
        return Err(AppError::validation("assignee_id", FieldError::OwnerOutOfScope));
    }
    let tier = crate::tiers::service::tier_of(&mut *conn, customer).await?;
    let tier_id = tier.as_ref().map(|t| t.id.0);
    let (policy_id, first_minutes, resolution_minutes, business_hours) =
        policy_for(conn, input.priority, tier_id).await?;
    let calendar = calendar(conn).await?;
    let now = Utc::now();
    let first_due = calendar.deadline(now, first_minutes as i64, business_hours);
    let resolution_due = calendar.deadline(now, resolution_minutes as i64, business_hours);
    let subject = input.subject.trim();
    let status = if input.assignee_id.is_some() { TicketStatus::Open } else { TicketStatus::New };
    let id = sqlx::query_scalar!(
        "insert into ticket (customer_id, contact_id, channel, category, priority, status, assignee_id,
             team_id, subject, tier_id, sla_policy_id, first_response_due, resolution_due,
             survey_answer_id, created_by, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) returning id",
        customer.0,
        input.contact_id,
        input.channel.as_str(),
        input.category.as_str(),
        input.priority.as_str(),
        status.as_str(),
        input.assignee_id.map(|a| a.0),
        team,
        subject,
        tier_id,
        policy_id,
        first_due as _,
        resolution_due as _,
        survey_answer,
        actor.user_id.map(|u| u.0),
        now as _,
    )
    .fetch_one(&mut *conn)
    .await?;
    let id = TicketId(id);
    let description = input.description.trim();
    if !description.is_empty() {
        sqlx::query!(
            "insert into ticket_message (ticket_id, kind, body) values ($1, 'customer', $2)",
            id.0,
            description,
        )
        .execute(&mut *conn)
        .await?;
    }
    record(
        &mut *conn,
        actor,
        Change::new("create", "ticket", id.0).after(&serde_json::json!({
            "customer_id": customer.0, "subject": subject, "priority": input.priority.as_str(),
            "category": input.category.as_str(), "assignee_id": input.assignee_id.map(|a| a.0),
            "tier_id": tier_id, "first_response_due": first_due, "resolution_due": resolution_due,
        })),
    )
    .await?;
    append(
        &mut *conn,
        NewEntry::now(customer, kinds::TICKET_OPENED, actor.user_id).reference(id.0).data(
            serde_json::json!({
                "subject": subject, "category": input.category.as_str(),
                "priority": input.priority.as_str(),
                "tier_zh": tier.as_ref().map(|t| t.name_zh.clone()),
                "tier_en": tier.as_ref().map(|t| t.name_en.clone()),
            }),
        ),
    )
    .await?;
    let kind = match survey_answer {
        Some(_) => NotificationKind::DetractorFollowUp,
        None => NotificationKind::TicketAssigned,
    };
    notify_assignee(conn, kind, id, subject, input.assignee_id, actor.user_id, 1).await?;
    announce(conn, id, input.assignee_id, customer).await?;
    Ok((id, input.assignee_id))
}

/// What a look through every ticket in scope (not one queue) asks for.
#[derive(Clone, Copy, Default)]
pub struct TicketSearch<'a> {
    /// The ticket numbered this, beside those matching `text`.
    pub number: Option<i64>,
    pub text: Option<&'a TextMatch>,
    /// Only resolved and closed tickets.
    pub done_only: bool,
}

/// Tickets in the caller's scope, open or closed, as `search` says, newest first, before the
/// ticket `before` (the next page).
pub async fn browse(
    pool: &PgPool,
    caller: &Authenticated,
    search: TicketSearch<'_>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<TicketRow>, AppError> {
    let narrowed = match search.text {
        Some(text) => {
            let table = crate::customers::repo::SearchedTable::Ticket;
            let scoped = caller.scope.visible_owners().is_some();
            Some(crate::customers::repo::narrowed(pool, table, text, scoped).await?)
        }
        None => None,
    };
    let search = TicketSearch { text: narrowed.as_ref(), ..search };
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "select {ROW_COLUMNS} {ROW_JOINS} where t.deleted_at is null"
    ));
    if search.number.is_some() || search.text.is_some() {
        query.push(" and (false");
        if let Some(number) = search.number {
            query.push(" or t.id = ").push_bind(number);
        }
        if let Some(text) = search.text {
            query.push(" or (t.search_text like ").push_bind(text.pattern.clone());
            if !text.keys.is_empty() {
                query.push(" and t.search_keys @> ").push_bind(text.keys.clone());
            }
            query.push(")");
        }
        query.push(")");
    }
    if search.done_only {
        query.push(" and t.status in ('resolved', 'closed')");
    }
    if let Some(before) = before {
        query.push(" and t.id < ").push_bind(before);
    }
    TicketScope::of(caller).push(&mut query);
    query.push(" order by t.id desc limit ").push_bind(limit);
    rows(query.build_query_as::<Row>().fetch_all(pool).await?)
}

/// The tickets in the caller's scope whose subject holds `text` among the newest `window`
/// tickets, newest first, at most `limit` (the global search's first look; see
/// `customers::repo::newest_first_suits`). Scope is tested on the window's tickets, so a member
/// sees their share of it.
pub async fn search_newest(
    pool: &PgPool,
    caller: &Authenticated,
    text: &TextMatch,
    window: i64,
    limit: i64,
) -> Result<Vec<TicketRow>, AppError> {
    // The window streams in order and the match (scope included) stops at `limit`; the row's
    // columns are joined to the few that matched.
    let joined = ROW_JOINS.strip_prefix("from ticket t").unwrap_or(ROW_JOINS);
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "select {ROW_COLUMNS} from (select t.* from (select * from ticket where deleted_at is null
         order by id desc limit "
    ));
    query.push_bind(window);
    query.push(") t join customer c on c.id = t.customer_id where t.search_text like ");
    query.push_bind(text.pattern.clone());
    TicketScope::of(caller).push(&mut query);
    query.push(" order by t.id desc limit ").push_bind(limit);
    query.push(format!(") t {joined} order by t.id desc"));
    rows(query.build_query_as::<Row>().fetch_all(pool).await?)
}

/// One page of `queue`, or, when `search` holds a number or text, of every ticket in scope
/// that matches it (closed ones too), newest first. The done list is newest first as well.
pub async fn queue_or_search(
    pool: &PgPool,
    caller: &Authenticated,
    queue: Queue,
    search: Option<&str>,
    after: Option<QueueCursor>,
    limit: i64,
) -> Result<crate::paging::Page<TicketRow, QueueCursor>, AppError> {
    let text = search.and_then(TextMatch::of);
    if text.is_none() && queue != Queue::Done {
        return self::queue(pool, caller, queue, after, limit).await;
    }
    newest_first(pool, caller, search, text.as_ref(), after, limit).await
}

/// A page of the tickets matching `search` (the done ones when there is none), newest first.
async fn newest_first(
    pool: &PgPool,
    caller: &Authenticated,
    search: Option<&str>,
    text: Option<&TextMatch>,
    after: Option<QueueCursor>,
    limit: i64,
) -> Result<crate::paging::Page<TicketRow, QueueCursor>, AppError> {
    let look =
        TicketSearch { number: search.and_then(ticket_number), text, done_only: text.is_none() };
    let before = after.map(|cursor| cursor.id.0);
    let found = browse(pool, caller, look, before, limit + 1).await?;
    Ok(crate::paging::Page::from_overfetch(found, limit, |t: &TicketRow| QueueCursor {
        at: t.created_at,
        id: t.id,
    }))
}

/// One page of a queue, in deadline order (the waiting queue in order of pausing).
pub async fn queue(
    pool: &PgPool,
    caller: &Authenticated,
    queue: Queue,
    after: Option<QueueCursor>,
    limit: i64,
) -> Result<crate::paging::Page<TicketRow, QueueCursor>, AppError> {
    let me = caller.id().0;
    let sort = if queue == Queue::Waiting { "t.paused_at" } else { "t.sla_due_at" };
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "select {ROW_COLUMNS} {ROW_JOINS} where t.deleted_at is null and "
    ));
    match queue {
        Queue::Mine => {
            query.push("t.sla_due_at is not null and t.assignee_id = ").push_bind(me);
        }
        Queue::Unassigned => {
            query.push("t.sla_due_at is not null and t.assignee_id is null");
        }
        Queue::Team => match caller.scope.team_id {
            Some(team) => {
                query.push("t.sla_due_at is not null and t.team_id = ").push_bind(team.0);
            }
            None => {
                query.push("t.sla_due_at is not null and t.assignee_id = ").push_bind(me);
            }
        },
        Queue::BreachingSoon => {
            query.push("t.sla_due_at < now() + interval '1 hour'");
        }
        Queue::Waiting => {
            query.push("t.paused_at is not null and t.assignee_id = ").push_bind(me);
        }
        Queue::AllOpen => {
            query.push("t.sla_due_at is not null");
        }
        Queue::Done => return newest_first(pool, caller, None, None, after, limit).await,
    }
    TicketScope::of(caller).push(&mut query);
    if let Some(cursor) = &after {
        query
            .push(format_args!(" and ({sort}, t.id) > ("))
            .push_bind(cursor.at)
            .push(", ")
            .push_bind(cursor.id.0)
            .push(")");
    }
    query.push(format_args!(" order by {sort}, t.id limit ")).push_bind(limit + 1);
    let found = rows(query.build_query_as::<Row>().fetch_all(pool).await?)?;
    Ok(crate::paging::Page::from_overfetch(found, limit, |t: &TicketRow| QueueCursor {
        at: if queue == Queue::Waiting {
            t.paused_at.unwrap_or(t.created_at)
        } else {
            t.sla_due_at.unwrap_or(t.created_at)
        },
        id: t.id,
    }))
}

async fn row_in_scope(
    executor: impl PgExecutor<'_>,
    caller: &Authenticated,
    id: TicketId,
    lock: bool,
) -> Result<TicketRow, AppError> {
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "select {ROW_COLUMNS} {ROW_JOINS} where t.deleted_at is null and t.id = "
    ));
    query.push_bind(id.0);
    TicketScope::of(caller).push(&mut query);
    if lock {
        query.push(" for update of t");
    }
    let row = query.build_query_as::<Row>().fetch_optional(executor).await?;
    row.ok_or(AppError::NotFound)?.try_into()
}

/// A file kept with a message of a ticket the caller may see: (name, content type, content).
///
/// Errors: `NotFound` (no such file, or its ticket is out of the caller's scope).
pub async fn attachment(
    pool: &PgPool,
    caller: &Authenticated,
    id: i64,
) -> Result<(String, String, Vec<u8>), AppError> {
    let file = sqlx::query!(
        "select m.ticket_id, a.file_name, a.content_type, a.content
         from ticket_attachment a join ticket_message m on m.id = a.message_id
         where a.id = $1",
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    row_in_scope(pool, caller, TicketId(file.ticket_id), false).await?;
    Ok((file.file_name, file.content_type, file.content))
}

/// The customer of a ticket the caller may see (tasks link to tickets through this).
pub async fn visible_customer(
    conn: &mut PgConnection,
    caller: &Authenticated,
    id: TicketId,
) -> Result<Option<CustomerId>, AppError> {
    match row_in_scope(&mut *conn, caller, id, false).await {
        Ok(row) => Ok(Some(row.customer_id)),
        Err(AppError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}

/// A ticket with its conversation, if the caller may see it.
pub async fn detail(
    pool: &PgPool,
    caller: &Authenticated,
    id: TicketId,
) -> Result<TicketDetail, AppError> {
    let row = row_in_scope(pool, caller, id, false).await?;
    let extra = sqlx::query!(
        r#"select t.channel, ct.name as "contact_name?", tm.name as "team_name?",
                t.resolved_at as "resolved_at: DateTime<Utc>",
                t.closed_at as "closed_at: DateTime<Utc>", t.reopen_count, t.first_response_breached, t.resolution_breached,
                p.first_response_minutes as "first_response_minutes?",
                p.resolution_minutes as "resolution_minutes?",
                p.business_hours as "business_hours?", t.survey_answer_id
         from ticket t
         left join contact ct on ct.id = t.contact_id
         left join team tm on tm.id = t.team_id
         left join sla_policy p on p.id = t.sla_policy_id
         where t.id = $1"#,
        id.0,
    )
    .fetch_one(pool)
    .await?;
    let messages = sqlx::query!(
        r#"select m.id, m.kind, u.display_name as "author_name?", m.body,
                m.created_at as "created_at: DateTime<Utc>", m.email_status, m.email_error,
                m.email_from,
                coalesce((select json_agg(json_build_object('id', a.id, 'file_name', a.file_name,
                                              'content_type', a.content_type, 'size_bytes', a.size_bytes)
                                          order by a.id)
                          from ticket_attachment a where a.message_id = m.id), '[]') as "attachments!"
         from ticket_message m
         left join app_user u on u.id = m.author_id
         where m.ticket_id = $1 order by m.id limit 500"#,
        id.0,
    )
    .fetch_all(pool)
    .await?;
    Ok(TicketDetail {
        row,
        channel: stored(Channel::parse(&extra.channel))?,
        contact_name: extra.contact_name,
        team_name: extra.team_name,
        resolved_at: extra.resolved_at,
        closed_at: extra.closed_at,
        reopen_count: extra.reopen_count,
        first_response_breached: extra.first_response_breached,
        resolution_breached: extra.resolution_breached,
        first_response_minutes: extra.first_response_minutes,
        resolution_minutes: extra.resolution_minutes,
        business_hours: extra.business_hours.unwrap_or(true),
        survey_answer_id: extra.survey_answer_id,
        messages: messages
            .into_iter()
            .map(|m| {
                Ok(TicketMessage {
                    id: m.id,
                    kind: stored(MessageKind::parse(&m.kind))?,
                    author_name: m.author_name,
                    body: m.body,
                    created_at: m.created_at,
                    email_status: stored(
                        m.email_status.as_deref().map(EmailStatus::parse).transpose(),
                    )?,
                    email_error: m.email_error,
                    email_from: m.email_from,
                    attachments: serde_json::from_value(m.attachments)
                        .map_err(AppError::internal)?,
                })
            })
            .collect::<Result<_, AppError>>()?,
    })
}

/// Records breaches of running clocks past their deadline: of one ticket (inside its write),
/// or of every ticket (the sweep). Each breach is recorded once.
pub async fn record_breaches(
    conn: &mut PgConnection,
    ticket: Option<TicketId>,
) -> Result<u64, AppError> {
    let first = sqlx::query!(
        "with late as (
             update ticket set first_response_breached = true
             where first_responded_at is null and not first_response_breached and sla_due_at is not null
               and first_response_due < now() and ($1::bigint is null or id = $1)
               and deleted_at is null
             returning id, first_response_due)
         insert into sla_breach (ticket_id, kind, due_at)
         select id, 'first_response', first_response_due from late on conflict do nothing",
        ticket.map(|t| t.0),
    )
    .execute(&mut *conn)
    .await?;
    let resolution = sqlx::query!(
        "with late as (
             update ticket set resolution_breached = true
             where not resolution_breached and sla_due_at is not null
               and resolution_due < now() and ($1::bigint is null or id = $1)
               and deleted_at is null
             returning id, resolution_due)
         insert into sla_breach (ticket_id, kind, due_at)
         select id, 'resolution', resolution_due from late on conflict do nothing",
        ticket.map(|t| t.0),
    )
    .execute(&mut *conn)
    .await?;
    Ok(first.rows_affected() + resolution.rows_affected())
}

/// Notifies whom a ticket's SLA concerns: once a ticket has used the admin-set share of the time
/// to its next deadline, and once a breach was recorded. The assignee, or when there is none the
/// managers of the ticket's team (every manager for a ticket of no team). Each warning and
/// breach is claimed by one sweep (the row updates), and keyed, so it is notified once.
pub async fn notify_sla(conn: &mut PgConnection) -> Result<usize, AppError> {
    let mut tx = conn.begin().await?;
    let warned = sqlx::query!(
        r#"with warned as (
               update ticket t set warned_due_at = t.sla_due_at
               from company_settings s
               where t.sla_due_at is not null and t.sla_due_at > now() and t.deleted_at is null
                 and t.warned_due_at is distinct from t.sla_due_at
                 and now() >= t.sla_due_at
                     - (t.sla_due_at - t.created_at) * (1 - s.sla_warning_percent / 100.0)
               returning t.id, t.subject, t.assignee_id, t.team_id, t.sla_due_at)
           select id as "id!", subject as "subject!", assignee_id, team_id,
                  sla_due_at as "due!: DateTime<Utc>",
                  to_char(sla_due_at at time zone company_time_zone(), 'YYYY-MM-DD HH24:MI') as "due_text!"
           from warned"#
    )
    .fetch_all(&mut *tx)
    .await?;
    let breached = sqlx::query!(
        r#"with claimed as (
               update sla_breach set notified_at = now()
               where id in (select id from sla_breach where notified_at is null
                            for update skip locked)
               returning ticket_id, kind)
           select t.id, t.subject, t.assignee_id, t.team_id, c.kind
           from claimed c join ticket t on t.id = c.ticket_id
           where t.deleted_at is null"#
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut count = 0;
    let concerned =
        async |tx: &mut PgConnection, assignee: Option<i64>, team: Option<i64>| match assignee {
            Some(user) => Ok::<_, AppError>(vec![user]),
            None => Ok(sqlx::query_scalar!(
                "select id from app_user where active and role = 'manager'
                   and ($1::bigint is null or team_id = $1)",
                team
            )
            .fetch_all(&mut *tx)
            .await?),
        };
    for ticket in warned {
        for user in concerned(&mut tx, ticket.assignee_id, ticket.team_id).await? {
            let notice = Notice {
                user: UserId(user),
                kind: NotificationKind::TicketBreaching,
                entity_type: EntityType::Ticket,
                entity_id: ticket.id,
                title: format!("#{} {}", ticket.id, ticket.subject),
                actor: None,
                excerpt: Some(ticket.due_text.clone()),
                event_key: format!("ticket_breaching:{}:{}", ticket.id, ticket.due.timestamp()),
            };
            count += usize::from(notify(&mut tx, notice).await?.is_some());
        }
    }
    for ticket in breached {
        for user in concerned(&mut tx, ticket.assignee_id, ticket.team_id).await? {
            let notice = Notice {
                user: UserId(user),
                kind: NotificationKind::TicketBreached,
                entity_type: EntityType::Ticket,
                entity_id: ticket.id,
                title: format!("#{} {}", ticket.id, ticket.subject),
                actor: None,
                excerpt: None,
                event_key: format!("ticket_breached:{}:{}", ticket.id, ticket.kind),
            };
            count += usize::from(notify(&mut tx, notice).await?.is_some());
        }
    }
    tx.commit().await?;
    Ok(count)
}

/// Records breaches every half minute, in every server process (the updates are idempotent).
pub async fn sweep_breaches(state: AppState) {
    let mut closing = state.events.closing();
    loop {
        let swept = async {
            let mut conn = state.pool.acquire().await?;
            let recorded = record_breaches(&mut conn, None).await?;
            notify_sla(&mut conn).await?;
            Ok::<_, AppError>(recorded)
        };
        match swept.await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "SLA breaches recorded"),
            Err(error) => tracing::warn!(%error, "recording SLA breaches failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
            _ = closing.changed() => return,
        }
    }
}

/// Adds a public reply, an internal note or the customer's message. The first public reply
/// stops the first-response clock and opens the ticket.
///
/// Errors: `Validation` (`body`), `NotFound`.
pub async fn reply(
    state: &AppState,
    caller: &Authenticated,
    id: TicketId,
    kind: MessageKind,
    body: &str,
) -> Result<(), AppError> {
    if kind == MessageKind::Change {
        // Changes are written by `update`, never typed.
        return Err(AppError::validation("kind", FieldError::InvalidChoice));
    }
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::validation("body", FieldError::Required));
    }
    if body.chars().count() > 20_000 {
        return Err(AppError::validation("body", FieldError::TooLong { max: 20_000 }));
    }
    let mut tx = state.pool.begin().await?;
    let ticket = row_in_scope(&mut *tx, caller, id, true).await?;
    // A late reply is a breach even if the sweep has not seen it yet.
    record_breaches(&mut tx, Some(id)).await?;
    let author = match kind {
        MessageKind::Customer => None,
        _ => Some(caller.id().0),
    };
    let message = sqlx::query_scalar!(
        "insert into ticket_message (ticket_id, kind, author_id, body) values ($1, $2, $3, $4)
         returning id",
        id.0,
        kind.as_str(),
        author,
        body,
    )
    .fetch_one(&mut *tx)
    .await?;
    if kind == MessageKind::Reply {
        super::email::queue_reply(&mut tx, id, message).await?;
    }
    if kind == MessageKind::Note {
        let on = Mentioned {
            entity_type: EntityType::Ticket,
            entity_id: id.0,
            title: format!("#{} {}", id.0, ticket.subject),
            event: format!("ticket_message:{message}"),
        };
        notify_mentions(&mut tx, caller.id(), body, on).await?;
    }
    match kind {
        MessageKind::Reply => {
            sqlx::query!(
                "update ticket set first_responded_at = coalesce(first_responded_at, now()),
                     status = case when status in ('new', 'reopened') then 'open' else status end,
                     assignee_id = coalesce(assignee_id, $2),
                     updated_at = now(), version = version + 1
                 where id = $1",
                id.0,
                caller.id().0,
            )
            .execute(&mut *tx)
            .await?;
        }
        MessageKind::Customer if ticket.status == TicketStatus::Waiting => {
            // The customer answered: the clock runs again.
            resume(&mut tx, id, TicketStatus::Open).await?;
        }
        _ => {
            sqlx::query!(
                "update ticket set updated_at = now(), version = version + 1 where id = $1",
                id.0,
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    let assignee = ticket.assignee_id.or((kind == MessageKind::Reply).then(|| caller.id()));
    announce(&mut tx, id, assignee, ticket.customer_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Leaves the waiting status: the resolution deadline moves by the business time spent waiting.
async fn resume(conn: &mut PgConnection, id: TicketId, to: TicketStatus) -> Result<(), AppError> {
    let clock = sqlx::query!(
        r#"select t.paused_at as "paused_at: DateTime<Utc>",
                  t.resolution_due as "resolution_due: DateTime<Utc>",
                  p.business_hours as "business_hours?" from ticket t
           left join sla_policy p on p.id = t.sla_policy_id where t.id = $1"#,
        id.0,
    )
    .fetch_one(&mut *conn)
    .await?;
    let due = clock.resolution_due;
    let new_due = match (clock.paused_at, clock.business_hours) {
        (None, _) => due,
        (Some(at), Some(false)) => due + (Utc::now() - at),
        (Some(at), _) => {
            let calendar = calendar(conn).await?;
            let paused = calendar.business_minutes_between(at, Utc::now());
            calendar.add_business_minutes(due, paused)
        }
    };
    sqlx::query!(
        "update ticket set status = $2, paused_at = null, resolution_due = $3,
             updated_at = now(), version = version + 1
         where id = $1",
        id.0,
        to.as_str(),
        new_due as _,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves a ticket to another status. Resolving sends the satisfaction survey when one is set
/// to go out after resolved tickets; reopening restarts the resolution clock.
///
/// Errors: `Conflict` (stale version), `Validation` (`status`: not a move from here), `NotFound`.
pub async fn set_status(
    state: &AppState,
    caller: &Authenticated,
    id: TicketId,
    version: i32,
    to: TicketStatus,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let ticket = row_in_scope(&mut *tx, caller, id, true).await?;
    if ticket.version != version {
        return Err(crate::audit::repo::changed_meanwhile(&mut *tx, "ticket", id.0).await);
    }
    let from = ticket.status;
    if !from.next_choices().contains(&to) {
        return Err(AppError::validation("status", FieldError::InvalidChoice));
    }
    record_breaches(&mut tx, Some(id)).await?;
    if from == TicketStatus::Waiting && !to.is_done() {
        resume(&mut tx, id, to).await?;
    } else {
        let restart = if to == TicketStatus::Reopened {
            Some(reopened_deadline(&mut tx, id).await?)
        } else {
            None
        };
        sqlx::query!(
            "update ticket set status = $2,
                 paused_at = case when $2 = 'waiting' then now() else null end,
                 resolved_at = case when $2 = 'resolved' then now() when $2 = 'reopened' then null else resolved_at end,
                 closed_at = case when $2 = 'closed' then now() when $2 = 'reopened' then null else closed_at end,
                 reopen_count = reopen_count + case when $2 = 'reopened' then 1 else 0 end,
                 resolution_due = coalesce($3, resolution_due),
                 resolution_breached = case when $3 is null then resolution_breached else false end,
                 assignee_id = case when $2 in ('resolved', 'closed') then coalesce(assignee_id, $4) else assignee_id end,
                 updated_at = now(), version = version + 1
             where id = $1",
            id.0,
            to.as_str(),
            restart as _,
            caller.id().0,
        )
        .execute(&mut *tx)
        .await?;
    }
    if from == TicketStatus::Waiting && to.is_done() {
        sqlx::query!(
            "update ticket set paused_at = null, resolved_at = case when $2 = 'resolved' then now() else resolved_at end,
                 closed_at = case when $2 = 'closed' then now() else closed_at end
             where id = $1",
            id.0,
            to.as_str(),
        )
        .execute(&mut *tx)
        .await?;
    }
    record(
        &mut *tx,
        caller.actor(),
        Change::new("status", "ticket", id.0)
            .before(&serde_json::json!({ "status": from.as_str() }))
            .after(&serde_json::json!({ "status": to.as_str() })),
    )
    .await?;
    let timeline_kind = match to {
        TicketStatus::Resolved => Some(kinds::TICKET_RESOLVED),
        TicketStatus::Reopened => Some(kinds::TICKET_REOPENED),
        _ => None,
    };
    if let Some(kind) = timeline_kind {
        append(
            &mut *tx,
            NewEntry::now(ticket.customer_id, kind, Some(caller.id()))
                .reference(id.0)
                .data(serde_json::json!({ "subject": ticket.subject })),
        )
        .await?;
    }
    if to == TicketStatus::Resolved {
        // The survey that follows a resolution is the surveys area's: queued with this change,
        // so it goes out only if the resolution commits.
        let mut survey = NewJob::new(
            job_kinds::SURVEY_AFTER_RESOLUTION,
            serde_json::json!({ "ticket_id": id.0 }),
        );
        survey.created_by = Some(caller.id());
        queue::enqueue(&mut tx, survey).await?;
    }
    let assignee = ticket.assignee_id.or(to.is_done().then(|| caller.id()));
    announce(&mut tx, id, assignee, ticket.customer_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Edits a ticket seen at `version`: its priority, category, customer and assignee. A new
/// priority or a customer in another tier moves the SLA deadlines to the new policy's targets
/// (keeping what pauses added). The change is written on the conversation and in the audit log;
/// moved to another customer, the ticket takes its conversation along, while the timeline
/// entries already written stay with the first customer. The new customer and assignee must be
/// in the caller's scope.
///
/// Errors: `ChangedMeanwhile`, `Validation` (`customer_id`, `assignee_id`), `NotFound`.
pub async fn update(
    state: &AppState,
    caller: &Authenticated,
    id: TicketId,
    version: i32,
    edit: TicketEdit,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let ticket = row_in_scope(&mut *tx, caller, id, true).await?;
    if ticket.version != version {
        return Err(crate::audit::repo::changed_meanwhile(&mut *tx, "ticket", id.0).await);
    }
    let scope = caller.scope.visible_owners();
    let new_customer = if edit.customer_id != ticket.customer_id {
        let locked =
            crate::customers::repo::lock(&mut tx, edit.customer_id, scope.as_deref()).await?;
        let Some(locked) = locked else {
            return Err(AppError::validation("customer_id", FieldError::UnknownReference));
        };
        Some(locked.name)
    } else {
        None
    };
    let mut team = None;
    let mut new_assignee_name = None;
    if edit.assignee_id != ticket.assignee_id
        && let Some(assignee) = edit.assignee_id
    {
        if !caller.scope.can_see_owner(Some(assignee)) {
            return Err(AppError::validation("assignee_id", FieldError::OwnerOutOfScope));
        }
        let user = sqlx::query!(
            "select team_id, display_name from app_user where id = $1 and active",
            assignee.0
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::validation("assignee_id", FieldError::UnknownReference))?;
        team = user.team_id;
        new_assignee_name = Some(user.display_name);
    }
    let mut change = TicketChange {
        priority: (edit.priority != ticket.priority)
            .then(|| (ticket.priority.as_str().to_owned(), edit.priority.as_str().to_owned())),
        category: (edit.category != ticket.category)
            .then(|| (ticket.category.as_str().to_owned(), edit.category.as_str().to_owned())),
        customer: new_customer.map(|name| (ticket.customer_name.clone(), name)),
        assignee: (edit.assignee_id != ticket.assignee_id)
            .then(|| (ticket.assignee_name.clone(), new_assignee_name)),
        deadlines_moved: false,
    };
    if change == TicketChange::default() {
        return Ok(());
    }
    // Record breaches under the old deadlines before they move, so a late change cannot hide one.
    record_breaches(&mut tx, Some(id)).await?;
    let clock = sqlx::query!(
        r#"select t.sla_policy_id, p.first_response_minutes as "first_minutes?", p.resolution_minutes as "resolution_minutes?",
                  p.business_hours as "business_hours?"
           from ticket t left join sla_policy p on p.id = t.sla_policy_id where t.id = $1"#,
        id.0,
    )
    .fetch_one(&mut *tx)
    .await?;
    let tier = crate::tiers::service::tier_of(&mut *tx, edit.customer_id).await?;
    let tier_id = tier.as_ref().map(|t| t.id.0);
    let (policy_id, first_minutes, resolution_minutes, business_hours) =
        policy_for(&mut tx, edit.priority, tier_id).await?;
    let mut first_due = ticket.first_response_due;
    let mut resolution_due = ticket.resolution_due;
    if clock.sla_policy_id != Some(policy_id) {
        let calendar = calendar(&mut tx).await?;
        let old_business = clock.business_hours.unwrap_or(true);
        let new = |minutes: i32| (i64::from(minutes), business_hours);
        if ticket.first_responded_at.is_none() {
            let old = (i64::from(clock.first_minutes.unwrap_or(first_minutes)), old_business);
            first_due =
                calendar.moved_deadline(ticket.created_at, first_due, old, new(first_minutes));
        }
        let old = (i64::from(clock.resolution_minutes.unwrap_or(resolution_minutes)), old_business);
        resolution_due = calendar.moved_deadline(
            ticket.created_at,
            resolution_due,
            old,
            new(resolution_minutes),
        );
        change.deadlines_moved = true;
    }
    let now = Utc::now();
    sqlx::query!(
        "update ticket set priority = $2, category = $3, customer_id = $4,
             contact_id = case when customer_id = $4 then contact_id end,
             assignee_id = $5, team_id = case when $5::bigint is distinct from assignee_id then coalesce($6, team_id) else team_id end,
             status = case when status = 'new' and $5::bigint is not null then 'open' else status end,
             tier_id = $7, sla_policy_id = $8, first_response_due = $9::timestamptz,
             resolution_due = $10::timestamptz,
             first_response_breached = first_response_breached and $9::timestamptz <= $11::timestamptz,
             resolution_breached = resolution_breached and $10::timestamptz <= $11::timestamptz,
             updated_at = now(), version = version + 1
         where id = $1",
        id.0,
        edit.priority.as_str(),
        edit.category.as_str(),
        edit.customer_id.0,
        edit.assignee_id.map(|a| a.0),
        team,
        tier_id,
        policy_id,
        first_due as _,
        resolution_due as _,
        now as _,
    )
    .execute(&mut *tx)
    .await?;
    let body = serde_json::to_string(&change).map_err(AppError::internal)?;
    sqlx::query!(
        "insert into ticket_message (ticket_id, kind, author_id, body) values ($1, 'change', $2, $3)",
        id.0,
        caller.id().0,
        body,
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("update", "ticket", id.0)
            .before(&serde_json::json!({
                "priority": ticket.priority.as_str(), "category": ticket.category.as_str(),
                "customer_id": ticket.customer_id.0, "assignee_id": ticket.assignee_id.map(|a| a.0),
                "first_response_due": ticket.first_response_due, "resolution_due": ticket.resolution_due,
            }))
            .after(&serde_json::json!({
                "priority": edit.priority.as_str(), "category": edit.category.as_str(),
                "customer_id": edit.customer_id.0, "assignee_id": edit.assignee_id.map(|a| a.0),
                "first_response_due": first_due, "resolution_due": resolution_due,
            })),
    )
    .await?;
    publish(&mut *tx, &ticket_event(id, edit.assignee_id)).await?;
    if ticket.assignee_id != edit.assignee_id {
        publish(&mut *tx, &ticket_event(id, ticket.assignee_id)).await?;
        let (kind, version) = (NotificationKind::TicketAssigned, ticket.version + 1);
        let by = Some(caller.id());
        notify_assignee(&mut tx, kind, id, &ticket.subject, edit.assignee_id, by, version).await?;
    }
    // Queues and both customers' 360 pages list the ticket.
    publish(&mut *tx, &ticket_event(TicketId(0), None)).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves a ticket seen at `version` to the recycle bin: it leaves the queues, searches,
/// reports, exports and the customer's 360 page, its clocks no longer breach, and an email on
/// its thread opens a new ticket. An admin can restore it until the nightly purge.
///
/// Errors: `ChangedMeanwhile`, `NotFound`.
pub async fn delete(
    state: &AppState,
    caller: &Authenticated,
    id: TicketId,
    version: i32,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let ticket = row_in_scope(&mut *tx, caller, id, true).await?;
    if ticket.version != version {
        return Err(crate::audit::repo::changed_meanwhile(&mut *tx, "ticket", id.0).await);
    }
    sqlx::query!(
        "update ticket set deleted_at = now(), deleted_by = $2, version = version + 1, updated_at = now()
         where id = $1",
        id.0,
        caller.id().0,
    )
    .execute(&mut *tx)
    .await?;
    let shown = serde_json::json!({
        "subject": ticket.subject, "customer_id": ticket.customer_id.0,
        "status": ticket.status.as_str(), "assignee_id": ticket.assignee_id.map(|a| a.0),
    });
    record(&mut *tx, caller.actor(), Change::new("delete", "ticket", id.0).before(&shown)).await?;
    append(
        &mut *tx,
        NewEntry::now(ticket.customer_id, kinds::TICKET_DELETED, Some(caller.id()))
            .reference(id.0)
            .data(serde_json::json!({ "subject": ticket.subject, "number": id.0 })),
    )
    .await?;
    announce(&mut tx, id, ticket.assignee_id, ticket.customer_id).await?;
    // The queues list it.
    publish(&mut *tx, &ticket_event(TicketId(0), None)).await?;
    tx.commit().await?;
    Ok(())
}

/// Brings a ticket back from the recycle bin as it was. Deadlines that passed while it was
/// there are recorded as breaches by the next sweep, as for any ticket.
///
/// Errors: `NotFound` (not in the recycle bin: restored already, or purged).
pub async fn restore(
    state: &AppState,
    caller: &Authenticated,
    id: TicketId,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let restored = sqlx::query!(
        "update ticket set deleted_at = null, deleted_by = null, version = version + 1, updated_at = now()
         where id = $1 and deleted_at is not null
         returning subject, customer_id, status, assignee_id",
        id.0,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let shown = serde_json::json!({
        "subject": restored.subject, "customer_id": restored.customer_id,
        "status": restored.status, "assignee_id": restored.assignee_id,
    });
    record(&mut *tx, caller.actor(), Change::new("restore", "ticket", id.0).after(&shown)).await?;
    let customer = CustomerId(restored.customer_id);
    append(
        &mut *tx,
        NewEntry::now(customer, kinds::TICKET_RESTORED, Some(caller.id()))
            .reference(id.0)
            .data(serde_json::json!({ "subject": restored.subject, "number": id.0 })),
    )
    .await?;
    announce(&mut tx, id, restored.assignee_id.map(UserId), customer).await?;
    publish(&mut *tx, &ticket_event(TicketId(0), None)).await?;
    tx.commit().await?;
    Ok(())
}

/// The ticket recycle bin, most recently deleted first, continuing after `after`.
pub async fn deleted(
    pool: &PgPool,
    after: Option<crate::recycling::BinKey>,
    limit: i64,
) -> Result<crate::paging::Page<crate::recycling::Binned, crate::recycling::BinKey>, AppError> {
    let (after_at, after_id) = after.unzip();
    let rows = sqlx::query!(
        r#"select t.id, t.subject, c.name as customer_name, u.display_name as "assignee_name?",
                  t.deleted_at as "deleted_at!: DateTime<Utc>", d.display_name as "deleted_by_name?"
           from ticket t
           join customer c on c.id = t.customer_id
           left join app_user u on u.id = t.assignee_id
           left join app_user d on d.id = t.deleted_by
           where t.deleted_at is not null
             and ($1::timestamptz is null or (t.deleted_at, t.id) < ($1, $2))
           order by t.deleted_at desc, t.id desc
           limit $3"#,
        after_at as _,
        after_id,
        limit + 1,
    )
    .fetch_all(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| crate::recycling::Binned {
            id: r.id,
            name: format!("#{} {}", r.id, r.subject),
            context: Some(r.customer_name),
            person: r.assignee_name,
            deleted_at: r.deleted_at,
            deleted_by_name: r.deleted_by_name,
        })
        .collect();
    Ok(crate::recycling::Binned::page(items, limit))
}

/// Removes for good the tickets deleted more than `days` days ago, `limit` at a time, with
/// their conversation (messages and files) and breaches, and one audit entry naming them;
/// returns how many went. Survey sends and answers stay in the results without the ticket,
/// and the emails that opened them stay handled. One a task still names waits (tasks are
/// purged first, so one deleted with it goes the same night).
pub async fn purge_deleted(
    conn: &mut PgConnection,
    days: i32,
    limit: i64,
) -> Result<u64, AppError> {
    let doomed = sqlx::query!(
        "select t.id, t.subject from ticket t
         where t.deleted_at < now() - make_interval(days => $1)
           and not exists (select 1 from task k where k.ticket_id = t.id)
         order by t.deleted_at, t.id limit $2 for update skip locked",
        days,
        limit,
    )
    .fetch_all(&mut *conn)
    .await?;
    if doomed.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = doomed.iter().map(|t| t.id).collect();
    sqlx::query!(
        "delete from ticket_attachment a using ticket_message m
         where a.message_id = m.id and m.ticket_id = any($1)",
        &ids
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("delete from ticket_message where ticket_id = any($1)", &ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("delete from sla_breach where ticket_id = any($1)", &ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("update survey_send set ticket_id = null where ticket_id = any($1)", &ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("update survey_recipient set ticket_id = null where ticket_id = any($1)", &ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "update survey_answer set
             ticket_id = case when ticket_id = any($1) then null else ticket_id end,
             followup_ticket_id = case when followup_ticket_id = any($1) then null else followup_ticket_id end
         where ticket_id = any($1) or followup_ticket_id = any($1)",
        &ids
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("update inbound_email set ticket_id = null where ticket_id = any($1)", &ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("delete from ticket where id = any($1)", &ids).execute(&mut *conn).await?;
    let purged = doomed.iter().map(|t| (t.id, t.subject.as_str()));
    crate::recycling::record_purge(conn, "ticket", purged, days).await
}

/// Takes an unassigned ticket. Of two agents claiming at once, one gets it and the other is
/// told who did.
///
/// Errors: `AlreadyClaimed` (someone else has it), `NotFound`.
pub async fn claim(state: &AppState, caller: &Authenticated, id: TicketId) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    // Locked first, without the scope filter: once a colleague's claim commits, the ticket may
    // fall outside this caller's scope, and they should hear who took it rather than "not found".
    let locked = sqlx::query!(
        "select assignee_id, team_id from ticket where id = $1 and deleted_at is null for update",
        id.0
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let (assignee, team) = (locked.assignee_id, locked.team_id);
    let visible = row_in_scope(&mut *tx, caller, id, false).await;
    // Where the caller could have seen it unassigned: no team, or their own.
    let claimable_here = team.is_none() || team == caller.scope.team_id.map(|t| t.0);
    let ticket = match (assignee, visible) {
        (Some(owner), _) if owner == caller.id().0 => return Ok(()),
        (Some(owner), visible) if claimable_here || visible.is_ok() => {
            let by = sqlx::query_scalar!("select display_name from app_user where id = $1", owner)
                .fetch_one(&mut *tx)
                .await?;
            return Err(AppError::AlreadyClaimed { by });
        }
        (Some(_), _) => return Err(AppError::NotFound),
        (None, visible) => visible?,
    };
    sqlx::query!(
        "update ticket set assignee_id = $2, team_id = coalesce(team_id, $3),
             status = case when status = 'new' then 'open' else status end,
             updated_at = now(), version = version + 1
         where id = $1",
        id.0,
        caller.id().0,
        caller.scope.team_id.map(|t| t.0),
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("claim", "ticket", id.0)
            .after(&serde_json::json!({ "assignee_id": caller.id().0 })),
    )
    .await?;
    announce(&mut tx, id, Some(caller.id()), ticket.customer_id).await?;
    // Everyone else's unassigned queue loses the ticket.
    publish(&mut *tx, &ticket_event(id, None)).await?;
    tx.commit().await?;
    Ok(())
}

/// Assigns tickets to an agent in one transaction (managers).
///
/// Errors: `Validation` (`assignee_id`), `NotFound` (a ticket outside the caller's scope).
pub async fn assign(
    state: &AppState,
    caller: &Authenticated,
    ids: &[TicketId],
    assignee: UserId,
) -> Result<u64, AppError> {
    if ids.is_empty() {
        return Ok(0);
    }
    if ids.len() > 500 {
        return Err(AppError::validation("ids", FieldError::TooMany { max: 500 }));
    }
    if !caller.scope.can_see_owner(Some(assignee)) {
        return Err(AppError::validation("assignee_id", FieldError::OwnerOutOfScope));
    }
    let mut tx = state.pool.begin().await?;
    let team =
        sqlx::query_scalar!("select team_id from app_user where id = $1 and active", assignee.0)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(team) = team else {
        return Err(AppError::validation("assignee_id", FieldError::UnknownReference));
    };
    let mut count = 0;
    for id in ids {
        let ticket = row_in_scope(&mut *tx, caller, *id, true).await?;
        sqlx::query!(
            "update ticket set assignee_id = $2, team_id = $3,
                 status = case when status = 'new' then 'open' else status end,
                 updated_at = now(), version = version + 1
             where id = $1",
            id.0,
            assignee.0,
            team,
        )
        .execute(&mut *tx)
        .await?;
        record(
            &mut *tx,
            caller.actor(),
            Change::new("assign", "ticket", id.0)
                .before(&serde_json::json!({ "assignee_id": ticket.assignee_id.map(|a| a.0) }))
                .after(&serde_json::json!({ "assignee_id": assignee.0 })),
        )
        .await?;
        publish(&mut *tx, &ticket_event(*id, Some(assignee))).await?;
        if let Some(previous) = ticket.assignee_id {
            publish(&mut *tx, &ticket_event(*id, Some(previous))).await?;
        }
        if ticket.assignee_id != Some(assignee) {
            let (kind, version) = (NotificationKind::TicketAssigned, ticket.version + 1);
            let (subject, by) = (&ticket.subject, Some(caller.id()));
            notify_assignee(&mut tx, kind, *id, subject, Some(assignee), by, version).await?;
        }
        count += 1;
    }
    publish(&mut *tx, &ticket_event(TicketId(0), None)).await?;
    tx.commit().await?;
    Ok(count)
}

/// The service section of a customer's 360 page.
pub async fn customer_service(
    pool: &PgPool,
    caller: &Authenticated,
    customer: CustomerId,
) -> Result<CustomerService, AppError> {
    let visible = caller.scope.visible_owners();
    if !crate::customers::repo::visible(pool, customer, visible.as_deref()).await? {
        return Err(AppError::NotFound);
    }
    let recent = rows(
        sqlx::query_as::<_, Row>(&format!(
            "select {ROW_COLUMNS} {ROW_JOINS} where t.customer_id = $1 and t.deleted_at is null
             order by t.created_at desc, t.id desc limit 10"
        ))
        .bind(customer.0)
        .fetch_all(pool)
        .await?,
    )?;
    let open_tickets = sqlx::query_scalar!(
        r#"select count(*) as "count!" from ticket
           where customer_id = $1 and status not in ('resolved', 'closed') and deleted_at is null"#,
        customer.0,
    )
    .fetch_one(pool)
    .await?;
    let last = sqlx::query!(
        r#"select csat, nps, created_at as "created_at: DateTime<Utc>" from survey_answer
         where customer_id = $1 and (csat is not null or nps is not null)
         order by created_at desc limit 1"#,
        customer.0,
    )
    .fetch_optional(pool)
    .await?;
    Ok(CustomerService {
        open_tickets,
        recent,
        last_csat: last.as_ref().and_then(|l| l.csat),
        last_nps: last.as_ref().and_then(|l| l.nps),
        last_answer_at: last.map(|l| l.created_at),
    })
}

/// People tickets can go to, within the caller's scope.
pub async fn agents(pool: &PgPool, caller: &Authenticated) -> Result<Vec<Agent>, AppError> {
    let scope = caller.scope.visible_owners();
    let found = sqlx::query!(
        "select id, display_name, team_id from app_user
         where active and ($1::bigint[] is null or id = any($1)) order by display_name",
        scope.as_deref(),
    )
    .fetch_all(pool)
    .await?;
    Ok(found
        .into_iter()
        .map(|a| Agent { id: UserId(a.id), name: a.display_name, team_id: a.team_id.map(TeamId) })
        .collect())
}

/// Service quality over the last `days` days, over the tickets the caller may see.
pub async fn report(
    pool: &PgPool,
    caller: &Authenticated,
    days: i32,
) -> Result<ServiceReport, AppError> {
    let days = days.clamp(1, 366);
    let scope = caller.scope.visible_owners();
    // Each statement below filters `t` (joined to customer `c`) to the caller's scope with
    // `($1::bigint[] is null or t.assignee_id = any($1) or c.owner_id = any($1))`.
    let totals = sqlx::query!(
        r#"select count(*) as "created!",
                count(*) filter (where t.resolved_at is not null) as "resolved!",
                percentile_cont(0.5) within group (order by extract(epoch from t.first_responded_at - t.created_at) / 60) as fr_median,
                avg(extract(epoch from t.first_responded_at - t.created_at) / 60)::float8 as fr_mean,
                percentile_cont(0.5) within group (order by extract(epoch from t.resolved_at - t.created_at) / 60) as res_median,
                avg(extract(epoch from t.resolved_at - t.created_at) / 60)::float8 as res_mean,
                count(*) filter (where t.reopen_count > 0) as "reopened!",
                count(*) filter (where t.resolved_at is not null or t.resolution_due < now()) as "due!",
                count(*) filter (where (t.resolved_at is not null or t.resolution_due < now())
                                   and not t.first_response_breached and not t.resolution_breached) as "met!"
         from ticket t join customer c on c.id = t.customer_id
         where t.created_at >= now() - make_interval(days => $2)
           and t.deleted_at is null
           and ($1::bigint[] is null or t.assignee_id = any($1) or c.owner_id = any($1))"#,
        scope.as_deref(),
        days,
    )
    .fetch_one(pool)
    .await?;
    let breaches = sqlx::query_scalar!(
        r#"select count(*) as "count!" from sla_breach b join ticket t on t.id = b.ticket_id
         join customer c on c.id = t.customer_id
         where b.recorded_at >= now() - make_interval(days => $2)
           and t.deleted_at is null
           and ($1::bigint[] is null or t.assignee_id = any($1) or c.owner_id = any($1))"#,
        scope.as_deref(),
        days,
    )
    .fetch_one(pool)
    .await?;
    let backlog = sqlx::query!(
        r#"select t.assignee_id, u.display_name as "agent_name?",
                count(*) filter (where t.sla_due_at is not null) as "open!",
                count(*) filter (where t.sla_due_at < now() + interval '1 hour') as "breaching!",
                count(*) filter (where t.paused_at is not null) as "waiting!"
         from ticket t join customer c on c.id = t.customer_id
         left join app_user u on u.id = t.assignee_id
         where t.status not in ('resolved', 'closed')
           and t.deleted_at is null
           and ($1::bigint[] is null or t.assignee_id = any($1) or c.owner_id = any($1))
         group by t.assignee_id, u.display_name
         order by count(*) desc limit 100"#,
        scope.as_deref(),
    )
    .fetch_all(pool)
    .await?;
    let by_category = sqlx::query!(
        r#"select date_trunc('week', t.created_at at time zone company_time_zone())::date as "week!: NaiveDate",
                t.category, count(*) as "count!"
         from ticket t join customer c on c.id = t.customer_id
         where t.created_at >= now() - make_interval(days => $2)
           and t.deleted_at is null
           and ($1::bigint[] is null or t.assignee_id = any($1) or c.owner_id = any($1))
         group by 1, 2 order by 1, 2"#,
        scope.as_deref(),
        days,
    )
    .fetch_all(pool)
    .await?;
    // The feedback list shares the ticket row's columns with the queues, so it is built
    // from the same text.
    const IN_SCOPE: &str = "t.deleted_at is null and ($1::bigint[] is null or t.assignee_id = any($1) or c.owner_id = any($1))";
    let feedback = rows(
        sqlx::query_as::<_, Row>(&format!(
            "select {ROW_COLUMNS} {ROW_JOINS}
             where t.category in ('complaint', 'suggestion')
               and t.created_at >= now() - make_interval(days => $2) and {IN_SCOPE}
             order by t.created_at desc, t.id desc limit 20"
        ))
        .bind(scope)
        .bind(days)
        .fetch_all(pool)
        .await?,
    )?;
    let percent = |part: i64, whole: i64| (whole > 0).then(|| part as f64 * 100.0 / whole as f64);
    Ok(ServiceReport {
        days,
        created: totals.created,
        resolved: totals.resolved,
        first_response_median_minutes: totals.fr_median,
        first_response_mean_minutes: totals.fr_mean,
        resolution_median_minutes: totals.res_median,
        resolution_mean_minutes: totals.res_mean,
        sla_attainment_percent: percent(totals.met, totals.due),
        breaches,
        reopen_rate_percent: percent(totals.reopened, totals.resolved),
        backlog: backlog
            .into_iter()
            .map(|b| AgentBacklog {
                agent_id: b.assignee_id.map(UserId),
                agent_name: b.agent_name,
                open: b.open,
                breaching: b.breaching,
                waiting: b.waiting,
            })
            .collect(),
        by_category: by_category
            .into_iter()
            .map(|c| {
                Ok(CategoryWeek {
                    week: c.week,
                    category: stored(Category::parse(&c.category))?,
                    count: c.count,
                })
            })
            .collect::<Result<_, AppError>>()?,
        feedback,
    })
}

/// The calendar, the policies and the tiers they can name.
pub async fn settings(pool: &PgPool) -> Result<ServiceSettings, AppError> {
    let mut conn = pool.acquire().await?;
    let calendar = calendar(&mut conn).await?;
    let policies = sqlx::query!(
        "select p.id, p.priority, p.tier_id, p.first_response_minutes, p.resolution_minutes, p.business_hours
         from sla_policy p left join tier t on t.id = p.tier_id
         order by t.position nulls last,
                  array_position(array['urgent', 'high', 'normal', 'low'], p.priority)",
    )
    .fetch_all(&mut *conn)
    .await?;
    let tiers =
        sqlx::query!("select id, name_zh, name_en from tier where active order by position")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name_zh, t.name_en))
            .collect();
    Ok(ServiceSettings {
        calendar,
        policies: policies
            .into_iter()
            .map(|p| {
                Ok(SlaPolicy {
                    id: Some(p.id),
                    priority: stored(TicketPriority::parse(&p.priority))?,
                    tier_id: p.tier_id,
                    first_response_minutes: p.first_response_minutes,
                    resolution_minutes: p.resolution_minutes,
                    business_hours: p.business_hours,
                })
            })
            .collect::<Result<_, AppError>>()?,
        tiers,
    })
}

/// Saves business hours, holidays and every policy row in one transaction (admins). Rows for
/// a tier that are left out are removed, so the tier falls back to the general targets.
///
/// Errors: `Conflict` (calendar version), `Validation` (`policy.{n}`, calendar fields).
pub async fn save_settings(
    state: &AppState,
    caller: &Authenticated,
    calendar: BusinessCalendar,
    policies: Vec<SlaPolicy>,
) -> Result<(), AppError> {
    calendar.validate()?;
    let mut errors = crate::error::FieldErrors::new();
    for (n, policy) in policies.iter().enumerate() {
        if policy.first_response_minutes < 1 || policy.first_response_minutes > 525_600 {
            errors.add(
                &format!("policy.{n}.first_response_minutes"),
                FieldError::OutOfRange { min: 1, max: 525_600 },
            );
        }
        if policy.resolution_minutes < policy.first_response_minutes
            || policy.resolution_minutes > 525_600
        {
            errors.add(
                &format!("policy.{n}.resolution_minutes"),
                FieldError::OutOfRange {
                    min: policy.first_response_minutes.max(1) as i64,
                    max: 525_600,
                },
            );
        }
    }
    for priority in TicketPriority::ALL {
        if !policies.iter().any(|p| p.priority == *priority && p.tier_id.is_none()) {
            errors.add("policies", FieldError::Required);
            break;
        }
    }
    errors.into_result()?;
    let mut tx = state.pool.begin().await?;
    let before = settings(&state.pool).await?;
    let work_days: Vec<i32> = calendar.work_days.iter().map(|d| *d as i32).collect();
    let updated = sqlx::query!(
        "update service_calendar set work_days = $1, day_start_minute = $2,
             day_end_minute = $3, version = version + 1, updated_at = now()
         where id = 1 and version = $4",
        &work_days,
        calendar.day_start_minute,
        calendar.day_end_minute,
        calendar.version,
    )
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::Conflict);
    }
    sqlx::query!("delete from service_holiday").execute(&mut *tx).await?;
    sqlx::query!(
        "insert into service_holiday (day, name)
         select d, '' from unnest($1::date[]) d on conflict do nothing",
        &calendar.holidays as _,
    )
    .execute(&mut *tx)
    .await?;
    // Tickets keep the policy they were opened under, so rows are updated in place and only
    // unreferenced ones removed.
    for policy in &policies {
        sqlx::query!(
            "insert into sla_policy (priority, tier_id, first_response_minutes, resolution_minutes, business_hours)
             values ($1, $2, $3, $4, $5)
             on conflict (priority, coalesce(tier_id, 0)) do update set
                 first_response_minutes = excluded.first_response_minutes,
                 resolution_minutes = excluded.resolution_minutes,
                 business_hours = excluded.business_hours, updated_at = now()",
            policy.priority.as_str(),
            policy.tier_id,
            policy.first_response_minutes,
            policy.resolution_minutes,
            policy.business_hours,
        )
        .execute(&mut *tx)
        .await?;
    }
    let kept: Vec<(String, i64)> =
        policies.iter().map(|p| (p.priority.as_str().to_owned(), p.tier_id.unwrap_or(0))).collect();
    let (kept_priorities, kept_tiers): (Vec<String>, Vec<i64>) = kept.into_iter().unzip();
    sqlx::query!(
        "delete from sla_policy p
         where (p.priority, coalesce(p.tier_id, 0)) not in (select * from unnest($1::text[], $2::bigint[]))
           and not exists (select 1 from ticket t where t.sla_policy_id = p.id)",
        &kept_priorities,
        &kept_tiers,
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("update", "service_settings", 1)
            .before(&before)
            .after(&serde_json::json!({ "calendar": calendar, "policies": policies })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
