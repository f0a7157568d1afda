//! Logging and listing interactions.

use super::model::*;
use crate::{
    audit::repo::{Change, record},
    auth::model::UserId,
    auth::server::Authenticated,
    customers::timeline::{
        model::kinds,
        repo::{NewEntry, append},
    },
    customers::{
        model::{ContactId, CustomerId},
        repo as customers,
        service::customer_event,
    },
    error::{AppError, FieldError},
    events::publish,
    notifications::{
        model::EntityType,
        service::{Mentioned, notify_mentions},
    },
    paging::Page,
    recycling::{BinKey, Binned},
    state::AppState,
};
use chrono::{DateTime, NaiveDate, Utc};

/// Logs an interaction on a customer the caller may see.
///
/// Errors: `Validation` (`subject`, `outcome`, `next_step`, `contact_id`), `NotFound`.
pub async fn log(
    state: &AppState,
    caller: &Authenticated,
    input: InteractionInput,
) -> Result<i64, AppError> {
    let (subject, outcome, next_step) = input.validate()?;
    let scope = caller.scope.visible_owners();
    let mut tx = state.pool.begin().await?;
    customers::lock(&mut tx, input.customer_id, scope.as_deref())
        .await?
        .ok_or(AppError::NotFound)?;
    check_contact(&mut tx, &input).await?;
    let occurred_at = input.occurred_at.unwrap_or_else(Utc::now);
    let id = sqlx::query_scalar!(
        "insert into interaction (customer_id, contact_id, kind, direction, occurred_at, subject,
                outcome, next_step, next_step_due, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
        input.customer_id.0,
        input.contact_id.map(|c| c.0),
        input.kind.as_str(),
        input.direction.as_str(),
        occurred_at as _,
        subject,
        outcome,
        next_step,
        input.next_step_due as _,
        caller.id().0,
    )
    .fetch_one(&mut *tx)
    .await?;
    let data = shown(&input);
    append(
        &mut *tx,
        NewEntry::now(input.customer_id, kinds::INTERACTION, Some(caller.id()))
            .at(occurred_at)
            .reference(id)
            .data(data.clone()),
    )
    .await?;
    record(&mut *tx, caller.actor(), Change::new("create", "interaction", id).after(&data)).await?;
    tell_mentioned(
        &mut tx,
        caller,
        input.customer_id,
        id,
        [Some(subject.as_str()), outcome.as_deref(), next_step.as_deref()],
    )
    .await?;
    let event = customer_event(&mut tx, input.customer_id).await?;
    publish(&mut *tx, &event).await?;
    tx.commit().await?;
    Ok(id)
}

/// Refuses a contact that is not one of the customer's own.
async fn check_contact(
    conn: &mut sqlx::PgConnection,
    input: &InteractionInput,
) -> Result<(), AppError> {
    let Some(contact) = input.contact_id else { return Ok(()) };
    let belongs = sqlx::query_scalar!(
        r#"select exists(select 1 from contact where id = $1 and customer_id = $2 and deleted_at is null) as "e!""#,
        contact.0,
        input.customer_id.0
    )
    .fetch_one(&mut *conn)
    .await?;
    if belongs {
        Ok(())
    } else {
        Err(AppError::validation("contact_id", FieldError::UnknownReference))
    }
}

/// A free text as `validate` keeps it: trimmed, none when blank.
fn kept(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

/// What an interaction's timeline entry shows, its texts as `validate` keeps them.
fn shown(input: &InteractionInput) -> serde_json::Value {
    serde_json::json!({
        "kind": input.kind.as_str(),
        "direction": input.direction.as_str(),
        "subject": input.subject.trim(),
        "outcome": kept(&input.outcome),
        "next_step": kept(&input.next_step),
    })
}

/// An interaction as the audit log keeps it (keys named apart from a customer's own fields),
/// its texts as `validate` keeps them.
fn audited(input: &InteractionInput, occurred_at: DateTime<Utc>) -> serde_json::Value {
    serde_json::json!({
        "interaction_kind": input.kind.as_str(),
        "direction": input.direction.as_str(),
        "contact_id": input.contact_id.map(|c| c.0),
        "occurred_at": occurred_at,
        "subject": input.subject.trim(),
        "outcome": kept(&input.outcome),
        "next_step": kept(&input.next_step),
        "next_step_due": input.next_step_due,
    })
}

/// An interaction's row as stored, read to edit, delete or restore it.
struct Stored {
    customer_id: i64,
    contact_id: Option<i64>,
    kind: String,
    direction: String,
    occurred_at: DateTime<Utc>,
    subject: String,
    outcome: Option<String>,
    next_step: Option<String>,
    next_step_due: Option<NaiveDate>,
    version: i32,
    created_by: Option<i64>,
}

impl Stored {
    /// The row as the form that would save it.
    fn input(&self) -> InteractionInput {
        InteractionInput {
            customer_id: CustomerId(self.customer_id),
            contact_id: self.contact_id.map(ContactId),
            kind: InteractionKind::parse(&self.kind).unwrap_or_default(),
            direction: Direction::parse(&self.direction).unwrap_or_default(),
            occurred_at: Some(self.occurred_at),
            subject: self.subject.clone(),
            outcome: self.outcome.clone().unwrap_or_default(),
            next_step: self.next_step.clone().unwrap_or_default(),
            next_step_due: self.next_step_due,
        }
    }
}

/// `@name` in what was written tells that colleague (once per interaction), with a link to the
/// customer.
async fn tell_mentioned(
    conn: &mut sqlx::PgConnection,
    caller: &Authenticated,
    customer_id: CustomerId,
    interaction: i64,
    texts: [Option<&str>; 3],
) -> Result<(), AppError> {
    let written = texts.into_iter().flatten().collect::<Vec<_>>().join("\n");
    let customer_name =
        sqlx::query_scalar!("select name from customer where id = $1", customer_id.0)
            .fetch_one(&mut *conn)
            .await?;
    let on = Mentioned {
        entity_type: EntityType::Customer,
        entity_id: customer_id.0,
        title: customer_name,
        event: format!("interaction:{interaction}"),
    };
    notify_mentions(conn, caller.id(), &written, on).await?;
    Ok(())
}

/// Edits an interaction on a customer the caller may see, from the version they read. Its
/// timeline entry shows the corrected interaction, a second entry says what changed, and a
/// colleague newly `@`-mentioned is told.
///
/// Errors: `Validation` (as logging; `customer_id` when another customer is named),
/// `ChangedMeanwhile`, `NotFound`.
pub async fn update(
    state: &AppState,
    caller: &Authenticated,
    id: i64,
    version: i32,
    input: InteractionInput,
) -> Result<(), AppError> {
    let (subject, outcome, next_step) = input.validate()?;
    let mut tx = state.pool.begin().await?;
    let (customer_id, as_it_was) = lock(&mut tx, caller, id, version).await?;
    let customer_id = customer_id.0;
    if input.customer_id.0 != customer_id {
        // An interaction moves to another customer only with a merge.
        return Err(AppError::validation("customer_id", FieldError::InvalidChoice));
    }
    check_contact(&mut tx, &input).await?;
    let was_at = as_it_was.occurred_at.unwrap_or_else(Utc::now);
    let occurred_at = input.occurred_at.unwrap_or(was_at);
    let before = audited(&as_it_was, was_at);
    let after = audited(&input, occurred_at);
    if before == after {
        // Nothing changed: no new version, no entry, no event.
        tx.rollback().await?;
        return Ok(());
    }
    sqlx::query!(
        "update interaction set contact_id = $2, kind = $3, direction = $4, occurred_at = $5,
                subject = $6, outcome = $7, next_step = $8, next_step_due = $9,
                version = version + 1, updated_at = now()
         where id = $1",
        id,
        input.contact_id.map(|c| c.0),
        input.kind.as_str(),
        input.direction.as_str(),
        occurred_at as _,
        subject,
        outcome,
        next_step,
        input.next_step_due as _,
    )
    .execute(&mut *tx)
    .await?;
    // The interaction's own timeline entry shows it as it now is, where it now falls.
    let shown = shown(&input);
    sqlx::query!(
        "update timeline_event set at = $3, data = $4
         where customer_id = $1 and kind = 'interaction' and ref_id = $2",
        customer_id,
        id,
        occurred_at as _,
        shown,
    )
    .execute(&mut *tx)
    .await?;
    let fields: Vec<String> = crate::audit::model::changed_fields(Some(&before), Some(&after))
        .into_iter()
        .map(|(field, _, _)| field)
        .collect();
    append(
        &mut *tx,
        NewEntry::now(CustomerId(customer_id), kinds::INTERACTION_EDITED, Some(caller.id()))
            .reference(id)
            .data(serde_json::json!({ "subject": subject, "fields": fields })),
    )
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("update", "interaction", id).before(&before).after(&after),
    )
    .await?;
    tell_mentioned(
        &mut tx,
        caller,
        CustomerId(customer_id),
        id,
        [Some(subject.as_str()), outcome.as_deref(), next_step.as_deref()],
    )
    .await?;
    let event = customer_event(&mut tx, CustomerId(customer_id)).await?;
    publish(&mut *tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Locks an interaction (not in the recycle bin) on a customer in the caller's scope, with
/// that customer, and checks it is still at `version`; returns the customer and the
/// interaction as stored.
async fn lock(
    tx: &mut sqlx::PgConnection,
    caller: &Authenticated,
    id: i64,
    version: i32,
) -> Result<(CustomerId, InteractionInput), AppError> {
    let scope = caller.scope.visible_owners();
    let customer_id = sqlx::query_scalar!(
        "select customer_id from interaction where id = $1 and deleted_at is null",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    customers::lock(&mut *tx, CustomerId(customer_id), scope.as_deref())
        .await?
        .ok_or(AppError::NotFound)?;
    let current = sqlx::query_as!(
        Stored,
        r#"select customer_id, contact_id, kind, direction, occurred_at as "occurred_at: DateTime<Utc>",
                  subject, outcome, next_step, next_step_due as "next_step_due: NaiveDate", version,
                  created_by
           from interaction where id = $1 and deleted_at is null for update"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if current.customer_id != customer_id {
        // Merged into another customer between the two reads.
        return Err(AppError::NotFound);
    }
    if current.version != version {
        return Err(crate::audit::repo::changed_meanwhile(&mut *tx, "interaction", id).await);
    }
    Ok((CustomerId(customer_id), current.input()))
}

/// Moves an interaction seen at `version` to the recycle bin: it leaves the customer's
/// interactions and timeline (an entry says who moved it), and an admin can restore it until
/// the nightly purge. Whoever may edit it may delete it.
///
/// Errors: `ChangedMeanwhile`, `NotFound`.
pub async fn delete(
    state: &AppState,
    caller: &Authenticated,
    id: i64,
    version: i32,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let (customer_id, stored) = lock(&mut tx, caller, id, version).await?;
    sqlx::query!(
        "update interaction set deleted_at = now(), deleted_by = $2, version = version + 1, updated_at = now()
         where id = $1",
        id,
        caller.id().0,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "delete from timeline_event where customer_id = $1 and kind = 'interaction' and ref_id = $2",
        customer_id.0,
        id,
    )
    .execute(&mut *tx)
    .await?;
    append(
        &mut *tx,
        NewEntry::now(customer_id, kinds::INTERACTION_DELETED, Some(caller.id()))
            .reference(id)
            .data(serde_json::json!({ "subject": stored.subject })),
    )
    .await?;
    let before = audited(&stored, stored.occurred_at.unwrap_or_else(Utc::now));
    record(&mut *tx, caller.actor(), Change::new("delete", "interaction", id).before(&before))
        .await?;
    let event = customer_event(&mut tx, customer_id).await?;
    publish(&mut *tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Brings an interaction back from the recycle bin as it was, to its place on the customer's
/// timeline (with an entry saying it came back). A customer deleted meanwhile gets it back when
/// the customer is restored.
///
/// Errors: `NotFound` (not in the recycle bin: restored already, or purged).
pub async fn restore(state: &AppState, caller: &Authenticated, id: i64) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let row = sqlx::query_as!(
        Stored,
        r#"update interaction set deleted_at = null, deleted_by = null, version = version + 1, updated_at = now()
           where id = $1 and deleted_at is not null
           returning customer_id, contact_id, kind, direction, occurred_at as "occurred_at: DateTime<Utc>",
                     subject, outcome, next_step, next_step_due as "next_step_due: NaiveDate", version,
                     created_by"#,
        id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let restored = row.input();
    let customer_id = restored.customer_id;
    append(
        &mut *tx,
        NewEntry::now(customer_id, kinds::INTERACTION, row.created_by.map(UserId))
            .at(row.occurred_at)
            .reference(id)
            .data(shown(&restored)),
    )
    .await?;
    append(
        &mut *tx,
        NewEntry::now(customer_id, kinds::INTERACTION_RESTORED, Some(caller.id()))
            .reference(id)
            .data(serde_json::json!({ "subject": restored.subject })),
    )
    .await?;
    let after = audited(&restored, row.occurred_at);
    record(&mut *tx, caller.actor(), Change::new("restore", "interaction", id).after(&after))
        .await?;
    let event = customer_event(&mut tx, customer_id).await?;
    publish(&mut *tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// The interaction recycle bin, most recently deleted first, continuing after `after`.
pub async fn deleted(
    pool: &sqlx::PgPool,
    after: Option<BinKey>,
    limit: i64,
) -> Result<Page<Binned, BinKey>, AppError> {
    let (after_at, after_id) = after.unzip();
    let rows = sqlx::query!(
        r#"select i.id, i.subject, c.name as customer_name, u.display_name as "logged_by?",
                  i.deleted_at as "deleted_at!: DateTime<Utc>", d.display_name as "deleted_by_name?"
           from interaction i
           join customer c on c.id = i.customer_id
           left join app_user u on u.id = i.created_by
           left join app_user d on d.id = i.deleted_by
           where i.deleted_at is not null
             and ($1::timestamptz is null or (i.deleted_at, i.id) < ($1, $2))
           order by i.deleted_at desc, i.id desc
           limit $3"#,
        after_at as _,
        after_id,
        limit + 1,
    )
    .fetch_all(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| Binned {
            id: r.id,
            name: r.subject,
            context: Some(r.customer_name),
            person: r.logged_by,
            deleted_at: r.deleted_at,
            deleted_by_name: r.deleted_by_name,
        })
        .collect();
    Ok(Binned::page(items, limit))
}

/// Removes for good the interactions deleted more than `days` days ago, `limit` at a time,
/// with one audit entry naming them; returns how many went. The timeline keeps the entries
/// that told of their edits and deletion.
pub async fn purge_deleted(
    conn: &mut sqlx::PgConnection,
    days: i32,
    limit: i64,
) -> Result<u64, AppError> {
    let purged = sqlx::query!(
        "delete from interaction where id in (
             select id from interaction
             where deleted_at < now() - make_interval(days => $1)
             order by deleted_at, id limit $2 for update skip locked)
         returning id, subject",
        days,
        limit,
    )
    .fetch_all(&mut *conn)
    .await?;
    let purged = purged.iter().map(|i| (i.id, i.subject.as_str()));
    crate::recycling::record_purge(conn, "interaction", purged, days).await
}

/// A customer's interactions, newest first. The caller has checked the customer is in scope.
pub async fn list(
    state: &AppState,
    customer_id: CustomerId,
    before: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Page<Interaction, (DateTime<Utc>, i64)>, AppError> {
    let rows = sqlx::query!(
        r#"
        select i.id, i.customer_id, c.name as "contact_name?", i.kind, i.direction,
               i.occurred_at as "occurred_at: DateTime<Utc>", i.subject, i.outcome, i.next_step,
               i.next_step_due as "next_step_due: NaiveDate", u.display_name as "created_by_name?",
               i.contact_id, i.version
        from interaction i
        left join contact c on c.id = i.contact_id
        left join app_user u on u.id = i.created_by
        where i.customer_id = $1 and i.deleted_at is null
          and ($2::timestamptz is null or (i.occurred_at, i.id) < ($2, $3))
        order by i.occurred_at desc, i.id desc
        limit $4
        "#,
        customer_id.0,
        before.map(|b| b.0) as _,
        before.map(|b| b.1).unwrap_or(i64::MAX),
        limit + 1,
    )
    .fetch_all(&state.pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| Interaction {
            id: r.id,
            customer_id: CustomerId(r.customer_id),
            contact_name: r.contact_name,
            kind: InteractionKind::parse(&r.kind).unwrap_or_default(),
            direction: Direction::parse(&r.direction).unwrap_or_default(),
            occurred_at: r.occurred_at,
            subject: r.subject,
            outcome: r.outcome,
            next_step: r.next_step,
            next_step_due: r.next_step_due,
            created_by_name: r.created_by_name,
            contact_id: r.contact_id.map(ContactId),
            version: r.version,
        })
        .collect();
    Ok(Page::from_overfetch(items, limit, |i: &Interaction| (i.occurred_at, i.id)))
}
