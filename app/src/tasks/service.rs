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
    notifications::{
        model::{EntityType, NotificationKind},
        service::{Notice, notify},
    },
    pipeline::model::OpportunityId,
    recycling::{BinKey, Binned},
    state::AppState,
    tickets::model::TicketId,
};
use chrono::{DateTime, Duration, SubsecRound, Utc};
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
    tasks_event(id, vec![assignee])
}

/// A change that concerns several people: a reassigned task's old and new assignee.
fn tasks_event(id: TaskId, people: Vec<UserId>) -> ServerEvent {
    ServerEvent {
        topic: Topic::Task,
        id: id.0,
        audience: Audience::Users { ids: people, or_role: Role::Manager },
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
         where t.assignee_id = $1 and t.done_at is null and t.deleted_at is null
           and t.due_at < $2 + interval '14 days'
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

/// A task due on a company day, with how many are due that day in all.
#[derive(sqlx::FromRow)]
struct DueRow {
    #[sqlx(flatten)]
    task: TaskRow,
    day_total: i64,
}

/// Tasks (done or not) due from `from` to before `to`, assigned to one of `assignees` (all
/// when `None`): at most `per_day` of each company day, open ones first, each with its day's
/// total. For the care calendar.
pub async fn due_between(
    pool: &PgPool,
    assignees: Option<&[i64]>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    per_day: i64,
) -> Result<Vec<(Task, i64)>, AppError> {
    let sql = format!(
        "select * from (
             select {TASK_COLUMNS},
                    row_number() over day_tasks as nth,
                    count(*) over due_day as day_total
             {TASK_JOINS}
             where t.deleted_at is null and t.due_at >= $1 and t.due_at < $2
               and ($3::bigint[] is null or t.assignee_id = any($3))
             window due_day as (partition by (t.due_at at time zone company_time_zone())::date),
                    day_tasks as (due_day order by t.done_at is not null, t.due_at, t.id)
         ) d
         where nth <= $4
         order by due_at, id"
    );
    let rows: Vec<DueRow> = sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .bind(assignees)
        .bind(per_day)
        .fetch_all(pool)
        .await?;
    rows.into_iter().map(|row| Ok((Task::try_from(row.task)?, row.day_total))).collect()
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
         where t.done_at is null and t.deleted_at is null
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
    let (kind, entity) = (NotificationKind::TaskAssigned, EntityType::Task);
    let title = input.title.trim().to_owned();
    notify(&mut tx, Notice::assigned(kind, entity, id.0, title, assignee, Some(caller.id()), 1))
        .await?;
    publish(&mut *tx, &task_event(id, assignee)).await?;
    tx.commit().await?;
    Ok(id)
}

/// Marks a task done; a recurring one comes back `repeat_days` after now. Returns the next
/// occurrence, if any.
///
/// Errors: `ChangedMeanwhile`, `NotFound` (not the caller's, nor in a manager's scope).
pub async fn complete(
    state: &AppState,
    caller: &Authenticated,
    id: TaskId,
    version: i32,
) -> Result<Option<TaskId>, AppError> {
    let mut tx = state.pool.begin().await?;
    let task = lock_at(&mut tx, caller, id, version, Done::Allowed).await?;
    if task.done_at.is_some() {
        return Err(crate::audit::repo::changed_meanwhile(&mut *tx, "task", id.0).await);
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
         where t.assignee_id = $1 and t.done_at is null and t.deleted_at is null and t.due_at <= now()
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
        r#"update task set reminded_at = now()
           where done_at is null and deleted_at is null and reminded_at is null and due_at <= now()
           returning id, assignee_id, title, due_at as "due_at: DateTime<Utc>""#
    )
    .fetch_all(&mut *tx)
    .await?;
    for task in &due {
        publish(&mut *tx, &task_event(TaskId(task.id), UserId(task.assignee_id))).await?;
        // Kept, and emailed by preference: the reminder reaches people with no tab open.
        let notice = Notice {
            user: UserId(task.assignee_id),
            kind: NotificationKind::TaskDue,
            entity_type: EntityType::Task,
            entity_id: task.id,
            title: task.title.clone(),
            actor: None,
            excerpt: None,
            event_key: format!("task_due:{}:{}", task.id, task.due_at.timestamp()),
        };
        notify(&mut tx, notice).await?;
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

/// A task as its writes find it, locked.
struct LockedTask {
    title: String,
    notes: Option<String>,
    customer_id: Option<i64>,
    lead_id: Option<i64>,
    opportunity_id: Option<i64>,
    assignee_id: i64,
    due_at: DateTime<Utc>,
    priority: String,
    repeat_days: Option<i32>,
    done_at: Option<DateTime<Utc>>,
}

/// Whether a write may see a done task.
#[derive(Clone, Copy, PartialEq)]
enum Done {
    Allowed,
    /// A done task is not found (editing applies to open tasks only).
    NotFound,
}

/// Locks a live (not deleted) task the caller may change, as it was at `version`: their own,
/// or one whose assignee is in their scope.
///
/// Errors: `NotFound`, `ChangedMeanwhile` (saved since `version`).
async fn lock_at(
    conn: &mut PgConnection,
    caller: &Authenticated,
    id: TaskId,
    version: i32,
    done: Done,
) -> Result<LockedTask, AppError> {
    let scope = caller.scope.visible_owners();
    let task = sqlx::query!(
        r#"select title, notes, customer_id, lead_id, opportunity_id, assignee_id,
                  due_at as "due_at: DateTime<Utc>", priority, repeat_days, version,
                  done_at as "done_at: DateTime<Utc>"
           from task
           where id = $1 and deleted_at is null and ($4 or done_at is null)
             and (assignee_id = $2 or ($3::bigint[] is null or assignee_id = any($3)))
           for update"#,
        id.0,
        caller.id().0,
        scope.as_deref() as _,
        done == Done::Allowed,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    if task.version != version {
        return Err(crate::audit::repo::changed_meanwhile(&mut *conn, "task", id.0).await);
    }
    Ok(LockedTask {
        title: task.title,
        notes: task.notes,
        customer_id: task.customer_id,
        lead_id: task.lead_id,
        opportunity_id: task.opportunity_id,
        assignee_id: task.assignee_id,
        due_at: task.due_at,
        priority: task.priority,
        repeat_days: task.repeat_days,
        done_at: task.done_at,
    })
}

/// What an edit may change, as the audit log and the conflict message name the fields.
#[derive(serde::Serialize, PartialEq)]
struct EditableTask {
    title: String,
    notes: Option<String>,
    due_at: DateTime<Utc>,
    priority: String,
    repeat_days: Option<i32>,
    assignee_id: i64,
}

/// Edits an open task seen at `version`: title, notes, due time, priority, repetition and
/// assignee (the records it hangs on stay). Its assignee, or anyone whose scope covers the
/// assignee, may; the new assignee must be in the caller's scope too. A new due time makes the
/// reminder due again.
///
/// Errors: `Validation`, `ChangedMeanwhile`, `NotFound` (not the caller's, not in their scope,
/// done or deleted).
pub async fn update(
    state: &AppState,
    caller: &Authenticated,
    id: TaskId,
    version: i32,
    input: TaskInput,
) -> Result<(), AppError> {
    let repeat = input.validate()?;
    let mut tx = state.pool.begin().await?;
    let current = lock_at(&mut tx, caller, id, version, Done::NotFound).await?;
    let assignee = input.assignee_id.unwrap_or(UserId(current.assignee_id));
    if assignee.0 != current.assignee_id {
        crate::auth::repo::check_assignable(&mut *tx, caller, assignee, "assignee_id").await?;
    }
    let before = EditableTask {
        title: current.title,
        notes: current.notes,
        due_at: current.due_at,
        priority: current.priority,
        repeat_days: current.repeat_days,
        assignee_id: current.assignee_id,
    };
    let after = EditableTask {
        title: input.title.trim().to_owned(),
        notes: Some(input.notes.trim().to_owned()).filter(|n| !n.is_empty()),
        // At the database's precision, so an unchanged time compares equal to the stored one.
        due_at: input.due_at.map(|at| at.trunc_subsecs(6)).unwrap_or(before.due_at),
        priority: input.priority.as_str().to_owned(),
        repeat_days: repeat,
        assignee_id: assignee.0,
    };
    if before == after {
        // Nothing changed: no new version, no entry, no event.
        return Ok(());
    }
    sqlx::query!(
        "update task set title = $2, notes = $3, due_at = $4, priority = $5, repeat_days = $6,
             assignee_id = $7, reminded_at = case when due_at = $4 then reminded_at end,
             version = version + 1, updated_at = now()
         where id = $1",
        id.0,
        after.title,
        after.notes,
        after.due_at as _,
        after.priority,
        after.repeat_days,
        after.assignee_id,
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("update", "task", id.0).before(&before).after(&after),
    )
    .await?;
    let mut people = vec![UserId(before.assignee_id)];
    if after.assignee_id != before.assignee_id {
        people.push(assignee);
        let (kind, entity) = (NotificationKind::TaskAssigned, EntityType::Task);
        let (title, by) = (after.title.clone(), Some(caller.id()));
        notify(&mut tx, Notice::assigned(kind, entity, id.0, title, assignee, by, version + 1))
            .await?;
    }
    publish(&mut *tx, &tasks_event(id, people)).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves a task seen at `version` to the recycle bin, where an admin can restore it until the
/// nightly purge. Who may edit it may delete it.
///
/// Errors: `ChangedMeanwhile`, `NotFound`.
pub async fn delete(
    state: &AppState,
    caller: &Authenticated,
    id: TaskId,
    version: i32,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let current = lock_at(&mut tx, caller, id, version, Done::Allowed).await?;
    sqlx::query!(
        "update task set deleted_at = now(), deleted_by = $2, version = version + 1, updated_at = now()
         where id = $1",
        id.0,
        caller.id().0,
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("delete", "task", id.0).before(
            &serde_json::json!({ "title": current.title, "assignee_id": current.assignee_id }),
        ),
    )
    .await?;
    publish(&mut *tx, &task_event(id, UserId(current.assignee_id))).await?;
    tx.commit().await?;
    Ok(())
}

/// Brings a task back from the recycle bin as it was, links and all.
///
/// Errors: `NotFound` (not in the recycle bin: restored already, or purged).
pub async fn restore(state: &AppState, caller: &Authenticated, id: TaskId) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let restored = sqlx::query!(
        "update task set deleted_at = null, deleted_by = null, version = version + 1, updated_at = now()
         where id = $1 and deleted_at is not null
         returning title, assignee_id",
        id.0,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("restore", "task", id.0).after(
            &serde_json::json!({ "title": restored.title, "assignee_id": restored.assignee_id }),
        ),
    )
    .await?;
    publish(&mut *tx, &task_event(id, UserId(restored.assignee_id))).await?;
    tx.commit().await?;
    Ok(())
}

/// The task recycle bin, most recently deleted first, continuing after `after`.
pub async fn deleted(
    pool: &PgPool,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<crate::paging::Page<Binned, BinKey>, AppError> {
    let (after_at, after_id) = after.unzip();
    let rows = sqlx::query!(
        r#"select t.id, t.title, u.display_name as assignee_name, c.name as "customer_name?",
                  t.deleted_at as "deleted_at!: DateTime<Utc>", d.display_name as "deleted_by_name?"
           from task t
           join app_user u on u.id = t.assignee_id
           left join customer c on c.id = t.customer_id
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
    let tasks = rows
        .into_iter()
        .map(|r| Binned {
            id: r.id,
            name: r.title,
            context: r.customer_name,
            person: Some(r.assignee_name),
            deleted_at: r.deleted_at,
            deleted_by_name: r.deleted_by_name,
        })
        .collect();
    Ok(Binned::page(tasks, limit))
}

/// Removes for good the tasks deleted more than `days` days ago, `limit` at a time, with one
/// audit entry naming them; returns how many went.
pub async fn purge_deleted(
    conn: &mut PgConnection,
    days: i32,
    limit: i64,
) -> Result<u64, AppError> {
    let purged = sqlx::query!(
        "delete from task where id in (
             select id from task
             where deleted_at < now() - make_interval(days => $1)
             order by deleted_at, id limit $2 for update skip locked)
         returning id, title",
        days,
        limit,
    )
    .fetch_all(&mut *conn)
    .await?;
    let purged = purged.iter().map(|t| (t.id, t.title.as_str()));
    crate::recycling::record_purge(conn, "task", purged, days).await
}
