//! Leads: capture (manual and web forms), routing, follow-up, qualification and conversion
//! (server only).

use super::model::*;
use crate::{
    audit::repo::{Change, record},
    auth::{model::UserId, server::Authenticated},
    customers::model::{
        ContactInput, CustomerId, CustomerInput, CustomerKind, TextMatch, name_key,
    },
    customers::repo::{SearchedTable, narrowed},
    error::{AppError, FieldError, stored},
    events::{Audience, ServerEvent, Topic, publish},
    notifications::{
        model::{EntityType, NotificationKind},
        service::{Notice, notify},
    },
    paging::Page,
    pipeline::model::{OpportunityId, OpportunityInput},
    recycling::{BinKey, Binned},
    state::AppState,
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};
use std::net::IpAddr;

/// Web-form submissions allowed per client address and form in ten minutes.
pub const FORM_SUBMISSIONS_PER_10_MIN: i64 = 5;

/// The follow-up rule as SQL over a lead `l` and the routing settings `r`: new, never
/// contacted, and older than the follow-up time. A macro so the column list below can embed it.
macro_rules! not_followed_up {
    () => {
        "(l.status = 'new' and l.first_contacted_at is null
            and l.created_at < now() - make_interval(hours => r.follow_up_hours))"
    };
}

/// A lead not followed up in time (see `not_followed_up!`), for every list or count that marks
/// or counts them: the leads list, its filter and the dashboard's tile.
pub const NOT_FOLLOWED_UP: &str = not_followed_up!();

const LEAD_COLUMNS: &str = concat!(
    "l.id, l.name, l.company, l.phone, l.email, l.region, l.source, l.status,
    l.disqualify_reason, l.owner_id, u.display_name as owner_name, l.message, l.created_at,
    l.first_contacted_at, l.customer_id, l.opportunity_id, l.version, ",
    not_followed_up!(),
    " as overdue"
);

#[derive(sqlx::FromRow)]
struct LeadRow {
    id: i64,
    name: String,
    company: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    region: Option<String>,
    source: String,
    status: String,
    disqualify_reason: Option<String>,
    owner_id: Option<i64>,
    owner_name: Option<String>,
    message: Option<String>,
    created_at: DateTime<Utc>,
    first_contacted_at: Option<DateTime<Utc>>,
    customer_id: Option<i64>,
    opportunity_id: Option<i64>,
    version: i32,
    overdue: Option<bool>,
}

impl TryFrom<LeadRow> for Lead {
    type Error = AppError;

    fn try_from(r: LeadRow) -> Result<Self, AppError> {
        Ok(Lead {
            id: LeadId(r.id),
            name: r.name,
            company: r.company,
            phone: r.phone,
            email: r.email,
            region: r.region,
            source: stored(LeadSource::parse(&r.source))?,
            status: stored(LeadStatus::parse(&r.status))?,
            disqualify_reason: r.disqualify_reason,
            owner_id: r.owner_id.map(UserId),
            owner_name: r.owner_name,
            message: r.message,
            created_at: r.created_at,
            first_contacted_at: r.first_contacted_at,
            overdue: r.overdue.unwrap_or(false),
            customer_id: r.customer_id.map(CustomerId),
            opportunity_id: r.opportunity_id.map(OpportunityId),
            version: r.version,
        })
    }
}

/// Leads in scope, newest first, filtered.
pub async fn list(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
    filter: &LeadFilter,
    before: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Page<Lead, (DateTime<Utc>, i64)>, AppError> {
    let text = match filter.search.as_deref().and_then(TextMatch::of) {
        Some(text) => {
            Some(narrowed(pool, SearchedTable::Lead, &text, visible_owners.is_some()).await?)
        }
        None => None,
    };
    let key_condition =
        text.as_ref().map(|t| t.keys_condition("l.search_keys", 9)).unwrap_or_default();
    let sql = format!(
        "select {LEAD_COLUMNS}
         from lead l cross join lead_routing r
         left join app_user u on u.id = l.owner_id
         where l.deleted_at is null and ($1::bigint[] is null or l.owner_id = any($1))
           and ($2::text is null or l.status = $2)
           and ($3::bigint is null or l.owner_id = $3)
           and (not $4 or {NOT_FOLLOWED_UP})
           and ($5::text is null or l.search_text like $5) {key_condition}
           and ($6::timestamptz is null or (l.created_at, l.id) < ($6, $7))
         order by l.created_at desc, l.id desc
         limit $8"
    );
    let rows: Vec<LeadRow> = sqlx::query_as(&sql)
        .bind(visible_owners)
        .bind(filter.status.map(LeadStatus::as_str))
        .bind(filter.owner_id.map(|o| o.0))
        .bind(filter.overdue)
        .bind(text.as_ref().map(|t| &t.pattern))
        .bind(before.map(|b| b.0))
        .bind(before.map(|b| b.1))
        .bind(limit + 1)
        .bind(text.as_ref().map(|t| &t.keys))
        .fetch_all(pool)
        .await?;
    let leads = rows.into_iter().map(Lead::try_from).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(leads, limit, |l: &Lead| (l.created_at, l.id.0)))
}

/// The leads in scope matching `text` among the newest `window` of them, newest first, at most
/// `limit` (the global search's first look; see `customers::repo::newest_first_suits`).
pub async fn search_newest(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
    text: &TextMatch,
    window: i64,
    limit: i64,
) -> Result<Vec<Lead>, AppError> {
    // The owner condition only when there is one, so the window is read from the owner's index
    // (the statement names `$1` either way, so its type is known).
    let scope = if visible_owners.is_some() {
        "and l.owner_id = any($1)"
    } else {
        "and $1::bigint[] is null"
    };
    let sql = format!(
        // The window streams in order and the match stops at `limit`: a common fragment reads a
        // handful of rows, a rare one at most the window.
        "select {LEAD_COLUMNS}
         from (select w.* from (select l.* from lead l where l.deleted_at is null {scope}
                                order by l.created_at desc, l.id desc limit $2) w
               where w.search_text like $3
               order by w.created_at desc, w.id desc limit $4) l
         cross join lead_routing r
         left join app_user u on u.id = l.owner_id
         order by l.created_at desc, l.id desc"
    );
    let rows: Vec<LeadRow> = sqlx::query_as(&sql)
        .bind(visible_owners)
        .bind(window)
        .bind(&text.pattern)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.into_iter().map(Lead::try_from).collect()
}

pub async fn get(
    executor: impl PgExecutor<'_>,
    visible_owners: Option<&[i64]>,
    id: LeadId,
) -> Result<Lead, AppError> {
    let sql = format!(
        "select {LEAD_COLUMNS}
         from lead l cross join lead_routing r
         left join app_user u on u.id = l.owner_id
         where l.id = $1 and l.deleted_at is null
           and ($2::bigint[] is null or l.owner_id = any($2))"
    );
    let row: Option<LeadRow> =
        sqlx::query_as(&sql).bind(id.0).bind(visible_owners).fetch_optional(executor).await?;
    row.ok_or(AppError::NotFound)?.try_into()
}

/// Who gets a new lead: a region rule, else the next member of the round-robin (the pointer
/// advances under a row lock, so concurrent leads go to different people), else nobody.
pub async fn route(
    conn: &mut PgConnection,
    region: Option<&str>,
) -> Result<Option<UserId>, AppError> {
    if let Some(region) = region {
        let ruled = sqlx::query_scalar!(
            "select r.user_id from lead_routing_rule r join app_user u on u.id = r.user_id
             where u.active and $1 like r.region || '%' order by length(r.region) desc limit 1",
            region
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(user) = ruled {
            return Ok(Some(UserId(user)));
        }
    }
    let members: Vec<i64> = sqlx::query_scalar!(
        "select m.user_id from lead_routing_member m join app_user u on u.id = m.user_id
         where u.active order by m.position, m.user_id"
    )
    .fetch_all(&mut *conn)
    .await?;
    if members.is_empty() {
        return Ok(None);
    }
    let position = sqlx::query_scalar!("select next_position from lead_routing for update")
        .fetch_one(&mut *conn)
        .await?;
    let chosen = members[(position.max(0) as usize) % members.len()];
    sqlx::query!(
        "update lead_routing set next_position = $1",
        ((position.max(0) as usize + 1) % members.len()) as i32
    )
    .execute(&mut *conn)
    .await?;
    Ok(Some(UserId(chosen)))
}

fn lead_event(id: LeadId, owner: Option<UserId>, owner_team: Option<i64>) -> ServerEvent {
    ServerEvent {
        topic: Topic::Lead,
        id: id.0,
        audience: Audience::OwnedBy {
            owner,
            owner_team: owner_team.map(crate::auth::model::TeamId),
        },
    }
}

async fn publish_lead(conn: &mut PgConnection, id: LeadId) -> Result<(), AppError> {
    let row = sqlx::query!(
        "select l.owner_id, u.team_id from lead l left join app_user u on u.id = l.owner_id where l.id = $1",
        id.0
    )
    .fetch_one(&mut *conn)
    .await?;
    publish(&mut *conn, &lead_event(id, row.owner_id.map(UserId), row.team_id)).await
}

async fn insert(
    conn: &mut PgConnection,
    lead: &ValidLead,
    owner: Option<UserId>,
    form: Option<i64>,
    client_ip: Option<IpAddr>,
    created_by: Option<UserId>,
) -> Result<LeadId, AppError> {
    let id = sqlx::query_scalar!(
        "insert into lead (name, company, phone, phone_normalized, email, region, source, message,
             owner_id, form_id, client_ip, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::inet, $12) returning id",
        lead.name,
        lead.company,
        lead.phone,
        lead.phone_normalized,
        lead.email,
        lead.region,
        lead.source.as_str(),
        lead.message,
        owner.map(|o| o.0),
        form,
        client_ip.map(|ip| ip.to_string()),
        created_by.map(|u| u.0),
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(LeadId(id))
}

/// A lead typed in by a user; without an owner the routing decides, else the caller.
///
/// Errors: `Validation`.
pub async fn create(
    state: &AppState,
    caller: &Authenticated,
    input: LeadInput,
) -> Result<LeadId, AppError> {
    let valid = input.validate()?;
    let mut tx = state.pool.begin().await?;
    let owner = match valid.owner_id {
        Some(owner) if caller.scope.can_see_owner(Some(owner)) => owner,
        Some(_) => return Err(AppError::validation("owner_id", FieldError::OwnerOutOfScope)),
        None => route(&mut tx, valid.region.as_deref())
            .await?
            .filter(|o| caller.scope.can_see_owner(Some(*o)))
            .unwrap_or(caller.id()),
    };
    let id =
        insert(&mut tx, &valid, Some(owner), None, caller.client_ip, Some(caller.id())).await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("create", "lead", id.0).after(&serde_json::json!({
            "name": valid.name, "company": valid.company, "owner_id": owner.0,
        })),
    )
    .await?;
    notify_owner(&mut tx, id, &valid.name, Some(owner), Some(caller.id())).await?;
    publish_lead(&mut tx, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// Tells a new lead's owner it is theirs (unless they took it themselves).
async fn notify_owner(
    conn: &mut PgConnection,
    id: LeadId,
    name: &str,
    owner: Option<UserId>,
    by: Option<UserId>,
) -> Result<(), AppError> {
    let Some(owner) = owner else { return Ok(()) };
    let (kind, entity) = (NotificationKind::LeadAssigned, EntityType::Lead);
    notify(conn, Notice::assigned(kind, entity, id.0, name.to_owned(), owner, by, 1)).await?;
    Ok(())
}

/// Why a web-form submission was not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum FormRefusal {
    UnknownForm,
    /// Too many submissions from this address.
    Throttled,
    Invalid(AppError),
}

/// A lead from a public web form. A filled honeypot field is accepted silently and dropped,
/// so a bot learns nothing; a flood from one address is refused.
pub async fn submit_form(
    pool: &PgPool,
    key: &str,
    submission: WebFormSubmission,
    client_ip: Option<IpAddr>,
) -> Result<Option<LeadId>, FormRefusal> {
    let internal = |e: AppError| FormRefusal::Invalid(e);
    let form = sqlx::query_scalar!("select id from lead_form where key = $1 and active", key)
        .fetch_optional(pool)
        .await
        .map_err(|e| internal(e.into()))?
        .ok_or(FormRefusal::UnknownForm)?;
    if !submission.website.trim().is_empty() {
        return Ok(None);
    }
    let input = LeadInput {
        name: submission.name,
        company: submission.company,
        phone: submission.phone,
        email: submission.email,
        region: submission.region,
        message: submission.message,
        source: LeadSource::WebForm,
        owner_id: None,
    };
    let valid = input.validate().map_err(FormRefusal::Invalid)?;
    let mut tx = pool.begin().await.map_err(|e| internal(e.into()))?;
    let recent = sqlx::query_scalar!(
        r#"select count(*) as "n!" from lead
           where form_id = $1 and client_ip is not distinct from $2::text::inet
             and created_at > now() - interval '10 minutes'"#,
        form,
        client_ip.map(|ip| ip.to_string()),
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| internal(e.into()))?;
    if recent >= FORM_SUBMISSIONS_PER_10_MIN {
        return Err(FormRefusal::Throttled);
    }
    let owner = route(&mut tx, valid.region.as_deref()).await.map_err(internal)?;
    let id = insert(&mut tx, &valid, owner, Some(form), client_ip, None).await.map_err(internal)?;
    notify_owner(&mut tx, id, &valid.name, owner, None).await.map_err(internal)?;
    publish_lead(&mut tx, id).await.map_err(internal)?;
    tx.commit().await.map_err(|e| internal(e.into()))?;
    Ok(Some(id))
}

/// Locks a lead in scope at `version`.
async fn lock(
    conn: &mut PgConnection,
    caller: &Authenticated,
    id: LeadId,
    version: i32,
) -> Result<Lead, AppError> {
    let scope = caller.scope.visible_owners();
    sqlx::query!("select id from lead where id = $1 for update", id.0)
        .fetch_optional(&mut *conn)
        .await?;
    let lead = get(&mut *conn, scope.as_deref(), id).await?;
    if lead.version != version {
        return Err(crate::audit::repo::changed_meanwhile(&mut *conn, "lead", id.0).await);
    }
    Ok(lead)
}

/// Moves a lead along: contacted (the follow-up clock stops), qualified, or disqualified with
/// a reason. Converted leads are final.
///
/// Errors: `Validation` (`status`, `reason`), `Conflict`, `NotFound`.
pub async fn set_status(
    state: &AppState,
    caller: &Authenticated,
    id: LeadId,
    version: i32,
    status: LeadStatus,
    reason: Option<String>,
) -> Result<Lead, AppError> {
    let mut tx = state.pool.begin().await?;
    let lead = lock(&mut tx, caller, id, version).await?;
    if lead.status == LeadStatus::Converted || status == LeadStatus::Converted {
        return Err(AppError::validation("status", FieldError::InvalidChoice));
    }
    let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if status == LeadStatus::Disqualified && reason.is_none() {
        return Err(AppError::validation("reason", FieldError::Required));
    }
    sqlx::query!(
        "update lead set status = $2, disqualify_reason = case when $2 = 'disqualified' then $3 end,
             first_contacted_at = coalesce(first_contacted_at, case when $2 <> 'new' then now() end),
             version = version + 1, updated_at = now()
         where id = $1",
        id.0,
        status.as_str(),
        reason,
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("update", "lead", id.0)
            .before(&serde_json::json!({ "status": lead.status.as_str() }))
            .after(&serde_json::json!({ "status": status.as_str(), "reason": reason })),
    )
    .await?;
    publish_lead(&mut tx, id).await?;
    let scope = caller.scope.visible_owners();
    let updated = get(&mut *tx, scope.as_deref(), id).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Edits a lead's details and, within the caller's scope, its owner (the new owner is told).
/// A converted lead is final: its customer and opportunity carry on from it.
///
/// Errors: `Validation` (fields; `owner_id` out of scope or inactive; `status` when converted),
/// `ChangedMeanwhile` (saved since `version`), `NotFound`.
pub async fn update(
    state: &AppState,
    caller: &Authenticated,
    id: LeadId,
    version: i32,
    input: LeadInput,
) -> Result<Lead, AppError> {
    let valid = input.validate()?;
    let mut tx = state.pool.begin().await?;
    let lead = lock(&mut tx, caller, id, version).await?;
    if lead.status == LeadStatus::Converted {
        return Err(AppError::validation("status", FieldError::InvalidChoice));
    }
    let owner = match valid.owner_id {
        Some(owner) if Some(owner) != lead.owner_id => {
            crate::auth::repo::check_assignable(&mut *tx, caller, owner, "owner_id").await?;
            Some(owner)
        }
        _ => lead.owner_id,
    };
    let (before, after) = (lead.audited(), valid.audited(owner));
    if before == after {
        // Nothing changed: no new version, no entry, no event.
        tx.rollback().await?;
        return Ok(lead);
    }
    sqlx::query!(
        "update lead set name = $2, company = $3, phone = $4, phone_normalized = $5, email = $6,
             region = $7, source = $8, message = $9, owner_id = $10,
             version = version + 1, updated_at = now()
         where id = $1",
        id.0,
        valid.name,
        valid.company,
        valid.phone,
        valid.phone_normalized,
        valid.email,
        valid.region,
        valid.source.as_str(),
        valid.message,
        owner.map(|o| o.0),
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("update", "lead", id.0).before(&before).after(&after),
    )
    .await?;
    if owner != lead.owner_id {
        notify_owner(&mut tx, id, &valid.name, owner, Some(caller.id())).await?;
        // The previous owner's open pages learn it has gone.
        let previous_team = match lead.owner_id {
            Some(previous) => {
                sqlx::query_scalar!("select team_id from app_user where id = $1", previous.0)
                    .fetch_one(&mut *tx)
                    .await?
            }
            None => None,
        };
        publish(&mut *tx, &lead_event(id, lead.owner_id, previous_team)).await?;
    }
    publish_lead(&mut tx, id).await?;
    // Unscoped: the lock checked the caller's reach, and a lead just handed to someone outside
    // it is still the caller's answer.
    let updated = get(&mut *tx, None, id).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Moves a lead seen at `version` to the recycle bin, where an admin can restore it until the
/// nightly purge. Who may edit it may delete it; a converted lead stays, as the origin of the
/// customer and opportunity it became.
///
/// Errors: `Validation` (`status` when converted), `ChangedMeanwhile`, `NotFound`.
pub async fn delete(
    state: &AppState,
    caller: &Authenticated,
    id: LeadId,
    version: i32,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let lead = lock(&mut tx, caller, id, version).await?;
    if lead.status == LeadStatus::Converted {
        return Err(AppError::validation("status", FieldError::ConvertedLead));
    }
    sqlx::query!(
        "update lead set deleted_at = now(), deleted_by = $2, version = version + 1, updated_at = now()
         where id = $1",
        id.0,
        caller.id().0,
    )
    .execute(&mut *tx)
    .await?;
    let before = serde_json::json!({ "name": lead.name, "owner_id": lead.owner_id.map(|o| o.0) });
    record(&mut *tx, caller.actor(), Change::new("delete", "lead", id.0).before(&before)).await?;
    publish_lead(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Brings a lead back from the recycle bin as it was.
///
/// Errors: `NotFound` (not in the recycle bin: restored already, or purged).
pub async fn restore(state: &AppState, caller: &Authenticated, id: LeadId) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let restored = sqlx::query!(
        "update lead set deleted_at = null, deleted_by = null, version = version + 1, updated_at = now()
         where id = $1 and deleted_at is not null
         returning name, owner_id",
        id.0,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let after = serde_json::json!({ "name": restored.name, "owner_id": restored.owner_id });
    record(&mut *tx, caller.actor(), Change::new("restore", "lead", id.0).after(&after)).await?;
    publish_lead(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// The lead recycle bin, most recently deleted first, continuing after `after`.
pub async fn deleted(
    pool: &PgPool,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Page<Binned, BinKey>, AppError> {
    let (after_at, after_id) = after.unzip();
    let rows = sqlx::query!(
        r#"select l.id, l.name, l.company, o.display_name as "owner_name?",
                  l.deleted_at as "deleted_at!: DateTime<Utc>", d.display_name as "deleted_by_name?"
           from lead l
           left join app_user o on o.id = l.owner_id
           left join app_user d on d.id = l.deleted_by
           where l.deleted_at is not null
             and ($1::timestamptz is null or (l.deleted_at, l.id) < ($1, $2))
           order by l.deleted_at desc, l.id desc
           limit $3"#,
        after_at as _,
        after_id,
        limit + 1,
    )
    .fetch_all(pool)
    .await?;
    let leads = rows
        .into_iter()
        .map(|r| Binned {
            id: r.id,
            name: r.name,
            context: r.company,
            person: r.owner_name,
            deleted_at: r.deleted_at,
            deleted_by_name: r.deleted_by_name,
        })
        .collect();
    Ok(Binned::page(leads, limit))
}

/// Removes for good the leads deleted more than `days` days ago, `limit` at a time, with one
/// audit entry naming them; returns how many went. A lead a task still names waits for that
/// task (tasks are purged first, so one deleted with it goes the same night).
pub async fn purge_deleted(
    conn: &mut PgConnection,
    days: i32,
    limit: i64,
) -> Result<u64, AppError> {
    let purged = sqlx::query!(
        "delete from lead where id in (
             select l.id from lead l
             where l.deleted_at < now() - make_interval(days => $1)
               and not exists (select 1 from task t where t.lead_id = l.id)
               and not exists (select 1 from opportunity o where o.lead_id = l.id)
             order by l.deleted_at, l.id limit $2 for update skip locked)
         returning id, name",
        days,
        limit,
    )
    .fetch_all(&mut *conn)
    .await?;
    let purged = purged.iter().map(|l| (l.id, l.name.as_str()));
    crate::recycling::record_purge(conn, "lead", purged, days).await
}

/// A lead's page: the lead, the customer and opportunity it became, and its history from the
/// audit log (owners named).
///
/// Errors: `NotFound` (no such lead, or out of the caller's scope).
pub async fn detail(
    pool: &PgPool,
    caller: &Authenticated,
    id: LeadId,
) -> Result<LeadDetail, AppError> {
    let scope = caller.scope.visible_owners();
    let lead = get(pool, scope.as_deref(), id).await?;
    let converted = sqlx::query!(
        r#"select c.name as "customer_name?", o.title as "opportunity_title?"
           from lead l
           left join customer c on c.id = l.customer_id
           left join opportunity o on o.id = l.opportunity_id
           where l.id = $1"#,
        id.0
    )
    .fetch_one(pool)
    .await?;
    let entries = sqlx::query!(
        r#"select a.at as "at: DateTime<Utc>", u.display_name as "by?", a.action, a.before, a.after
           from audit_log a left join app_user u on u.id = a.actor_id
           where a.entity_type = 'lead' and a.entity_id = $1
           order by a.id
           limit 500"#,
        id.0.to_string()
    )
    .fetch_all(pool)
    .await?;
    // Owners are kept as ids: name them all in one query.
    let owner_ids: Vec<i64> = entries
        .iter()
        .flat_map(|e| [e.before.as_ref(), e.after.as_ref()])
        .flatten()
        .filter_map(|v| v.get("owner_id").and_then(serde_json::Value::as_i64))
        .collect();
    let names: std::collections::HashMap<i64, String> =
        sqlx::query!("select id, display_name from app_user where id = any($1)", &owner_ids)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect();
    let shown = |field: &str, value: Option<serde_json::Value>| -> Option<String> {
        match value? {
            serde_json::Value::Null => None,
            serde_json::Value::String(text) => Some(text),
            serde_json::Value::Number(n) if field == "owner_id" => {
                n.as_i64().map(|id| names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")))
            }
            other => Some(other.to_string()),
        }
    };
    let history = entries
        .into_iter()
        .map(|e| {
            let action = match e.action.as_str() {
                "create" => LeadAction::Created,
                "convert" => LeadAction::Converted,
                "delete" => LeadAction::Deleted,
                "restore" => LeadAction::Restored,
                _ => LeadAction::Edited,
            };
            let changes = match action {
                LeadAction::Created => e
                    .after
                    .as_ref()
                    .and_then(|a| a.get("owner_id").cloned())
                    .and_then(|owner| shown("owner_id", Some(owner)))
                    .map(|owner| vec![("owner_id".to_owned(), None, Some(owner))])
                    .unwrap_or_default(),
                LeadAction::Converted | LeadAction::Deleted | LeadAction::Restored => Vec::new(),
                LeadAction::Edited => {
                    crate::audit::model::changed_fields(e.before.as_ref(), e.after.as_ref())
                        .into_iter()
                        .map(|(field, before, after)| {
                            let (before, after) = (shown(&field, before), shown(&field, after));
                            (field, before, after)
                        })
                        .collect()
                }
            };
            LeadHistoryEntry { at: e.at, by: e.by, action, changes }
        })
        .collect();
    Ok(LeadDetail {
        lead,
        customer_name: converted.customer_name,
        opportunity_title: converted.opportunity_title,
        history,
    })
}

/// Customers the lead may already be: same phone or email, or the same reduced company name.
pub async fn possible_customers(
    pool: &PgPool,
    caller: &Authenticated,
    id: LeadId,
) -> Result<Vec<PossibleCustomer>, AppError> {
    let scope = caller.scope.visible_owners();
    let lead = get(pool, scope.as_deref(), id).await?;
    let phone = lead.phone.as_deref().and_then(crate::customers::model::normalize_phone);
    let key = name_key(lead.company.as_deref().unwrap_or(&lead.name));
    let rows = sqlx::query!(
        r#"
        select id, name, phone, email,
               case when phone_normalized = $2 then 'phone' when email_normalized = $3 then 'email'
                    else 'name' end as "matched_on!"
        from customer
        where deleted_at is null and ($1::bigint[] is null or owner_id = any($1))
          and (phone_normalized = $2 or email_normalized = $3 or (name_key = $4 and $4 <> ''))
        order by id limit 10
        "#,
        scope.as_deref() as _,
        phone,
        lead.email,
        key,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PossibleCustomer {
            id: CustomerId(r.id),
            name: r.name,
            phone: r.phone,
            email: r.email,
            matched_on: r.matched_on,
        })
        .collect())
}

/// Converts a lead: the customer (created from the lead, or the existing one chosen) and an
/// opportunity, in one transaction with the lead's new status.
///
/// Errors: `Validation` (lead already converted or disqualified: `status`; opportunity
/// fields), `Conflict`, `NotFound`.
pub async fn convert(
    state: &AppState,
    caller: &Authenticated,
    id: LeadId,
    version: i32,
    input: ConvertInput,
) -> Result<Converted, AppError> {
    let mut tx = state.pool.begin().await?;
    let lead = lock(&mut tx, caller, id, version).await?;
    if !lead.status.is_open() {
        return Err(AppError::validation("status", FieldError::InvalidChoice));
    }
    let customer_id = match input.existing_customer {
        Some(existing) => {
            let scope = caller.scope.visible_owners();
            crate::customers::repo::lock(&mut tx, existing, scope.as_deref()).await?.ok_or_else(
                || AppError::validation("existing_customer", FieldError::UnknownReference),
            )?;
            existing
        }
        None => {
            let company = lead.company.clone().filter(|c| !c.trim().is_empty());
            let customer = CustomerInput {
                kind: if company.is_some() {
                    CustomerKind::Company
                } else {
                    CustomerKind::Individual
                },
                name: company.clone().unwrap_or_else(|| lead.name.clone()),
                phone: lead.phone.clone().unwrap_or_default(),
                email: lead.email.clone().unwrap_or_default(),
                region: lead.region.clone().unwrap_or_default(),
                source: match lead.source {
                    LeadSource::WebForm => crate::customers::model::Source::Website,
                    LeadSource::Event => crate::customers::model::Source::Event,
                    LeadSource::Referral => crate::customers::model::Source::Referral,
                    LeadSource::Social => crate::customers::model::Source::Social,
                    _ => crate::customers::model::Source::Manual,
                },
                owner_id: lead.owner_id,
                ..Default::default()
            };
            let contacts: Vec<ContactInput> = company
                .map(|_| ContactInput {
                    name: lead.name.clone(),
                    phone: lead.phone.clone().unwrap_or_default(),
                    email: lead.email.clone().unwrap_or_default(),
                    is_primary: true,
                    ..Default::default()
                })
                .into_iter()
                .collect();
            crate::customers::service::create_in(&mut tx, caller, &customer, &contacts).await?
        }
    };
    let opportunity = OpportunityInput {
        customer_id: Some(customer_id),
        title: input.opportunity_title,
        amount: input.amount,
        expected_close: input.expected_close,
        owner_id: lead.owner_id,
        ..Default::default()
    };
    let opportunity_id =
        crate::pipeline::service::create_in(&mut tx, caller, &opportunity, Some(id.0)).await?;
    sqlx::query!(
        "update lead set status = 'converted', customer_id = $2, opportunity_id = $3,
             first_contacted_at = coalesce(first_contacted_at, now()),
             version = version + 1, updated_at = now()
         where id = $1",
        id.0,
        customer_id.0,
        opportunity_id.0,
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("convert", "lead", id.0).after(&serde_json::json!({
            "customer_id": customer_id.0, "opportunity_id": opportunity_id.0,
        })),
    )
    .await?;
    publish_lead(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Converted { customer_id, opportunity_id })
}

pub async fn routing(executor: impl PgExecutor<'_> + Copy) -> Result<Routing, AppError> {
    let settings = sqlx::query!("select follow_up_hours, version from lead_routing")
        .fetch_one(executor)
        .await?;
    let members = sqlx::query!(
        "select m.user_id, u.display_name from lead_routing_member m join app_user u on u.id = m.user_id
         order by m.position, m.user_id"
    )
    .fetch_all(executor)
    .await?
    .into_iter()
    .map(|r| (UserId(r.user_id), r.display_name))
    .collect();
    let rules = sqlx::query!("select region, user_id from lead_routing_rule order by region")
        .fetch_all(executor)
        .await?
        .into_iter()
        .map(|r| (r.region, UserId(r.user_id)))
        .collect();
    Ok(Routing {
        follow_up_hours: settings.follow_up_hours,
        members,
        rules,
        version: settings.version,
    })
}

/// Replaces the routing (admins).
///
/// Errors: `Validation` (`follow_up_hours`, `rules.N`), `Conflict`.
pub async fn save_routing(
    state: &AppState,
    caller: &Authenticated,
    routing: Routing,
) -> Result<(), AppError> {
    if !(1..=720).contains(&routing.follow_up_hours) {
        return Err(AppError::validation(
            "follow_up_hours",
            FieldError::OutOfRange { min: 1, max: 720 },
        ));
    }
    for (n, (region, _)) in routing.rules.iter().enumerate() {
        if region.trim().is_empty() {
            return Err(AppError::validation(&format!("rules.{n}"), FieldError::Required));
        }
    }
    let mut tx = state.pool.begin().await?;
    let updated = sqlx::query!(
        "update lead_routing set follow_up_hours = $1, version = version + 1, next_position = 0 where version = $2",
        routing.follow_up_hours,
        routing.version,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(AppError::Conflict);
    }
    sqlx::query!("delete from lead_routing_member").execute(&mut *tx).await?;
    for (n, (user, _)) in routing.members.iter().enumerate() {
        sqlx::query!(
            "insert into lead_routing_member (user_id, position) values ($1, $2) on conflict do nothing",
            user.0,
            n as i32
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query!("delete from lead_routing_rule").execute(&mut *tx).await?;
    for (region, user) in &routing.rules {
        sqlx::query!(
            "insert into lead_routing_rule (region, user_id) values ($1, $2)
             on conflict (region) do update set user_id = excluded.user_id",
            region.trim(),
            user.0
        )
        .execute(&mut *tx)
        .await?;
    }
    record(&mut *tx, caller.actor(), Change::new("update", "lead_routing", 1).after(&routing))
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn forms(pool: &PgPool) -> Result<Vec<LeadForm>, AppError> {
    Ok(sqlx::query!(
        r#"select f.id, f.name, f.key, f.active, (select count(*) from lead l where l.form_id = f.id and l.deleted_at is null) as "leads!"
           from lead_form f order by f.id"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| LeadForm { id: r.id, name: r.name, key: r.key, active: r.active, leads: r.leads })
    .collect())
}

/// A new web form with an unguessable key (admins).
///
/// Errors: `Validation` (`name`).
pub async fn create_form(
    state: &AppState,
    caller: &Authenticated,
    name: &str,
) -> Result<LeadForm, AppError> {
    use rand::RngCore;
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::validation("name", FieldError::Required));
    }
    let mut bytes = [0u8; 18];
    rand::thread_rng().fill_bytes(&mut bytes);
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut tx = state.pool.begin().await?;
    let id = sqlx::query_scalar!(
        "insert into lead_form (name, key, created_by) values ($1, $2, $3) returning id",
        name,
        key,
        caller.id().0
    )
    .fetch_one(&mut *tx)
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("create", "lead_form", id).after(&serde_json::json!({ "name": name })),
    )
    .await?;
    tx.commit().await?;
    Ok(LeadForm { id, name: name.to_owned(), key, active: true, leads: 0 })
}

/// Imports leads from a CSV (UTF-8, GBK or UTF-16) or an Excel workbook's first sheet: every
/// valid row not already on file becomes a lead, routed like one typed in; nothing is written
/// unless the whole file was read.
///
/// Errors: `Validation` (`file`: unreadable, no name column, too many rows).
pub async fn import(
    state: &AppState,
    caller: &Authenticated,
    bytes: &[u8],
) -> Result<LeadImportReport, AppError> {
    let decoded = crate::imports::read::read_all(
        bytes,
        crate::imports::model::Encoding::Auto,
        None,
        MAX_LEAD_IMPORT_ROWS,
    )?;
    let columns: Vec<Option<&str>> = decoded.shape.headers.iter().map(|h| lead_column(h)).collect();
    if !columns.contains(&Some("name")) {
        return Err(AppError::validation("file", FieldError::Required));
    }
    let mut report = LeadImportReport::default();
    let mut valid = Vec::new();
    for (n, row) in decoded.rows.iter().enumerate() {
        let mut input = LeadInput { source: LeadSource::Import, ..Default::default() };
        for (column, value) in columns.iter().zip(row) {
            let value = value.clone();
            match column {
                Some("name") => input.name = value,
                Some("company") => input.company = value,
                Some("phone") => input.phone = value,
                Some("email") => input.email = value,
                Some("region") => input.region = value,
                Some("message") => input.message = value,
                _ => {}
            }
        }
        match input.validate() {
            Ok(lead) => valid.push(lead),
            Err(error) => {
                for (field, reasons) in
                    error.field_errors().map(|e| e.0.clone()).unwrap_or_default()
                {
                    for reason in reasons {
                        report.rejected.push((n as u32 + 2, field.clone(), reason));
                    }
                }
            }
        }
    }
    let phones: Vec<String> = valid.iter().filter_map(|l| l.phone_normalized.clone()).collect();
    let emails: Vec<String> = valid.iter().filter_map(|l| l.email.clone()).collect();
    let mut tx = state.pool.begin().await?;
    let known = sqlx::query!(
        "select phone_normalized, email from lead
         where deleted_at is null and (phone_normalized = any($1) or email = any($2))",
        &phones,
        &emails
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut seen_phones: std::collections::HashSet<String> =
        known.iter().filter_map(|r| r.phone_normalized.clone()).collect();
    let mut seen_emails: std::collections::HashSet<String> =
        known.iter().filter_map(|r| r.email.clone()).collect();
    for lead in &valid {
        let duplicate = lead.phone_normalized.as_ref().is_some_and(|p| seen_phones.contains(p))
            || lead.email.as_ref().is_some_and(|e| seen_emails.contains(e));
        if duplicate {
            report.duplicates += 1;
            continue;
        }
        seen_phones.extend(lead.phone_normalized.clone());
        seen_emails.extend(lead.email.clone());
        let owner = route(&mut tx, lead.region.as_deref())
            .await?
            .filter(|o| caller.scope.can_see_owner(Some(*o)))
            .unwrap_or(caller.id());
        let id =
            insert(&mut tx, lead, Some(owner), None, caller.client_ip, Some(caller.id())).await?;
        publish_lead(&mut tx, id).await?;
        report.created += 1;
    }
    record(
        &mut *tx,
        caller.actor(),
        Change::new("import", "lead", "csv").after(&serde_json::json!({
            "created": report.created, "duplicates": report.duplicates, "rejected": report.rejected.len(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}
