//! Appending to and reading the timeline.

use super::model::{TimelineCursor, TimelineEntry};
use crate::{auth::model::UserId, customers::model::CustomerId, error::AppError, paging::Page};
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

/// An entry to append.
pub struct NewEntry<'a> {
    pub customer_id: CustomerId,
    pub at: DateTime<Utc>,
    pub kind: &'a str,
    pub ref_id: Option<i64>,
    pub data: serde_json::Value,
    pub actor: Option<UserId>,
}

impl<'a> NewEntry<'a> {
    pub fn now(customer_id: CustomerId, kind: &'a str, actor: Option<UserId>) -> Self {
        Self { customer_id, at: Utc::now(), kind, ref_id: None, data: serde_json::json!({}), actor }
    }

    pub fn data(mut self, data: serde_json::Value) -> Self {
        self.data = data;
        self
    }

    pub fn reference(mut self, id: i64) -> Self {
        self.ref_id = Some(id);
        self
    }

    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.at = at;
        self
    }
}

/// Appends an entry; pass the transaction of the change it describes.
pub async fn append(executor: impl PgExecutor<'_>, entry: NewEntry<'_>) -> Result<(), AppError> {
    sqlx::query!(
        "insert into timeline_event (customer_id, at, kind, ref_id, data, actor_id)
         values ($1, $2, $3, $4, $5, $6)",
        entry.customer_id.0,
        entry.at as _,
        entry.kind,
        entry.ref_id,
        entry.data,
        entry.actor.map(|a| a.0),
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Newest first, continuing after `cursor`. The caller has already checked the customer is in
/// scope.
pub async fn list(
    pool: &PgPool,
    customer_id: CustomerId,
    cursor: Option<&TimelineCursor>,
    limit: i64,
) -> Result<Page<TimelineEntry, TimelineCursor>, AppError> {
    let rows = sqlx::query!(
        r#"
        select t.id, t.customer_id, t.at as "at: DateTime<Utc>", t.kind, t.ref_id, t.data,
               u.display_name as "actor_name?"
        from timeline_event t
        left join app_user u on u.id = t.actor_id
        where t.customer_id = $1
          and ($2::timestamptz is null or (t.at, t.id) < ($2, $3))
        order by t.at desc, t.id desc
        limit $4
        "#,
        customer_id.0,
        cursor.map(|c| c.at) as _,
        cursor.map(|c| c.id).unwrap_or(i64::MAX),
        limit + 1,
    )
    .fetch_all(pool)
    .await?;
    let entries = rows
        .into_iter()
        .map(|r| TimelineEntry {
            id: r.id,
            customer_id: CustomerId(r.customer_id),
            at: r.at,
            kind: r.kind,
            ref_id: r.ref_id,
            data: r.data,
            actor_name: r.actor_name,
        })
        .collect();
    Ok(Page::from_overfetch(entries, limit, |e: &TimelineEntry| TimelineCursor {
        at: e.at,
        id: e.id,
    }))
}
