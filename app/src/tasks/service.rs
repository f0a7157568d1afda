//! Tasks: writes, "my day", completion with recurrence, and due reminders (server only).

use super::model::*;
use crate::{
    audit::repo::{Change, record},
    auth::{
        model::{Role, UserId},
        server::Authenticated,
    },
    customers::model::CustomerId,
    error::{AppError, FieldError, stored},
    events::{Audience, ServerEvent, Topic, publish},
    pipeline::model::OpportunityId,
    state::AppState,
    tickets::model::TicketId,
};
use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};

const TASK_COLUMNS: &str =
    "t.id, t.title, t.notes, t.customer_id, c.name as customer_name, t.lead_id,
    t.opportunity_id, o.title as opportunity_title, t.ticket_id, tk.subject as ticket_subject,
    t.assignee_id, u.display_name as assignee_name,
    t.due_at, t.priority, t.repeat_days, t.done_at, t.version";

const TASK_JOINS: &str = "from task t
    join app_user u on u.id = t.assignee_id
    left join customer c on c.id = t.customer_id
    left join opportunity o on o.id = t.opportunity_id
    left join ticket tk on tk.id = t.ticket_id";

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: i64,
    title: String,
    notes: Option<String>,
    customer_id: Option<i64>,
    customer_name: Option<String>,
    lead_id: Option<i64>,
    opportunity_id: Option<i64>,
    opportunity_title: Option<String>,
    ticket_id: Option<i64>,
    ticket_subject: Option<String>,
    assignee_id: i64,
    assignee_name: String,
    due_at: DateTime<Utc>,
    priority: String,
    repeat_days: Option<i32>,
    done_at: Option<DateTime<Utc>>,
    version: i32,
}

impl TryFrom<TaskRow> for Task {
    type Error = AppError;

    fn try_from(r: TaskRow) -> Result<Self, AppError> {
        Ok(Task {
            id: TaskId(r.id),
            title: r.title,
            notes: r.notes,
            customer_id: r.customer_id.map(CustomerId),
            customer_name: r.customer_name,
            lead_id: r.lead_id,
            opportunity_id: r.opportunity_id.map(OpportunityId),
            opportunity_title: r.opportunity_title,
            ticket_id: r.ticket_id.map(TicketId),
            ticket_subject: r.ticket_subject,
            assignee_id: UserId(r.assignee_id),
            assignee_name: r.assignee_name,
            due_at: r.due_at,
            priority: stored(Priority::parse(&r.priority))?,
            repeat_days: r.repeat_days,
            done_at: r.done_at,
            version: r.version,
        })
    }
}

fn rows_to_tasks(rows: Vec<TaskRow>) -> Result<Vec<Task>, AppError> {
    rows.into_iter().map(Task::try_from).collect()
}

fn task_event(id: TaskId, assignee: UserId) -> ServerEvent {
    ServerEvent {
        topic: Topic::Task,
        id: id.0,
        audience: Audience::Users { ids: vec![assignee], or_role: Role::Manager },
    }
}

/// The caller's open tasks: overdue, due before the end of `today_end`, and the next ones.
pub async fn my_day(
    pool: &PgPool,
    user: UserId,
    today_end: DateTime<Utc>,
) -> Result<MyDay, AppError> {
    let sql = format!(
        "select {TASK_COLUMNS} {TASK_JOINS}
         where t.assignee_id = $1 and t.done_at is null and t.due_at < $2 + interval '14 days'
         order by t.due_at, t.id limit 300"
    );
    let tasks =
        rows_to_tasks(sqlx::query_as(&sql).bind(user.0).bind(today_end).fetch_all(pool).await?)?;
    let now = Utc::now();
    let mut day = MyDay::default();
    for task in tasks {
        if task.due_at < now {
            day.overdue.push(task);
        } else if task.due_at < today_end {
            day.today.push(task);
        } else {
            day.upcoming.push(task);
        }
    }
    Ok(day)
}

/// Open tasks of a ticket, an opportunity or (without either) a customer, that the caller may
/// see.
pub async fn for_record(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
    customer: Option<CustomerId>,
    opportunity: Option<OpportunityId>,
    ticket: Option<TicketId>,
) -> Result<Vec<Task>, AppError> {
    let sql = format!(
        "select {TASK_COLUMNS} {TASK_JOINS}
         where t.done_at is null
           and case when $4::bigint is not null then t.ticket_id = $4
                    when $1::bigint is not null then t.opportunity_id = $1
                    else t.customer_id = $2 end
           and ($3::bigint[] is null or t.assignee_id = any($3) or c.owner_id = any($3)
                or o.owner_id = any($3) or tk.assignee_id = any($3))
         order by t.due_at, t.id limit 50"
    );
    rows_to_tasks(
        sqlx::query_as(&sql)
            .bind(opportunity.map(|o| o.0))
            .bind(customer.map(|c| c.0))
            .bind(visible_owners)
            .bind(ticket.map(|t| t.0))
            .fetch_all(pool)
            .await?,
    )
}

async fn check_links(
    conn: &mut PgConnection,
    caller: &Authenticated,
    input: &TaskInput,
) -> Result<(), AppError> {
    let scope = caller.scope.visible_owners();
    if let Some(customer) = input.customer_id
        && crate::customers::repo::lock(&mut *conn, customer, scope.as_deref()).await?.is_none()
    {
        return Err(AppError::validation("customer_id", FieldError::UnknownReference));
    }
    if let Some(opportunity) = input.opportunity_id
        && crate::pipeline::service::card(&mut *conn, scope.as_deref(), opportunity)
            .await?
            .is_none()
    {
        return Err(AppError::validation("opportunity_id", FieldError::UnknownReference));
    }
    if let Some(ticket) = input.ticket_id
        && crate::tickets::service::visible_customer(&mut *conn, caller, ticket).await?.is_none()
    {
        return Err(AppError::validation("ticket_id", FieldError::UnknownReference));
    }
    Ok(())
}

/// Creates a task for the caller or someone in their scope.
///
/// Errors: `Validation`.
pub async fn create(
    state: &AppState,
    caller: &Authenticated,
    input: TaskInput,
) -> Result<TaskId, AppError> {
    let repeat = input.validate()?;
    let assignee = input.assignee_id.unwrap_or(caller.id());
    if !caller.scope.can_see_owner(Some(assignee)) {
        return Err(AppError::validation("assignee_id", FieldError::OwnerOutOfScope));
    }
    let mut tx = state.pool.begin().await?;
    check_links(&mut tx, caller, &input).await?;
    let ticket_customer = match input.ticket_id {
        Some(ticket) => crate::tickets::service::visible_customer(&mut tx, caller, ticket).await?,
        None => None,
    };
    let customer = input.customer_id.or(ticket_customer);
    let notes = Some(input.notes.trim()).filter(|n| !n.is_empty());
    let id = TaskId(
        sqlx::query_scalar!(
            "insert into task (title, notes, customer_id, lead_id, opportunity_id, assignee_id, due_at,
                 priority, repeat_days, created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
            input.title.trim(),
            notes,
            customer.map(|c| c.0),
            input.lead_id,
            input.opportunity_id.map(|o| o.0),
            assignee.0,
            input.due_at.unwrap_or_else(Utc::now) as _,
            input.priority.as_str(),
            repeat,
            caller.id().0,
        )
        .fetch_one(&mut *tx)
        .await?,
    );
    if let Some(ticket) = input.ticket_id {
        sqlx::query!("update task set ticket_id = $2 where id = $1", id.0, ticket.0)
            .execute(&mut *tx)
            .await?;
    }
    record(&mut *tx, caller.actor(), Change::new("create", "task", id.0).after(&serde_json::json!({
        "title": input.title.trim(), "assignee_id": assignee.0, "due_at": input.due_at, "repeat_days": repeat,
        "ticket_id": input.ticket_id.map(|t| t.0),
    })))
    .await?;
    publish(&mut *tx, &task_event(id, assignee)).await?;
    tx.commit().await?;
    Ok(id)
}

/// Marks a task done; a recurring one comes back `repeat_days` after now. Returns the next
/// occurrence, if any.
///
/// Errors: `Conflict`, `NotFound` (not the caller's, nor in a manager's scope).
pub async fn complete(
    state: &AppState,
    caller: &Authenticated,
    id: TaskId,
    version: i32,
) -> Result<Option<TaskId>, AppError> {
    let scope = caller.scope.visible_owners();
    let mut tx = state.pool.begin().await?;
    let task = sqlx::query!(
        r#"select title, notes, customer_id, lead_id, opportunity_id, assignee_id, priority, repeat_days,
                  version, done_at as "done_at: DateTime<Utc>"
           from task where id = $1 and (assignee_id = $2 or ($3::bigint[] is null or assignee_id = any($3)))
           for update"#,
        id.0,
        caller.id().0,
        scope.as_deref() as _,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if task.version != version || task.done_at.is_some() {
        return Err(AppError::Conflict);
    }
    sqlx::query!(
        "update task set done_at = now(), version = version + 1, updated_at = now() where id = $1",
        id.0
    )
    .execute(&mut *tx)
    .await?;
    let next = match task.repeat_days {
        Some(days) => Some(TaskId(
            sqlx::query_scalar!(
                "insert into task (title, notes, customer_id, lead_id, opportunity_id, assignee_id, due_at,
                     priority, repeat_days, created_by)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
                task.title,
                task.notes,
                task.customer_id,
                task.lead_id,
                task.opportunity_id,
                task.assignee_id,
                (Utc::now() + Duration::days(i64::from(days))) as _,
                task.priority,
                days,
                caller.id().0,
            )
            .fetch_one(&mut *tx)
            .await?,
        )),
        None => None,
    };
    if let Some(next) = next {
        // The next occurrence follows the same ticket.
        sqlx::query!(
            "update task set ticket_id = (select ticket_id from task where id = $2) where id = $1",
            next.0,
            id.0,
        )
        .execute(&mut *tx)
        .await?;
    }
    record(
        &mut *tx,
        caller.actor(),
        Change::new("complete", "task", id.0)
            .after(&serde_json::json!({ "next": next.map(|n| n.0) })),
    )
    .await?;
    publish(&mut *tx, &task_event(id, UserId(task.assignee_id))).await?;
    tx.commit().await?;
    Ok(next)
}

/// The assignee's tasks announced as due in the last two minutes (what a reminder shows).
pub async fn due_unannounced(
    executor: impl PgExecutor<'_>,
    user: UserId,
) -> Result<Vec<Task>, AppError> {
    let sql = format!(
        "select {TASK_COLUMNS} {TASK_JOINS}
         where t.assignee_id = $1 and t.done_at is null and t.due_at <= now()
           and t.reminded_at > now() - interval '2 minutes'
         order by t.due_at desc limit 10"
    );
    rows_to_tasks(sqlx::query_as(&sql).bind(user.0).fetch_all(executor).await?)
}

/// Marks tasks that fell due as reminded and tells their assignees, once each: the update
/// claims each task, so however many processes run this, one reminder goes out.
pub async fn remind_due_once(pool: &PgPool) -> Result<usize, AppError> {
    let mut tx = pool.begin().await?;
    let due = sqlx::query!(
        "update task set reminded_at = now()
         where done_at is null and reminded_at is null and due_at <= now()
         returning id, assignee_id"
    )
    .fetch_all(&mut *tx)
    .await?;
    for task in &due {
        publish(&mut *tx, &task_event(TaskId(task.id), UserId(task.assignee_id))).await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

/// Checks for newly due tasks every 20 seconds for the life of the process.
pub async fn remind_due(state: AppState) {
    let mut closing = state.events.closing();
    loop {
        if let Err(error) = remind_due_once(&state.pool).await {
            tracing::warn!(%error, "task reminders failed; retrying");
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(20)) => {}
            _ = closing.changed() => return,
        }
    }
}
