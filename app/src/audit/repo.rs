//! Writing and reading the audit log.

use super::model::{AuditEntry, AuditFilter};
use crate::{auth::model::UserId, auth::server::Actor, error::AppError, paging::Page};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, PgPool};

/// A change to record. `before`/`after` are the record's serialised state (never secrets).
pub struct Change<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> Change<'a> {
    pub fn new(action: &'a str, entity_type: &'a str, entity_id: impl ToString) -> Self {
        Self { action, entity_type, entity_id: entity_id.to_string(), before: None, after: None }
    }

    pub fn before(mut self, state: &impl Serialize) -> Self {
        self.before = serde_json::to_value(state).ok();
        self
    }

    pub fn after(mut self, state: &impl Serialize) -> Self {
        self.after = serde_json::to_value(state).ok();
        self
    }
}

/// Appends an entry. Pass the transaction of the change itself so both commit or neither does.
pub async fn record(
    executor: impl PgExecutor<'_>,
    actor: Actor,
    change: Change<'_>,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into audit_log (actor_id, action, entity_type, entity_id, before, after, client_ip)
         values ($1, $2, $3, $4, $5, $6, $7::text::inet)",
        actor.user_id.map(|id| id.0),
        change.action,
        change.entity_type,
        change.entity_id,
        change.before,
        change.after,
        actor.client_ip.map(|ip| ip.to_string()),
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Newest first, continuing below `before_id`.
pub async fn list(
    pool: &PgPool,
    filter: &AuditFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Page<AuditEntry>, AppError> {
    let rows = sqlx::query!(
        r#"
        select a.id, a.at as "at: DateTime<Utc>", a.actor_id, u.display_name as "actor_name?", a.action, a.entity_type,
               a.entity_id, a.before, a.after, host(a.client_ip) as client_ip
        from audit_log a
        left join app_user u on u.id = a.actor_id
        where ($1::bigint is null or a.id < $1)
          and ($2::text is null or a.entity_type = $2)
          and ($3::text is null or a.entity_id = $3)
          and ($4::bigint is null or a.actor_id = $4)
          and ($5::text is null or a.action = $5)
          and ($6::date is null or a.at >= $6::timestamp at time zone company_time_zone())
          and ($7::date is null or a.at < ($7::date + 1)::timestamp at time zone company_time_zone())
        order by a.id desc
        limit $8
        "#,
        before_id,
        filter.entity_type.as_deref(),
        filter.entity_id.as_deref(),
        filter.actor_id.map(|id| id.0),
        filter.action.as_deref(),
        filter.from as _,
        filter.to as _,
        limit + 1,
    )
    .fetch_all(pool)
    .await?;
    let entries = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: r.at,
            actor_id: r.actor_id.map(UserId),
            actor_name: r.actor_name,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            before: r.before,
            after: r.after,
            client_ip: r.client_ip,
        })
        .collect();
    Ok(Page::from_overfetch(entries, limit, |e: &AuditEntry| e.id))
}

/// The refusal of an edit to a record someone saved after the caller read it: who saved it
/// last and which fields they changed, from the record's newest audit entry, so the user knows
/// what to look at before saving again. A plain `Conflict` when no person made that change (a
/// job, or a record the log does not cover).
pub async fn changed_meanwhile(
    executor: impl PgExecutor<'_>,
    entity_type: &str,
    entity_id: impl ToString,
) -> AppError {
    let newest = sqlx::query!(
        r#"
        select u.display_name as "by?", a.action, a.before, a.after
        from audit_log a
        left join app_user u on u.id = a.actor_id
        where a.entity_type = $1 and a.entity_id = $2
        order by a.id desc
        limit 1
        "#,
        entity_type,
        entity_id.to_string(),
    )
    .fetch_optional(executor)
    .await;
    match newest {
        Ok(Some(entry)) => match entry.by {
            Some(by) => {
                // Actions whose entries hold context rather than the record's two states name
                // the field they change.
                let fields = match entry.action.as_str() {
                    "move" => vec!["stage_id".to_owned()],
                    "complete" => vec!["done_at".to_owned()],
                    "delete" | "restore" => vec!["deleted_at".to_owned()],
                    "status" | "convert" | "triage" | "dismiss" => vec!["status".to_owned()],
                    "claim" | "assign" => vec!["assignee_id".to_owned()],
                    "cancel" => vec!["status".to_owned()],
                    "refund" => vec!["refunded_minor".to_owned()],
                    _ => super::model::changed_fields(entry.before.as_ref(), entry.after.as_ref())
                        .into_iter()
                        .map(|(key, _, _)| key)
                        .collect(),
                };
                AppError::ChangedMeanwhile { by, fields }
            }
            None => AppError::Conflict,
        },
        Ok(None) => AppError::Conflict,
        Err(error) => error.into(),
    }
}
