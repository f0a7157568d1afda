//! Server functions of the customer list, the 360 page, duplicates and customer settings.
//!
//! Every function takes the caller's data scope from the guard; reads and writes of a
//! customer outside it fail with `NotFound`, exactly as for a customer that does not exist.

use super::{
    dedupe_model::{DuplicatePair, MergeRecord, MergeRequest},
    model::*,
};
use crate::{
    auth::model::UserId,
    customers::timeline::model::{TimelineCursor, TimelineEntry},
    error::AppError,
    paging::Page,
};
use leptos::{prelude::*, server_fn::codec::Json};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{auth::server::Authenticated, state::AppState};

#[cfg(feature = "ssr")]
fn caller_and_state(
    role: crate::auth::model::Role,
) -> Result<(std::sync::Arc<Authenticated>, AppState), AppError> {
    Ok((crate::auth::server::require(role)?, AppState::from_context()?))
}

/// Choices for the list's filters and the forms' menus.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerOptions {
    pub regions: Vec<String>,
    pub industries: Vec<String>,
    /// People the caller may make owners (those whose records they can see).
    pub owners: Vec<(UserId, String)>,
    pub custom_fields: Vec<CustomFieldDef>,
    pub settings: CustomerSettings,
    /// The active value tiers, best last, for the tier filter: `(id, name_zh, name_en)`.
    pub tiers: Vec<(i64, String, String)>,
}

/// Menus and rules the customer pages need.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn get_customer_options() -> Result<CustomerOptions, AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Member)?;
    let (regions, industries) = super::repo::facet_values(&state.pool).await?;
    let scope = caller.scope.visible_owners();
    let owners = crate::auth::repo::visible_users(&state.pool, scope.as_deref()).await?;
    // The tier table is the tiers area's; the filter needs only its names, read here so the
    // customer list does not reach into that area.
    let tiers =
        sqlx::query!("select id, name_zh, name_en from tier where active order by position")
            .fetch_all(&state.pool)
            .await?
            .into_iter()
            .map(|r| (r.id, r.name_zh, r.name_en))
            .collect();
    Ok(CustomerOptions {
        regions,
        industries,
        owners,
        custom_fields: super::repo::custom_fields(&state.pool).await?,
        settings: super::repo::settings(&state.pool).await?,
        tiers,
    })
}

/// A page of customers in scope matching `filter`, continuing after `cursor`.
///
/// Any signed-in user (their scope applies). Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_customers(
    filter: CustomerFilter,
    cursor: Option<CustomerCursor>,
) -> Result<Page<CustomerRow, CustomerCursor>, AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Member)?;
    let settings = super::repo::settings_once_per_request(&state.pool).await?;
    let scope = caller.scope.visible_owners();
    super::repo::list(
        &state.pool,
        &filter,
        scope.as_deref(),
        cursor.as_ref(),
        crate::paging::page_size(None),
        &settings,
    )
    .await
}

/// One customer with contacts.
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound` (missing, deleted, out of scope).
#[server(input = Json)]
pub async fn get_customer(id: CustomerId) -> Result<CustomerDetail, AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Member)?;
    let settings = super::repo::settings_once_per_request(&state.pool).await?;
    let scope = caller.scope.visible_owners();
    super::repo::detail(&mut *state.pool.acquire().await?, id, scope.as_deref(), &settings)
        .await?
        .ok_or(AppError::NotFound)
}

/// Creates a customer with its contacts; the owner defaults to the caller.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation`.
#[server(input = Json)]
pub async fn create_customer(
    input: CustomerInput,
    contacts: Vec<ContactInput>,
) -> Result<CustomerId, AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Member)?;
    super::service::create(&state, &caller, input, contacts).await
}

/// Saves an edit made on `version`.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation`, `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn update_customer(
    id: CustomerId,
    version: i32,
    input: CustomerInput,
    contacts: Vec<ContactInput>,
) -> Result<(), AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Member)?;
    super::service::update(&state, &caller, id, version, input, contacts).await
}

/// Moves a customer to the recycle bin.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `NotFound`.
#[server(input = Json)]
pub async fn delete_customer(id: CustomerId) -> Result<(), AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Manager)?;
    super::service::delete(&state, &caller, id).await
}

/// The recycle bin, most recently deleted first.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_deleted_customers() -> Result<Vec<DeletedCustomer>, AppError> {
    let (_, state) = caller_and_state(crate::auth::model::Role::Admin)?;
    super::repo::deleted(&state.pool, None, 200).await
}

/// Restores a customer from the recycle bin.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `NotFound`.
#[server(input = Json)]
pub async fn restore_customer(id: CustomerId) -> Result<(), AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Admin)?;
    super::service::restore(&state, &caller, id).await
}

/// Which customers a bulk action applies to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Selection {
    Ids(Vec<CustomerId>),
    /// Everything matching the list's filter (at most 10,000 customers).
    Matching(CustomerFilter),
}

#[cfg(feature = "ssr")]
async fn selected_ids(
    state: &AppState,
    caller: &Authenticated,
    selection: Selection,
) -> Result<Vec<CustomerId>, AppError> {
    match selection {
        Selection::Ids(ids) => Ok(ids),
        Selection::Matching(filter) => {
            let settings = super::repo::settings(&state.pool).await?;
            let scope = caller.scope.visible_owners();
            let ids = super::repo::matching_ids(
                &state.pool,
                &filter,
                scope.as_deref(),
                &settings,
                10_000,
            )
            .await?;
            Ok(ids.into_iter().map(CustomerId).collect())
        }
    }
}

/// Gives the selected customers a new owner; returns how many.
///
/// Any signed-in user (the new owner must be in their scope). Errors: `Unauthorized`,
/// `Validation` (`owner_id`), `NotFound`.
#[server(input = Json)]
pub async fn assign_owner(selection: Selection, owner_id: UserId) -> Result<u64, AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Member)?;
    let ids = selected_ids(&state, &caller, selection).await?;
    super::service::assign_owner(&state, &caller, &ids, owner_id).await
}

/// Tags the selected customers; returns how many gained the tag.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation` (`tag`), `NotFound`.
#[server(input = Json)]
pub async fn tag_customers(selection: Selection, tag: String) -> Result<u64, AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Member)?;
    let ids = selected_ids(&state, &caller, selection).await?;
    super::service::add_tag(&state, &caller, &ids, &tag).await
}

/// The customer's timeline, newest first.
///
/// Any signed-in user. Errors: `Unauthorized`, `NotFound`.
#[server(input = Json)]
pub async fn get_timeline(
    id: CustomerId,
    cursor: Option<TimelineCursor>,
) -> Result<Page<TimelineEntry, TimelineCursor>, AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Member)?;
    let scope = caller.scope.visible_owners();
    if !super::repo::visible(&state.pool, id, scope.as_deref()).await? {
        return Err(AppError::NotFound);
    }
    crate::customers::timeline::repo::list(&state.pool, id, cursor.as_ref(), 30).await
}

/// The caller's saved views of the customer list.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_saved_views() -> Result<Vec<SavedView>, AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Member)?;
    super::repo::saved_views(&state.pool, caller.id(), "customers").await
}

/// Saves (or replaces) a named view of the list for the caller.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation` (`name`).
#[server(input = Json)]
pub async fn save_view(name: String, filter: CustomerFilter) -> Result<i64, AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Member)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        let error = if name.is_empty() {
            crate::error::FieldError::Required
        } else {
            crate::error::FieldError::TooLong { max: 60 }
        };
        return Err(AppError::validation("name", error));
    }
    super::repo::save_view(&state.pool, caller.id(), "customers", name, &filter).await
}

/// Deletes one of the caller's saved views.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn delete_view(id: i64) -> Result<(), AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Member)?;
    super::repo::delete_view(&state.pool, caller.id(), id).await
}

/// Saves the status and stage rules.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Validation`, `Conflict`.
#[server(input = Json)]
pub async fn save_customer_settings(settings: CustomerSettings) -> Result<(), AppError> {
    use crate::audit::repo::{Change, record};
    let (caller, state) = caller_and_state(crate::auth::model::Role::Admin)?;
    settings.validate()?;
    let mut tx = state.pool.begin().await?;
    if !super::repo::save_settings(&mut *tx, &settings, caller.id()).await? {
        return Err(AppError::Conflict);
    }
    record(
        &mut *tx,
        caller.actor(),
        Change::new("update", "customer_settings", 1).after(&settings),
    )
    .await?;
    Ok(tx.commit().await?)
}

/// Creates or edits a custom field definition.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Validation` (`key`, `label_zh`, `label_en`,
/// `choices`), `Conflict`.
#[server(input = Json)]
pub async fn save_custom_field(field: CustomFieldDef) -> Result<i64, AppError> {
    use crate::{
        audit::repo::{Change, record},
        error::{FieldError, FieldErrors},
    };
    let (caller, state) = caller_and_state(crate::auth::model::Role::Admin)?;
    let mut errors = FieldErrors::new();
    for (name, value) in [("label_zh", &field.label_zh), ("label_en", &field.label_en)] {
        if value.trim().is_empty() {
            errors.add(name, FieldError::Required);
        }
    }
    if field.field_type == CustomFieldType::Choice
        && field.choices.iter().all(|c| c.trim().is_empty())
    {
        errors.add("choices", FieldError::Empty);
    }
    errors.into_result()?;
    let mut tx = state.pool.begin().await?;
    let id = super::repo::save_custom_field(&mut *tx, &field).await?.ok_or(AppError::Conflict)?;
    record(&mut *tx, caller.actor(), Change::new("save", "custom_field", id).after(&field)).await?;
    tx.commit().await?;
    Ok(id)
}

/// Likely duplicate pairs in the caller's scope, best first.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_duplicates(
    after: Option<(f32, i64)>,
) -> Result<Page<DuplicatePair, (f32, i64)>, AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Manager)?;
    super::dedupe::open_pairs(&state, &caller, after, crate::paging::page_size(None)).await
}

/// Marks a pair as not duplicates.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `NotFound`.
#[server(input = Json)]
pub async fn dismiss_duplicate(pair_id: i64) -> Result<(), AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Manager)?;
    super::dedupe::dismiss(&state, &caller, pair_id).await
}

/// Merges two customers; returns the merge id (for undo).
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `Validation`, `NotFound`.
#[server(input = Json)]
pub async fn merge_customers(request: MergeRequest) -> Result<i64, AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Manager)?;
    super::dedupe::merge(&state, &caller, &request).await
}

/// Undoes a merge of the last 30 days.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `NotFound`.
#[server(input = Json)]
pub async fn undo_merge(merge_id: i64) -> Result<(), AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Manager)?;
    super::dedupe::undo(&state, &caller, merge_id).await
}

/// Merges that can still be undone.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_merges() -> Result<Vec<MergeRecord>, AppError> {
    let (caller, state) = caller_and_state(crate::auth::model::Role::Manager)?;
    super::dedupe::recent_merges(&state, &caller).await
}

/// Queues a scan of all customers for duplicates.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn start_duplicate_scan() -> Result<i64, AppError> {
    use crate::jobs::{model::kinds, queue};
    let (caller, state) = caller_and_state(crate::auth::model::Role::Admin)?;
    let mut conn = state.pool.acquire().await?;
    let mut job = queue::NewJob::new(kinds::DUPLICATE_SCAN, serde_json::json!({}));
    job.created_by = Some(caller.id());
    queue::enqueue(&mut conn, job).await?.ok_or(AppError::Conflict)
}
