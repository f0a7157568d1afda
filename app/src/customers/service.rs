//! Customer writes: each one transaction with its audit entry, timeline entry, duplicate check
//! and change event.

use super::{dedupe, model::*, repo};
use crate::{
    audit::repo::{Change, record},
    auth::{model::UserId, server::Authenticated},
    customers::timeline::{
        model::kinds,
        repo::{NewEntry, append},
    },
    error::{AppError, FieldError, FieldErrors},
    events::{Audience, ServerEvent, Topic, publish},
    notifications::{
        model::{EntityType, NotificationKind},
        service::{Notice, notify},
    },
    state::AppState,
};
use sqlx::PgConnection;

/// The event that tells everyone who may see the customer that it changed.
pub async fn customer_event(
    conn: &mut PgConnection,
    id: CustomerId,
) -> Result<ServerEvent, AppError> {
    let owner = sqlx::query!(
        "select c.owner_id, u.team_id from customer c left join app_user u on u.id = c.owner_id
         where c.id = $1",
        id.0
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(ServerEvent {
        topic: Topic::Customer,
        id: id.0,
        audience: Audience::OwnedBy {
            owner: owner.owner_id.map(UserId),
            owner_team: owner.team_id.map(crate::auth::model::TeamId),
        },
    })
}

/// The owner a caller may give a record: defaults to themselves, and must be someone whose
/// records they can see (or they would lose sight of it).
fn checked_owner(caller: &Authenticated, requested: Option<UserId>) -> Result<UserId, FieldError> {
    let owner = requested.unwrap_or(caller.id());
    if caller.scope.can_see_owner(Some(owner)) {
        Ok(owner)
    } else {
        Err(FieldError::OwnerOutOfScope)
    }
}

/// Validates the whole form: fields, contacts, custom fields and the owner.
async fn validate(
    conn: &mut PgConnection,
    caller: &Authenticated,
    input: &CustomerInput,
    contacts: &[ContactInput],
) -> Result<ValidCustomer, AppError> {
    let mut errors = FieldErrors::new();
    let mut valid = match input.validate() {
        Ok(valid) => Some(valid),
        Err(AppError::Validation(found)) => {
            errors = found;
            None
        }
        Err(other) => return Err(other),
    };
    for (index, contact) in contacts.iter().enumerate() {
        validate_contact(contact, index, &mut errors);
    }
    if contacts.len() > 50 {
        errors.add("contacts", FieldError::TooMany { max: 50 });
    }
    let definitions = repo::custom_fields(&mut *conn).await?;
    let custom = validate_custom_fields(&input.custom_fields, &definitions, &mut errors);
    let owner = errors.check("owner_id", checked_owner(caller, input.owner_id));
    errors.into_result()?;
    let mut valid = valid.take().ok_or_else(|| AppError::internal("validated without a value"))?;
    valid.custom_fields = custom;
    valid.owner_id = owner;
    Ok(valid)
}

/// Creates a customer with its contacts.
///
/// Errors: `Validation` (any field, `contacts.N.*`, `custom.*`, `owner_id`).
pub async fn create(
    state: &AppState,
    caller: &Authenticated,
    input: CustomerInput,
    contacts: Vec<ContactInput>,
) -> Result<CustomerId, AppError> {
    let mut tx = state.pool.begin().await?;
    let id = create_in(&mut tx, caller, &input, &contacts).await?;
    tx.commit().await?;
    Ok(id)
}

/// `create` inside the caller's transaction (lead conversion creates a customer and an
/// opportunity together).
pub async fn create_in(
    tx: &mut PgConnection,
    caller: &Authenticated,
    input: &CustomerInput,
    contacts: &[ContactInput],
) -> Result<CustomerId, AppError> {
    let valid = validate(&mut *tx, caller, input, contacts).await?;
    let settings = repo::settings(&mut *tx).await?;
    let id = repo::insert(&mut *tx, &valid, &settings.default_currency, caller.id()).await?;
    repo::replace_contacts(&mut *tx, id, contacts).await?;
    repo::refresh_search(&mut *tx, id).await?;
    append(&mut *tx, NewEntry::now(id, kinds::CREATED, Some(caller.id()))).await?;
    record(&mut *tx, caller.actor(), Change::new("create", "customer", id).after(&valid)).await?;
    notify_owner(&mut *tx, id, &valid.name, valid.owner_id, caller.id(), 1).await?;
    dedupe::detect_for(&mut *tx, id).await?;
    let event = customer_event(&mut *tx, id).await?;
    publish(&mut *tx, &event).await?;
    Ok(id)
}

/// Saves an edit if `version` is the one the editor loaded.
///
/// Errors: `Validation`, `ChangedMeanwhile` (someone saved first, named with what they changed;
/// nothing is overwritten), `Conflict` (the same, with no person to name), `NotFound`
/// (missing, deleted, or outside the caller's scope).
pub async fn update(
    state: &AppState,
    caller: &Authenticated,
    id: CustomerId,
    version: i32,
    input: CustomerInput,
    contacts: Vec<ContactInput>,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let scope = caller.scope.visible_owners();
    let locked = repo::lock(&mut tx, id, scope.as_deref()).await?.ok_or(AppError::NotFound)?;
    if locked.version != version {
        return Err(crate::audit::repo::changed_meanwhile(&mut *tx, "customer", id.0).await);
    }
    let valid = validate(&mut tx, caller, &input, &contacts).await?;
    let settings = repo::settings(&mut *tx).await?;
    // Read inside the transaction: a second pool connection taken while this one is held
    // deadlocks the pool under load.
    let before = repo::detail(&mut tx, id, scope.as_deref(), &settings).await?;
    if !repo::update(&mut tx, id, version, &valid).await? {
        return Err(AppError::Conflict);
    }
    repo::replace_contacts(&mut tx, id, &contacts).await?;
    repo::refresh_search(&mut tx, id).await?;

    let mut changed: Vec<&str> = Vec::new();
    if let Some(before) = &before {
        let after = &valid;
        let pairs: [(&str, bool); 10] = [
            ("name", before.name != after.name),
            ("phone", before.phone != after.phone),
            ("email", before.email != after.email),
            ("address", before.address != after.address),
            ("region", before.region != after.region),
            ("industry", before.industry != after.industry),
            ("tags", before.tags != after.tags),
            ("notes", before.notes != after.notes),
            ("custom_fields", before.custom_fields != after.custom_fields),
            ("locale", before.locale != after.locale),
        ];
        changed.extend(pairs.iter().filter(|(_, c)| *c).map(|(f, _)| *f));
        if before.customer_type != after.customer_type {
            let data = serde_json::json!({
                "from": before.customer_type.as_str(),
                "to": after.customer_type.as_str(),
                "reason": after.churn_reason,
            });
            append(&mut *tx, NewEntry::now(id, kinds::TYPE_CHANGED, Some(caller.id())).data(data))
                .await?;
        }
        if before.owner_id != after.owner_id {
            let data = serde_json::json!({ "from": before.owner_name, "to": after.owner_id });
            append(&mut *tx, NewEntry::now(id, kinds::OWNER_CHANGED, Some(caller.id())).data(data))
                .await?;
            notify_owner(&mut tx, id, &after.name, after.owner_id, caller.id(), version + 1)
                .await?;
        }
    }
    if !changed.is_empty() {
        let data = serde_json::json!({ "fields": changed });
        append(&mut *tx, NewEntry::now(id, kinds::UPDATED, Some(caller.id())).data(data)).await?;
    }
    let mut change = Change::new("update", "customer", id).after(&valid);
    if let Some(before) = &before {
        change = change.before(&before.to_input());
    }
    record(&mut *tx, caller.actor(), change).await?;
    dedupe::detect_for(&mut tx, id).await?;
    let event = customer_event(&mut tx, id).await?;
    publish(&mut *tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves a customer to the recycle bin.
///
/// Errors: `NotFound` (missing, already deleted, or out of scope).
pub async fn delete(
    state: &AppState,
    caller: &Authenticated,
    id: CustomerId,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let scope = caller.scope.visible_owners();
    let locked = repo::lock(&mut tx, id, scope.as_deref()).await?.ok_or(AppError::NotFound)?;
    let event = customer_event(&mut tx, id).await?;
    repo::soft_delete(&mut tx, id, caller.id()).await?;
    append(&mut *tx, NewEntry::now(id, kinds::DELETED, Some(caller.id()))).await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("delete", "customer", id).before(&serde_json::json!({ "name": locked.name })),
    )
    .await?;
    publish(&mut *tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Restores a customer from the recycle bin (admins).
///
/// Errors: `NotFound` when it is not in the bin.
pub async fn restore(
    state: &AppState,
    caller: &Authenticated,
    id: CustomerId,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    if !repo::restore(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    repo::refresh_search(&mut tx, id).await?;
    append(&mut *tx, NewEntry::now(id, kinds::RESTORED, Some(caller.id()))).await?;
    record(&mut *tx, caller.actor(), Change::new("restore", "customer", id)).await?;
    let event = customer_event(&mut tx, id).await?;
    publish(&mut *tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Tells a customer's new owner that someone else gave it to them; `version` is the customer's
/// after the write.
async fn notify_owner(
    conn: &mut PgConnection,
    id: CustomerId,
    name: &str,
    owner: Option<UserId>,
    by: UserId,
    version: i32,
) -> Result<(), AppError> {
    let Some(owner) = owner else { return Ok(()) };
    let (kind, entity) = (NotificationKind::CustomerAssigned, EntityType::Customer);
    let notice = Notice::assigned(kind, entity, id.0, name.to_owned(), owner, Some(by), version);
    notify(conn, notice).await?;
    Ok(())
}

/// Gives customers a new owner (the 360 quick action, and the list's bulk action).
///
/// Errors: `Validation` (`owner_id` out of the caller's scope or unknown), `NotFound` when any
/// customer is missing or out of scope (then nothing changes).
pub async fn assign_owner(
    state: &AppState,
    caller: &Authenticated,
    ids: &[CustomerId],
    owner: UserId,
) -> Result<u64, AppError> {
    let owner =
        checked_owner(caller, Some(owner)).map_err(|e| AppError::validation("owner_id", e))?;
    let mut tx = state.pool.begin().await?;
    let scope = caller.scope.visible_owners();
    for &id in ids {
        let locked = repo::lock(&mut tx, id, scope.as_deref()).await?.ok_or(AppError::NotFound)?;
        if locked.owner_id == Some(owner) {
            continue;
        }
        repo::set_owner(&mut tx, id, owner).await?;
        let data = serde_json::json!({ "from": locked.owner_id, "to": owner });
        append(
            &mut *tx,
            NewEntry::now(id, kinds::OWNER_CHANGED, Some(caller.id())).data(data.clone()),
        )
        .await?;
        record(&mut *tx, caller.actor(), Change::new("assign_owner", "customer", id).after(&data))
            .await?;
        let name = sqlx::query_scalar!("select name from customer where id = $1", id.0)
            .fetch_one(&mut *tx)
            .await?;
        notify_owner(&mut tx, id, &name, Some(owner), caller.id(), locked.version + 1).await?;
        let event = customer_event(&mut tx, id).await?;
        publish(&mut *tx, &event).await?;
    }
    tx.commit().await?;
    Ok(ids.len() as u64)
}

/// Adds a tag to customers (quick action and bulk action).
///
/// Errors: `Validation` (`tag`), `NotFound` when any customer is missing or out of scope.
pub async fn add_tag(
    state: &AppState,
    caller: &Authenticated,
    ids: &[CustomerId],
    tag: &str,
) -> Result<u64, AppError> {
    let tag = clean_tags(&[tag.to_owned()])
        .map_err(|e| AppError::validation("tag", e))?
        .pop()
        .ok_or(AppError::validation("tag", FieldError::Required))?;
    let mut tx = state.pool.begin().await?;
    let scope = caller.scope.visible_owners();
    let mut tagged = 0;
    for &id in ids {
        let locked = repo::lock(&mut tx, id, scope.as_deref()).await?.ok_or(AppError::NotFound)?;
        let mut tags = locked.tags.clone();
        tags.push(tag.clone());
        let tags = clean_tags(&tags).map_err(|e| AppError::validation("tag", e))?;
        if tags.len() == locked.tags.len() {
            continue;
        }
        repo::set_tags(&mut tx, id, &tags).await?;
        let data = serde_json::json!({ "tag": tag });
        append(&mut *tx, NewEntry::now(id, kinds::TAGGED, Some(caller.id())).data(data.clone()))
            .await?;
        record(&mut *tx, caller.actor(), Change::new("tag", "customer", id).after(&data)).await?;
        let event = customer_event(&mut tx, id).await?;
        publish(&mut *tx, &event).await?;
        tagged += 1;
    }
    tx.commit().await?;
    Ok(tagged)
}
