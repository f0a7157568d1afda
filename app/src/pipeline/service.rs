//! Pipelines, the board, opportunity writes and stage moves, and the forecast (server only).

use super::model::*;
use crate::orders::model::ProductId;
use crate::{
    audit::repo::{Change, record},
    auth::{model::UserId, server::Authenticated},
    customers::timeline::repo::{NewEntry, append},
    customers::{
        model::{CustomerId, TextMatch},
        repo as customers,
    },
    error::{AppError, FieldError, FieldErrors, stored},
    events::{Audience, ServerEvent, Topic, publish},
    notifications::{
        model::{EntityType, NotificationKind},
        service::{Notice, notify},
    },
    paging::Page,
    recycling::{BinKey, Binned},
    state::AppState,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};

/// Timeline kinds of the sales domain.
pub mod kinds {
    pub const OPPORTUNITY_CREATED: &str = "opportunity_created";
    pub const OPPORTUNITY_STAGE: &str = "opportunity_stage";
    pub const OPPORTUNITY_UPDATED: &str = "opportunity_updated";
}

/// Won and lost cards stay on the board this many days after closing.
pub const CLOSED_VISIBLE_DAYS: i32 = 30;

/// Every active pipeline with its active stages, default first.
pub async fn pipelines(executor: impl PgExecutor<'_>) -> Result<Vec<Pipeline>, AppError> {
    let rows = sqlx::query!(
        r#"
        select p.id, p.name_zh, p.name_en, p.is_default, p.version,
               s.id as "stage_id?", s.position as "position?", s.name_zh as "stage_zh?",
               s.name_en as "stage_en?", s.probability as "probability?", s.color as "color?",
               s.kind as "kind?"
        from pipeline p
        left join pipeline_stage s on s.pipeline_id = p.id and s.active
        where p.active
        order by p.is_default desc, p.id, s.position
        "#
    )
    .fetch_all(executor)
    .await?;
    let mut out: Vec<Pipeline> = Vec::new();
    for row in rows {
        if out.last().is_none_or(|p| p.id.0 != row.id) {
            out.push(Pipeline {
                id: PipelineId(row.id),
                name_zh: row.name_zh.clone(),
                name_en: row.name_en.clone(),
                is_default: row.is_default,
                version: row.version,
                stages: Vec::new(),
            });
        }
        if let (Some(id), Some(pipeline)) = (row.stage_id, out.last_mut()) {
            pipeline.stages.push(Stage {
                id: StageId(id),
                position: row.position.unwrap_or_default(),
                name_zh: row.stage_zh.unwrap_or_default(),
                name_en: row.stage_en.unwrap_or_default(),
                probability: row.probability.unwrap_or_default(),
                color: row.color.unwrap_or_default(),
                kind: stored(row.kind.as_deref().map(StageKind::parse).transpose())?
                    .unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// The pipeline asked for, else the default one.
pub async fn pipeline(
    executor: impl PgExecutor<'_>,
    id: Option<PipelineId>,
) -> Result<Pipeline, AppError> {
    let all = pipelines(executor).await?;
    let found = match id {
        Some(id) => all.into_iter().find(|p| p.id == id),
        None => all.into_iter().next(),
    };
    found.ok_or(AppError::NotFound)
}

/// Creates or replaces a pipeline and its stages (in the given order). A removed stage that
/// still holds opportunities is refused at its row.
///
/// Errors: `Validation`, `Conflict` (someone saved it first), `NotFound`.
pub async fn save_pipeline(
    state: &AppState,
    caller: &Authenticated,
    input: PipelineInput,
) -> Result<PipelineId, AppError> {
    input.validate()?;
    let mut tx = state.pool.begin().await?;
    let id = match input.id {
        Some(id) => {
            let updated = sqlx::query_scalar!(
                "update pipeline set name_zh = $2, name_en = $3, version = version + 1, updated_at = now()
                 where id = $1 and version = $4 and active returning id",
                id.0,
                input.name_zh.trim(),
                input.name_en.trim(),
                input.version,
            )
            .fetch_optional(&mut *tx)
            .await?;
            if updated.is_none() {
                let exists = sqlx::query_scalar!(
                    r#"select exists(select 1 from pipeline where id = $1 and active) as "e!""#,
                    id.0
                )
                .fetch_one(&mut *tx)
                .await?;
                return Err(if exists { AppError::Conflict } else { AppError::NotFound });
            }
            id
        }
        None => PipelineId(
            sqlx::query_scalar!(
                "insert into pipeline (name_zh, name_en, is_default)
                 values ($1, $2, not exists(select 1 from pipeline where is_default)) returning id",
                input.name_zh.trim(),
                input.name_en.trim(),
            )
            .fetch_one(&mut *tx)
            .await?,
        ),
    };
    let before = pipeline(&mut *tx, Some(id)).await.ok();
    let kept: Vec<i64> = input.stages.iter().filter_map(|s| s.id.map(|i| i.0)).collect();
    let removed = sqlx::query!(
        r#"select s.id, exists(select 1 from opportunity o where o.stage_id = s.id) as "used!"
           from pipeline_stage s where s.pipeline_id = $1 and s.active and not (s.id = any($2))"#,
        id.0,
        &kept
    )
    .fetch_all(&mut *tx)
    .await?;
    if removed.iter().any(|r| r.used) {
        return Err(AppError::validation("stages", FieldError::StageInUse));
    }
    // Positions move out of the way first: they are unique among active stages.
    sqlx::query!(
        "update pipeline_stage set active = not (id = any($2)), position = -position - 1000
         where pipeline_id = $1 and active",
        id.0,
        &removed.iter().map(|r| r.id).collect::<Vec<_>>(),
    )
    .execute(&mut *tx)
    .await?;
    for (n, stage) in input.stages.iter().enumerate() {
        let position = n as i32 + 1;
        let saved = match stage.id {
            Some(stage_id) => sqlx::query_scalar!(
                "update pipeline_stage set position = $3, name_zh = $4, name_en = $5, probability = $6,
                     color = $7, kind = $8
                 where id = $1 and pipeline_id = $2 and active returning id",
                stage_id.0,
                id.0,
                position,
                stage.name_zh.trim(),
                stage.name_en.trim(),
                stage.probability,
                stage.color,
                stage.kind.as_str(),
            )
            .fetch_optional(&mut *tx)
            .await?
            .is_some(),
            None => {
                sqlx::query!(
                    "insert into pipeline_stage (pipeline_id, position, name_zh, name_en, probability, color, kind)
                     values ($1, $2, $3, $4, $5, $6, $7)",
                    id.0,
                    position,
                    stage.name_zh.trim(),
                    stage.name_en.trim(),
                    stage.probability,
                    stage.color,
                    stage.kind.as_str(),
                )
                .execute(&mut *tx)
                .await?;
                true
            }
        };
        if !saved {
            return Err(AppError::validation(
                &format!("stages.{n}.name_zh"),
                FieldError::UnknownReference,
            ));
        }
    }
    let after = pipeline(&mut *tx, Some(id)).await?;
    let action = if input.id.is_some() { "update" } else { "create" };
    let mut change = Change::new(action, "pipeline", id.0).after(&after);
    if let Some(before) = &before {
        change = change.before(before);
    }
    record(&mut *tx, caller.actor(), change).await?;
    publish(
        &mut *tx,
        &ServerEvent {
            topic: Topic::Opportunity,
            id: 0,
            audience: Audience::RoleAtLeast(crate::auth::model::Role::Member),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The card columns, shared by every read of cards.
const CARD_COLUMNS: &str = "o.id, o.customer_id, c.name as customer_name, o.title, o.amount_minor,
    o.currency, o.expected_close, o.owner_id, u.display_name as owner_name, o.stage_id,
    o.stage_entered_at, o.version";

#[derive(sqlx::FromRow)]
struct CardRow {
    id: i64,
    customer_id: i64,
    customer_name: String,
    title: String,
    amount_minor: i64,
    currency: String,
    expected_close: NaiveDate,
    owner_id: Option<i64>,
    owner_name: Option<String>,
    stage_id: i64,
    stage_entered_at: DateTime<Utc>,
    version: i32,
}

impl From<CardRow> for Card {
    fn from(r: CardRow) -> Self {
        Card {
            id: OpportunityId(r.id),
            customer_id: CustomerId(r.customer_id),
            customer_name: r.customer_name,
            title: r.title,
            amount_minor: r.amount_minor,
            currency: r.currency,
            expected_close: r.expected_close,
            owner_id: r.owner_id.map(UserId),
            owner_name: r.owner_name,
            stage_id: StageId(r.stage_id),
            stage_entered_at: r.stage_entered_at,
            version: r.version,
        }
    }
}

/// The filter as SQL over `o` (opportunity), binds `$1` (visible owners), `$2` (owner),
/// `$3`/`$4` (close range), `$5` (minimum amount), `$6` (days closed cards stay visible).
const CARD_FILTER: &str = "o.deleted_at is null and ($1::bigint[] is null or o.owner_id = any($1))
    and ($2::bigint is null or o.owner_id = $2)
    and ($3::date is null or o.expected_close between $3 and $4)
    and ($5::bigint is null or o.amount_minor >= $5)
    and (o.closed_at is null or o.closed_at >= now() - make_interval(days => $6))";

fn bind_filter<'q>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, CardRow, sqlx::postgres::PgArguments>,
    visible_owners: Option<&'q [i64]>,
    filter: &BoardFilter,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, CardRow, sqlx::postgres::PgArguments> {
    let range = filter.close_range();
    query
        .bind(visible_owners)
        .bind(filter.owner_id.map(|o| o.0))
        .bind(range.map(|r| r.0))
        .bind(range.map(|r| r.1))
        .bind(filter.min_amount_minor)
        .bind(CLOSED_VISIBLE_DAYS)
}

/// The board: each column's figures over all its cards, and the first `per_column` cards of
/// every column, latest arrivals first, in two statements whatever the number of stages.
pub async fn board(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
    filter: &BoardFilter,
    per_column: i64,
) -> Result<Board, AppError> {
    let pipeline = pipeline(pool, filter.pipeline_id).await?;
    let stage_ids: Vec<i64> = pipeline.stages.iter().map(|s| s.id.0).collect();
    let range = filter.close_range();
    let sums = sqlx::query!(
        r#"
        select o.stage_id, count(*) as "count!", coalesce(sum(o.amount_minor), 0)::bigint as "total!",
               coalesce(sum(o.amount_minor * s.probability / 100), 0)::bigint as "weighted!"
        from opportunity o join pipeline_stage s on s.id = o.stage_id
        where o.stage_id = any($7) and o.deleted_at is null
          and ($1::bigint[] is null or o.owner_id = any($1))
          and ($2::bigint is null or o.owner_id = $2)
          and ($3::date is null or o.expected_close between $3 and $4)
          and ($5::bigint is null or o.amount_minor >= $5)
          and (o.closed_at is null or o.closed_at >= now() - make_interval(days => $6))
        group by o.stage_id
        "#,
        visible_owners as _,
        filter.owner_id.map(|o| o.0),
        range.map(|r| r.0) as _,
        range.map(|r| r.1) as _,
        filter.min_amount_minor,
        CLOSED_VISIBLE_DAYS,
        &stage_ids,
    )
    .fetch_all(pool)
    .await?;
    let sql = format!(
        "select {CARD_COLUMNS}
         from unnest($7::bigint[]) as st(stage_id)
         cross join lateral (
             select o.* from opportunity o
             where o.stage_id = st.stage_id and {CARD_FILTER}
             order by o.stage_entered_at desc, o.id desc
             limit $8
         ) o
         join customer c on c.id = o.customer_id
         left join app_user u on u.id = o.owner_id"
    );
    let rows: Vec<CardRow> = bind_filter(sqlx::query_as(&sql), visible_owners, filter)
        .bind(&stage_ids)
        .bind(per_column + 1)
        .fetch_all(pool)
        .await?;
    let mut cards: Vec<Vec<Card>> = vec![Vec::new(); stage_ids.len()];
    for row in rows {
        if let Some(n) = stage_ids.iter().position(|s| *s == row.stage_id) {
            cards[n].push(row.into());
        }
    }
    let mut next = Vec::with_capacity(cards.len());
    for column in &mut cards {
        column.sort_by_key(|c| std::cmp::Reverse(c.column_key()));
        let more = column.len() as i64 > per_column;
        column.truncate(per_column as usize);
        next.push(if more { column.last().map(Card::column_key) } else { None });
    }
    let columns = pipeline
        .stages
        .iter()
        .map(|stage| {
            let sum = sums.iter().find(|s| s.stage_id == stage.id.0);
            ColumnSummary {
                stage_id: stage.id,
                count: sum.map(|s| s.count).unwrap_or_default(),
                total_minor: sum.map(|s| s.total).unwrap_or_default(),
                weighted_minor: sum.map(|s| s.weighted).unwrap_or_default(),
            }
        })
        .collect();
    Ok(Board { pipeline, columns, cards, next })
}

/// More cards of one column, after `after`.
pub async fn column_page(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
    filter: &BoardFilter,
    stage: StageId,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Page<Card, (DateTime<Utc>, i64)>, AppError> {
    let sql = format!(
        "select {CARD_COLUMNS}
         from opportunity o
         join customer c on c.id = o.customer_id
         left join app_user u on u.id = o.owner_id
         where o.stage_id = $7 and {CARD_FILTER}
           and ($8::timestamptz is null or (o.stage_entered_at, o.id) < ($8, $9))
         order by o.stage_entered_at desc, o.id desc
         limit $10"
    );
    let rows: Vec<CardRow> = bind_filter(sqlx::query_as(&sql), visible_owners, filter)
        .bind(stage.0)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(limit + 1)
        .fetch_all(pool)
        .await?;
    let cards = rows.into_iter().map(Card::from).collect();
    Ok(Page::from_overfetch(cards, limit, Card::column_key))
}

/// The list view: the same filters, by expected close date.
pub async fn list(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
    filter: &BoardFilter,
    after: Option<(NaiveDate, i64)>,
    limit: i64,
) -> Result<Page<Card, (NaiveDate, i64)>, AppError> {
    let pipeline = pipeline(pool, filter.pipeline_id).await?;
    let stage_ids: Vec<i64> = pipeline.stages.iter().map(|s| s.id.0).collect();
    let text = match filter.search.as_deref().and_then(TextMatch::of) {
        Some(text) => Some(
            customers::narrowed(
                pool,
                customers::SearchedTable::Opportunity,
                &text,
                visible_owners.is_some(),
            )
            .await?,
        ),
        None => None,
    };
    let key_condition =
        text.as_ref().map(|t| t.keys_condition("o.search_keys", 12)).unwrap_or_default();
    let sql = format!(
        "select {CARD_COLUMNS}
         from opportunity o
         join customer c on c.id = o.customer_id
         left join app_user u on u.id = o.owner_id
         where o.stage_id = any($7) and {CARD_FILTER}
           and ($11::text is null or o.search_text like $11) {key_condition}
           and ($8::date is null or (o.expected_close, o.id) > ($8, $9))
         order by o.expected_close, o.id
         limit $10"
    );
    let rows: Vec<CardRow> = bind_filter(sqlx::query_as(&sql), visible_owners, filter)
        .bind(&stage_ids)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(limit + 1)
        .bind(text.as_ref().map(|t| t.pattern.clone()))
        .bind(text.map(|t| t.keys))
        .fetch_all(pool)
        .await?;
    let cards = rows.into_iter().map(Card::from).collect();
    Ok(Page::from_overfetch(cards, limit, |c: &Card| (c.expected_close, c.id.0)))
}

/// Opportunities in scope, open or closed, with `text` in the title or next step, newest first.
pub async fn search(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
    text: &TextMatch,
    limit: i64,
) -> Result<Vec<Card>, AppError> {
    let table = customers::SearchedTable::Opportunity;
    let text = &customers::narrowed(pool, table, text, visible_owners.is_some()).await?;
    let key_condition = text.keys_condition("o.search_keys", 4);
    let sql = format!(
        "select {CARD_COLUMNS}
         from opportunity o
         join customer c on c.id = o.customer_id
         left join app_user u on u.id = o.owner_id
         where o.search_text like $1 {key_condition} and o.deleted_at is null
           and ($2::bigint[] is null or o.owner_id = any($2))
         order by o.id desc
         limit $3"
    );
    let rows: Vec<CardRow> = sqlx::query_as(&sql)
        .bind(&text.pattern)
        .bind(visible_owners)
        .bind(limit)
        .bind(&text.keys)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Card::from).collect())
}

/// The opportunities in scope matching `text` among the newest `window` of them, newest first,
/// at most `limit` (the global search's first look; see `customers::repo::newest_first_suits`).
pub async fn search_newest(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
    text: &TextMatch,
    window: i64,
    limit: i64,
) -> Result<Vec<Card>, AppError> {
    // As for leads: `$1` is named either way, so its type is known.
    let scope = if visible_owners.is_some() {
        "and o.owner_id = any($1)"
    } else {
        "and $1::bigint[] is null"
    };
    let sql = format!(
        // As for leads: the window streams in order, the match stops at `limit`.
        "select {CARD_COLUMNS}
         from (select w.* from (select o.* from opportunity o where o.deleted_at is null {scope}
                                order by o.id desc limit $2) w
               where w.search_text like $3
               order by w.id desc limit $4) o
         join customer c on c.id = o.customer_id
         left join app_user u on u.id = o.owner_id
         order by o.id desc"
    );
    let rows: Vec<CardRow> = sqlx::query_as(&sql)
        .bind(visible_owners)
        .bind(window)
        .bind(&text.pattern)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Card::from).collect())
}

/// One card, if the caller may see it (the board refreshes a moved card with this).
pub async fn card(
    executor: impl PgExecutor<'_>,
    visible_owners: Option<&[i64]>,
    id: OpportunityId,
) -> Result<Option<Card>, AppError> {
    let sql = format!(
        "select {CARD_COLUMNS}
         from opportunity o
         join customer c on c.id = o.customer_id
         left join app_user u on u.id = o.owner_id
         where o.id = $1 and o.deleted_at is null
           and ($2::bigint[] is null or o.owner_id = any($2))"
    );
    let row: Option<CardRow> =
        sqlx::query_as(&sql).bind(id.0).bind(visible_owners).fetch_optional(executor).await?;
    Ok(row.map(Card::from))
}

/// The opportunity page: card, pipeline, lines and stage history.
pub async fn detail(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
    id: OpportunityId,
) -> Result<OpportunityDetail, AppError> {
    let card = card(pool, visible_owners, id).await?.ok_or(AppError::NotFound)?;
    let extra = sqlx::query!(
        r#"select pipeline_id, next_step, lost_reason, closed_at as "closed_at: DateTime<Utc>"
           from opportunity where id = $1"#,
        id.0
    )
    .fetch_one(pool)
    .await?;
    let pipeline = pipeline(pool, Some(PipelineId(extra.pipeline_id))).await?;
    let lines = sqlx::query!(
        "select l.product_id, p.name, l.quantity, l.unit_price_minor
         from opportunity_product l join product p on p.id = l.product_id
         where l.opportunity_id = $1 order by p.name",
        id.0
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| OpportunityLine {
        product_id: crate::orders::model::ProductId(r.product_id),
        product_name: r.name,
        quantity: r.quantity,
        unit_price_minor: r.unit_price_minor,
    })
    .collect();
    let history = sqlx::query!(
        r#"select h.at as "at: DateTime<Utc>", h.from_stage_id, h.to_stage_id, h.seconds_in_stage,
                  u.display_name as "by_name?"
           from opportunity_stage_change h left join app_user u on u.id = h.by_user
           where h.opportunity_id = $1 order by h.at desc, h.id desc"#,
        id.0
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| StageChange {
        at: r.at,
        from_stage_id: r.from_stage_id.map(StageId),
        to_stage_id: StageId(r.to_stage_id),
        seconds_in_stage: r.seconds_in_stage,
        by_name: r.by_name,
    })
    .collect();
    Ok(OpportunityDetail {
        card,
        pipeline,
        next_step: extra.next_step,
        lost_reason: extra.lost_reason,
        closed_at: extra.closed_at,
        lines,
        history,
    })
}

/// Moves an open opportunity seen at `version` to the recycle bin, where an admin can restore
/// it until the nightly purge. Who may edit it may delete it; a won or lost one stays, as part
/// of the results (move it back to an open stage first).
///
/// Errors: `Validation` (`stage_id` when closed), `ChangedMeanwhile`, `NotFound`.
pub async fn delete(
    state: &AppState,
    caller: &Authenticated,
    id: OpportunityId,
    version: i32,
) -> Result<(), AppError> {
    let scope = caller.scope.visible_owners();
    let mut tx = state.pool.begin().await?;
    let current = sqlx::query!(
        r#"select customer_id, version, title, amount_minor, owner_id, closed_at as "closed_at: DateTime<Utc>"
           from opportunity
           where id = $1 and deleted_at is null and ($2::bigint[] is null or owner_id = any($2))
           for update"#,
        id.0,
        scope.as_deref() as _,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if current.version != version {
        return Err(crate::audit::repo::changed_meanwhile(&mut *tx, "opportunity", id.0).await);
    }
    if current.closed_at.is_some() {
        return Err(AppError::validation("stage_id", FieldError::ClosedOpportunity));
    }
    sqlx::query!(
        "update opportunity set deleted_at = now(), deleted_by = $2, version = version + 1,
                updated_at = now()
         where id = $1",
        id.0,
        caller.id().0,
    )
    .execute(&mut *tx)
    .await?;
    let before = serde_json::json!({
        "title": current.title, "amount_minor": current.amount_minor, "owner_id": current.owner_id,
    });
    record(&mut *tx, caller.actor(), Change::new("delete", "opportunity", id.0).before(&before))
        .await?;
    let data = serde_json::json!({ "title": current.title });
    append(
        &mut *tx,
        NewEntry::now(CustomerId(current.customer_id), "opportunity_deleted", Some(caller.id()))
            .reference(id.0)
            .data(data),
    )
    .await?;
    let event = opportunity_event(&mut tx, id).await?;
    publish(&mut *tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Brings an opportunity back from the recycle bin as it was.
///
/// Errors: `NotFound` (not in the recycle bin: restored already, or purged).
pub async fn restore(
    state: &AppState,
    caller: &Authenticated,
    id: OpportunityId,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let restored = sqlx::query!(
        "update opportunity set deleted_at = null, deleted_by = null, version = version + 1,
                updated_at = now()
         where id = $1 and deleted_at is not null
         returning customer_id, title, amount_minor, owner_id",
        id.0,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let after = serde_json::json!({
        "title": restored.title, "amount_minor": restored.amount_minor, "owner_id": restored.owner_id,
    });
    record(&mut *tx, caller.actor(), Change::new("restore", "opportunity", id.0).after(&after))
        .await?;
    append(
        &mut *tx,
        NewEntry::now(CustomerId(restored.customer_id), "opportunity_restored", Some(caller.id()))
            .reference(id.0)
            .data(serde_json::json!({ "title": restored.title })),
    )
    .await?;
    let event = opportunity_event(&mut tx, id).await?;
    publish(&mut *tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// The opportunity recycle bin, most recently deleted first, continuing after `after`.
pub async fn deleted(
    pool: &PgPool,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Page<Binned, BinKey>, AppError> {
    let (after_at, after_id) = after.unzip();
    let rows = sqlx::query!(
        r#"select o.id, o.title, c.name as customer_name, o.amount_minor, o.currency,
                  u.display_name as "owner_name?",
                  o.deleted_at as "deleted_at!: DateTime<Utc>", d.display_name as "deleted_by_name?"
           from opportunity o
           join customer c on c.id = o.customer_id
           left join app_user u on u.id = o.owner_id
           left join app_user d on d.id = o.deleted_by
           where o.deleted_at is not null
             and ($1::timestamptz is null or (o.deleted_at, o.id) < ($1, $2))
           order by o.deleted_at desc, o.id desc
           limit $3"#,
        after_at as _,
        after_id,
        limit + 1,
    )
    .fetch_all(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let amount =
                crate::customers::model::Money { minor: r.amount_minor, currency: r.currency };
            Binned {
                id: r.id,
                name: r.title,
                context: Some(format!("{} · {}", r.customer_name, amount.display())),
                person: r.owner_name,
                deleted_at: r.deleted_at,
                deleted_by_name: r.deleted_by_name,
            }
        })
        .collect();
    Ok(Binned::page(items, limit))
}

/// Removes for good the opportunities deleted more than `days` days ago, `limit` at a time,
/// with their lines and stage history and one audit entry naming them; returns how many went.
/// One a task or a converted lead still names waits.
pub async fn purge_deleted(
    conn: &mut PgConnection,
    days: i32,
    limit: i64,
) -> Result<u64, AppError> {
    let due: Vec<i64> = sqlx::query_scalar!(
        "select o.id from opportunity o
         where o.deleted_at < now() - make_interval(days => $1)
           and not exists (select 1 from task t where t.opportunity_id = o.id)
           and not exists (select 1 from lead l where l.opportunity_id = o.id)
         order by o.deleted_at, o.id limit $2 for update skip locked",
        days,
        limit,
    )
    .fetch_all(&mut *conn)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    sqlx::query!("delete from opportunity_product where opportunity_id = any($1)", &due)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("delete from opportunity_stage_change where opportunity_id = any($1)", &due)
        .execute(&mut *conn)
        .await?;
    let purged =
        sqlx::query!("delete from opportunity where id = any($1) returning id, title", &due)
            .fetch_all(&mut *conn)
            .await?;
    let purged = purged.iter().map(|o| (o.id, o.title.as_str()));
    crate::recycling::record_purge(conn, "opportunity", purged, days).await
}

/// The event of an opportunity change: whoever may see its owner's records.
async fn opportunity_event(
    conn: &mut PgConnection,
    id: OpportunityId,
) -> Result<ServerEvent, AppError> {
    let owner = sqlx::query!(
        "select o.owner_id, u.team_id from opportunity o left join app_user u on u.id = o.owner_id
         where o.id = $1",
        id.0
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(ServerEvent {
        topic: Topic::Opportunity,
        id: id.0,
        audience: Audience::OwnedBy {
            owner: owner.owner_id.map(UserId),
            owner_team: owner.team_id.map(crate::auth::model::TeamId),
        },
    })
}

/// Checks the owner is someone the caller may assign to (inside their scope, active).
async fn check_owner(
    conn: &mut PgConnection,
    caller: &Authenticated,
    owner: Option<UserId>,
) -> Result<UserId, AppError> {
    let owner = owner.unwrap_or(caller.id());
    crate::auth::repo::check_assignable(&mut *conn, caller, owner, "owner_id").await?;
    Ok(owner)
}

/// Creates an opportunity for a customer in scope; the amount defaults to the product lines'
/// list prices. Used by the form and by lead conversion (inside its transaction).
///
/// Errors: `Validation`, `NotFound` (customer out of scope).
pub async fn create_in(
    conn: &mut PgConnection,
    caller: &Authenticated,
    input: &OpportunityInput,
    lead_id: Option<i64>,
) -> Result<OpportunityId, AppError> {
    let valid = input.validate()?;
    let scope = caller.scope.visible_owners();
    let customer = customers::lock(&mut *conn, valid.customer_id, scope.as_deref())
        .await?
        .ok_or_else(|| AppError::validation("customer_id", FieldError::UnknownReference))?;
    let owner = check_owner(&mut *conn, caller, valid.owner_id).await?;
    let pipeline = pipeline(&mut *conn, input.pipeline_id).await?;
    let stage = match input.stage_id {
        Some(id) => pipeline.stage(id).filter(|s| s.kind == StageKind::Open),
        None => pipeline.stages.iter().find(|s| s.kind == StageKind::Open),
    }
    .ok_or_else(|| AppError::validation("stage_id", FieldError::UnknownReference))?
    .clone();
    let lines = price_lines(&mut *conn, &valid.lines, &customer.currency, &[]).await?;
    let amount = valid
        .amount_minor
        .unwrap_or_else(|| lines.iter().map(|(_, q, p)| i64::from(*q).saturating_mul(*p)).sum());
    let id = sqlx::query_scalar!(
        "insert into opportunity (customer_id, title, amount_minor, currency, expected_close, owner_id,
             pipeline_id, stage_id, next_step, lead_id, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id",
        valid.customer_id.0,
        valid.title,
        amount,
        customer.currency,
        valid.expected_close as _,
        owner.0,
        pipeline.id.0,
        stage.id.0,
        valid.next_step,
        lead_id,
        caller.id().0,
    )
    .fetch_one(&mut *conn)
    .await?;
    insert_lines(&mut *conn, OpportunityId(id), &lines).await?;
    sqlx::query!(
        "insert into opportunity_stage_change (opportunity_id, from_stage_id, to_stage_id, by_user)
         values ($1, null, $2, $3)",
        id,
        stage.id.0,
        caller.id().0
    )
    .execute(&mut *conn)
    .await?;
    let id = OpportunityId(id);
    let data = serde_json::json!({
        "title": valid.title, "amount_minor": amount, "currency": customer.currency,
        "stage_zh": stage.name_zh, "stage_en": stage.name_en,
    });
    append(
        &mut *conn,
        NewEntry::now(valid.customer_id, kinds::OPPORTUNITY_CREATED, Some(caller.id()))
            .reference(id.0)
            .data(data.clone()),
    )
    .await?;
    record(&mut *conn, caller.actor(), Change::new("create", "opportunity", id.0).after(&data))
        .await?;
    let (kind, entity) = (NotificationKind::OpportunityAssigned, EntityType::Opportunity);
    let by = Some(caller.id());
    notify(conn, Notice::assigned(kind, entity, id.0, valid.title.clone(), owner, by, 1)).await?;
    let event = opportunity_event(conn, id).await?;
    publish(&mut *conn, &event).await?;
    let customer_event = crate::customers::service::customer_event(conn, valid.customer_id).await?;
    publish(&mut *conn, &customer_event).await?;
    Ok(id)
}

/// Creates an opportunity in its own transaction.
pub async fn create(
    state: &AppState,
    caller: &Authenticated,
    input: OpportunityInput,
) -> Result<OpportunityId, AppError> {
    let mut tx = state.pool.begin().await?;
    let id = create_in(&mut tx, caller, &input, None).await?;
    tx.commit().await?;
    Ok(id)
}

/// Edits title, amount, close date, owner, next step and products (not the stage: see
/// `move_to`). The product lines given replace the stored ones, at today's list prices for
/// products added and at the agreed price for products kept; an empty amount is their sum.
///
/// Errors: `Validation`, `ChangedMeanwhile` (edited since `version`), `NotFound`.
pub async fn update(
    state: &AppState,
    caller: &Authenticated,
    id: OpportunityId,
    version: i32,
    input: OpportunityInput,
) -> Result<Card, AppError> {
    let mut input = input;
    let scope = caller.scope.visible_owners();
    let mut tx = state.pool.begin().await?;
    let current = sqlx::query!(
        r#"select customer_id, version, title, amount_minor, currency,
                  expected_close as "expected_close: NaiveDate", owner_id, next_step
         from opportunity
         where id = $1 and deleted_at is null and ($2::bigint[] is null or owner_id = any($2))
         for update"#,
        id.0,
        scope.as_deref() as _,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if current.version != version {
        return Err(crate::audit::repo::changed_meanwhile(&mut *tx, "opportunity", id.0).await);
    }
    input.customer_id = Some(CustomerId(current.customer_id));
    let valid = input.validate()?;
    let owner =
        check_owner(&mut tx, caller, valid.owner_id.or(current.owner_id.map(UserId))).await?;
    let kept = sqlx::query!(
        "select product_id, quantity, unit_price_minor from opportunity_product
         where opportunity_id = $1 order by product_id",
        id.0
    )
    .fetch_all(&mut *tx)
    .await?;
    let agreed: Vec<(i64, i64)> = kept.iter().map(|k| (k.product_id, k.unit_price_minor)).collect();
    let lines = price_lines(&mut tx, &valid.lines, &current.currency, &agreed).await?;
    let amount = valid
        .amount_minor
        .unwrap_or_else(|| lines.iter().map(|(_, q, p)| i64::from(*q).saturating_mul(*p)).sum());
    sqlx::query!(
        "update opportunity set title = $2, amount_minor = $3, expected_close = $4, owner_id = $5,
             next_step = $6, version = version + 1, updated_at = now()
         where id = $1",
        id.0,
        valid.title,
        amount,
        valid.expected_close as _,
        owner.0,
        valid.next_step,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("delete from opportunity_product where opportunity_id = $1", id.0)
        .execute(&mut *tx)
        .await?;
    insert_lines(&mut tx, id, &lines).await?;
    let before_lines: Vec<(i64, i32)> = kept.iter().map(|k| (k.product_id, k.quantity)).collect();
    let mut after_lines: Vec<(i64, i32)> = lines.iter().map(|(p, q, _)| (*p, *q)).collect();
    after_lines.sort();
    let before = serde_json::json!({
        "title": current.title, "amount_minor": current.amount_minor,
        "expected_close": current.expected_close, "owner_id": current.owner_id,
        "next_step": current.next_step, "products": before_lines,
    });
    let after = serde_json::json!({
        "title": valid.title, "amount_minor": amount, "expected_close": valid.expected_close,
        "owner_id": owner.0, "next_step": valid.next_step, "products": after_lines,
    });
    let fields: Vec<String> = crate::audit::model::changed_fields(Some(&before), Some(&after))
        .into_iter()
        .map(|(key, _, _)| key)
        .collect();
    if fields.is_empty() {
        // Nothing changed: no new version, no entry, no event.
        tx.rollback().await?;
        return card(&state.pool, None, id).await?.ok_or(AppError::NotFound);
    }
    append(
        &mut *tx,
        NewEntry::now(
            CustomerId(current.customer_id),
            kinds::OPPORTUNITY_UPDATED,
            Some(caller.id()),
        )
        .reference(id.0)
        .data(serde_json::json!({ "title": valid.title, "fields": fields })),
    )
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("update", "opportunity", id.0).before(&before).after(&after),
    )
    .await?;
    if current.owner_id != Some(owner.0) {
        let (kind, entity) = (NotificationKind::OpportunityAssigned, EntityType::Opportunity);
        let by = Some(caller.id());
        let notice =
            Notice::assigned(kind, entity, id.0, valid.title.clone(), owner, by, version + 1);
        notify(&mut tx, notice).await?;
    }
    let event = opportunity_event(&mut tx, id).await?;
    publish(&mut *tx, &event).await?;
    let customer_event =
        crate::customers::service::customer_event(&mut tx, CustomerId(current.customer_id)).await?;
    publish(&mut *tx, &customer_event).await?;
    let card = card(&mut *tx, None, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(card)
}

/// Adds product lines (product, quantity, unit price) to an opportunity; a product given twice
/// adds up.
async fn insert_lines(
    conn: &mut PgConnection,
    id: OpportunityId,
    lines: &[(i64, i32, i64)],
) -> Result<(), AppError> {
    for (product, quantity, price) in lines {
        sqlx::query!(
            "insert into opportunity_product (opportunity_id, product_id, quantity, unit_price_minor)
             values ($1, $2, $3, $4)
             on conflict (opportunity_id, product_id) do update set quantity = opportunity_product.quantity + excluded.quantity",
            id.0,
            product,
            quantity,
            price
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The unit price of each of `lines`: the price already `agreed` for a product the
/// opportunity holds, else today's list price in `currency`. Returns (product, quantity, unit
/// price), or the field errors of the lines (`lines.N.product_id`) whose new product is unknown,
/// retired or priced in another currency.
async fn price_lines(
    conn: &mut PgConnection,
    lines: &[(ProductId, i32)],
    currency: &str,
    agreed: &[(i64, i64)],
) -> Result<Vec<(i64, i32, i64)>, AppError> {
    let agreed_price = |product: i64| agreed.iter().find(|(p, _)| *p == product).map(|a| a.1);
    let ids: Vec<i64> =
        lines.iter().map(|l| l.0.0).filter(|id| agreed_price(*id).is_none()).collect();
    let prices = sqlx::query!(
        "select id, unit_price_minor, currency from product where id = any($1) and active",
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut errors = FieldErrors::new();
    let mut priced = Vec::new();
    for (n, (product, quantity)) in lines.iter().enumerate() {
        if let Some(price) = agreed_price(product.0) {
            priced.push((product.0, *quantity, price));
            continue;
        }
        match prices.iter().find(|p| p.id == product.0) {
            Some(p) if p.currency == currency => {
                priced.push((product.0, *quantity, p.unit_price_minor))
            }
            Some(_) => errors.add(&format!("lines.{n}.product_id"), FieldError::CurrencyMismatch),
            None => errors.add(&format!("lines.{n}.product_id"), FieldError::UnknownReference),
        }
    }
    errors.into_result()?;
    Ok(priced)
}

/// Moves an opportunity to another stage of its pipeline. The caller says which version it
/// saw, so two people moving one card at once end with one move and one `Conflict`. Moving to
/// lost needs a reason; won and lost close the opportunity, moving back out reopens it.
///
/// Errors: `Validation` (`stage_id`, `lost_reason`), `Conflict`, `NotFound`.
pub async fn move_to(
    state: &AppState,
    caller: &Authenticated,
    id: OpportunityId,
    version: i32,
    to: StageId,
    lost_reason: Option<String>,
) -> Result<Card, AppError> {
    let scope = caller.scope.visible_owners();
    let mut tx = state.pool.begin().await?;
    let current = sqlx::query!(
        r#"select o.customer_id, o.version, o.stage_id, o.pipeline_id, o.title,
                  o.stage_entered_at as "entered: DateTime<Utc>"
           from opportunity o
           where o.id = $1 and o.deleted_at is null
             and ($2::bigint[] is null or o.owner_id = any($2))
           for update"#,
        id.0,
        scope.as_deref() as _,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if current.version != version {
        return Err(crate::audit::repo::changed_meanwhile(&mut *tx, "opportunity", id.0).await);
    }
    let pipeline = pipeline(&mut *tx, Some(PipelineId(current.pipeline_id))).await?;
    let target = pipeline
        .stage(to)
        .ok_or_else(|| AppError::validation("stage_id", FieldError::UnknownReference))?
        .clone();
    let from = pipeline.stage(StageId(current.stage_id)).cloned();
    if target.id.0 == current.stage_id {
        tx.rollback().await?;
        return card(&state.pool, None, id).await?.ok_or(AppError::NotFound);
    }
    let reason = lost_reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if target.kind == StageKind::Lost && reason.is_none() {
        return Err(AppError::validation("lost_reason", FieldError::Required));
    }
    let now = Utc::now();
    let closing = target.kind != StageKind::Open;
    sqlx::query!(
        "update opportunity set stage_id = $2, stage_entered_at = $3::timestamptz, version = version + 1,
             updated_at = $3::timestamptz, closed_at = case when $4 then $3::timestamptz end,
             lost_reason = case when $5 then $6 end
         where id = $1",
        id.0,
        target.id.0,
        now as _,
        closing,
        target.kind == StageKind::Lost,
        reason,
    )
    .execute(&mut *tx)
    .await?;
    let seconds = (now - current.entered).num_seconds();
    sqlx::query!(
        "insert into opportunity_stage_change (opportunity_id, from_stage_id, to_stage_id, at, seconds_in_stage, by_user)
         values ($1, $2, $3, $4, $5, $6)",
        id.0,
        current.stage_id,
        target.id.0,
        now as _,
        seconds,
        caller.id().0,
    )
    .execute(&mut *tx)
    .await?;
    let data = serde_json::json!({
        "title": current.title,
        "from_zh": from.as_ref().map(|s| s.name_zh.clone()), "from_en": from.as_ref().map(|s| s.name_en.clone()),
        "to_zh": target.name_zh, "to_en": target.name_en, "kind": target.kind.as_str(),
        "reason": reason,
    });
    append(
        &mut *tx,
        NewEntry::now(CustomerId(current.customer_id), kinds::OPPORTUNITY_STAGE, Some(caller.id()))
            .reference(id.0)
            .data(data.clone()),
    )
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("move", "opportunity", id.0)
            .before(&serde_json::json!({ "stage_id": current.stage_id, "version": version }))
            .after(&data),
    )
    .await?;
    let event = opportunity_event(&mut tx, id).await?;
    publish(&mut *tx, &event).await?;
    let customer_event =
        crate::customers::service::customer_event(&mut tx, CustomerId(current.customer_id)).await?;
    publish(&mut *tx, &customer_event).await?;
    let moved = card(&mut *tx, None, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(moved)
}

/// A customer's open opportunities (the 360 page).
pub async fn open_for_customer(pool: &PgPool, customer: CustomerId) -> Result<Vec<Card>, AppError> {
    let sql = format!(
        "select {CARD_COLUMNS}
         from opportunity o
         join customer c on c.id = o.customer_id
         left join app_user u on u.id = o.owner_id
         where o.customer_id = $1 and o.closed_at is null and o.deleted_at is null
         order by o.expected_close, o.id limit 20"
    );
    let rows: Vec<CardRow> = sqlx::query_as(&sql).bind(customer.0).fetch_all(pool).await?;
    Ok(rows.into_iter().map(Card::from).collect())
}

/// Each owner's win rate per stage: of their closed opportunities that passed through the
/// stage, the share won. Keyed by (owner, stage).
async fn historical_rates(
    pool: &PgPool,
) -> Result<std::collections::HashMap<(i64, i64), i32>, AppError> {
    let rows = sqlx::query!(
        r#"
        with visited as (
            select distinct o.owner_id, h.to_stage_id as stage_id, o.id, s.kind
            from opportunity o
            join opportunity_stage_change h on h.opportunity_id = o.id
            join pipeline_stage s on s.id = o.stage_id
            where o.closed_at is not null and o.owner_id is not null
        )
        select owner_id as "owner_id!", stage_id, count(*) filter (where kind = 'won') as "won!",
               count(*) as "closed!"
        from visited group by 1, 2
        "#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            historical_rate(r.won, r.closed).map(|rate| ((r.owner_id, r.stage_id), rate))
        })
        .collect())
}

/// The forecast for `months` months from this one, per owner in scope: weighted by stage
/// probability and by the owner's history, committed and best case, won so far and quota;
/// and how past weekly snapshots compared with what was won.
pub async fn forecast(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
    today: NaiveDate,
    months: u32,
) -> Result<Forecast, AppError> {
    let first = today.with_day(1).unwrap_or(today);
    let month_list: Vec<NaiveDate> =
        (0..months).filter_map(|n| first.checked_add_months(chrono::Months::new(n))).collect();
    let last = month_list.last().map(|m| month_range(*m).1).unwrap_or(first);
    let rates = historical_rates(pool).await?;
    let open = sqlx::query!(
        r#"
        select o.owner_id, u.display_name as "owner_name?", o.stage_id, s.probability,
               o.amount_minor, o.expected_close as "expected_close: NaiveDate"
        from opportunity o join pipeline_stage s on s.id = o.stage_id
        left join app_user u on u.id = o.owner_id
        where o.closed_at is null and o.deleted_at is null and o.expected_close between $2 and $3
          and ($1::bigint[] is null or o.owner_id = any($1))
        "#,
        visible_owners as _,
        first as _,
        last as _,
    )
    .fetch_all(pool)
    .await?;
    let won = sqlx::query!(
        r#"
        select o.owner_id, u.display_name as "owner_name?",
               date_trunc('month', o.closed_at at time zone company_time_zone())::date as "month!: NaiveDate",
               sum(o.amount_minor)::bigint as "won!"
        from opportunity o join pipeline_stage s on s.id = o.stage_id and s.kind = 'won'
        left join app_user u on u.id = o.owner_id
        where o.closed_at >= ($2::date)::timestamp at time zone company_time_zone()
          and o.closed_at < ($3::date + 1)::timestamp at time zone company_time_zone()
          and ($1::bigint[] is null or o.owner_id = any($1))
        group by 1, 2, 3
        "#,
        visible_owners as _,
        first as _,
        last as _,
    )
    .fetch_all(pool)
    .await?;
    let quotas = sqlx::query!(
        r#"select q.owner_id, u.display_name, q.month as "month: NaiveDate", q.amount_minor
           from quota q join app_user u on u.id = q.owner_id
           where q.month between $2 and $3 and ($1::bigint[] is null or q.owner_id = any($1))"#,
        visible_owners as _,
        first as _,
        last as _,
    )
    .fetch_all(pool)
    .await?;
    let mut cells: Vec<ForecastCell> = Vec::new();
    let mut cell = |month: NaiveDate, owner: Option<i64>, name: Option<String>| -> usize {
        match cells.iter().position(|c| c.month == month && c.owner_id.map(|o| o.0) == owner) {
            Some(n) => n,
            None => {
                cells.push(ForecastCell {
                    month,
                    owner_id: owner.map(UserId),
                    owner_name: name.unwrap_or_default(),
                    ..Default::default()
                });
                cells.len() - 1
            }
        }
    };
    let mut updates: Vec<(usize, i64, i64, i64, i64)> = Vec::new();
    for row in &open {
        let month = row.expected_close.with_day(1).unwrap_or(row.expected_close);
        let n = cell(month, row.owner_id, row.owner_name.clone());
        let history = row
            .owner_id
            .and_then(|o| rates.get(&(o, row.stage_id)).copied())
            .unwrap_or(row.probability);
        updates.push((
            n,
            weighted(row.amount_minor, row.probability),
            weighted(row.amount_minor, history),
            if row.probability >= COMMIT_PROBABILITY { row.amount_minor } else { 0 },
            row.amount_minor,
        ));
    }
    let mut won_updates = Vec::new();
    for row in &won {
        won_updates.push((cell(row.month, row.owner_id, row.owner_name.clone()), row.won));
    }
    let mut quota_updates = Vec::new();
    for row in &quotas {
        quota_updates.push((
            cell(row.month, Some(row.owner_id), Some(row.display_name.clone())),
            row.amount_minor,
        ));
    }
    for (n, weighted_minor, historical, committed, best) in updates {
        let c = &mut cells[n];
        c.weighted_minor += weighted_minor;
        c.historical_minor += historical;
        c.committed_minor += committed;
        c.best_case_minor += best;
    }
    for (n, amount) in won_updates {
        cells[n].won_minor += amount;
    }
    for (n, amount) in quota_updates {
        cells[n].quota_minor += amount;
    }
    // Won counts towards committed and best case too: it is money in.
    for c in &mut cells {
        c.committed_minor += c.won_minor;
        c.best_case_minor += c.won_minor;
    }
    cells.sort_by(|a, b| (a.month, &a.owner_name).cmp(&(b.month, &b.owner_name)));

    let accuracy = sqlx::query!(
        r#"
        with snaps as (
            select taken_on, month, sum(weighted_minor + 0)::bigint as forecast
            from forecast_snapshot
            where month < $2 and ($1::bigint[] is null or owner_id = any($1))
            group by 1, 2
        ), actual as (
            select date_trunc('month', o.closed_at at time zone company_time_zone())::date as month,
                   sum(o.amount_minor)::bigint as won
            from opportunity o join pipeline_stage s on s.id = o.stage_id and s.kind = 'won'
            where o.closed_at < ($2::date)::timestamp at time zone company_time_zone()
              and ($1::bigint[] is null or o.owner_id = any($1))
            group by 1
        )
        select s.taken_on as "taken_on!: NaiveDate", s.month as "month!: NaiveDate", s.forecast as "forecast!", coalesce(a.won, 0)::bigint as "won!"
        from snaps s left join actual a on a.month = s.month
        order by s.month desc, s.taken_on desc limit 24
        "#,
        visible_owners as _,
        first as _,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| ForecastAccuracy {
        taken_on: r.taken_on,
        month: r.month,
        forecast_minor: r.forecast,
        won_minor: r.won,
    })
    .collect();
    Ok(Forecast { months: month_list, cells, accuracy, commit_probability: COMMIT_PROBABILITY })
}

/// The opportunities behind one forecast cell, with the weights used.
pub async fn forecast_lines(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
    month: NaiveDate,
    owner: Option<UserId>,
) -> Result<Vec<ForecastLine>, AppError> {
    let rates = historical_rates(pool).await?;
    let (first, last) = month_range(month);
    let rows = sqlx::query!(
        r#"
        select o.id, o.title, c.name as customer_name, o.stage_id, o.amount_minor, s.probability,
               o.expected_close as "expected_close: NaiveDate", o.owner_id
        from opportunity o join pipeline_stage s on s.id = o.stage_id
        join customer c on c.id = o.customer_id
        where o.closed_at is null and o.deleted_at is null and o.expected_close between $2 and $3
          and ($1::bigint[] is null or o.owner_id = any($1))
          and ($4::bigint is null or o.owner_id = $4)
        order by o.amount_minor desc, o.id
        limit 500
        "#,
        visible_owners as _,
        first as _,
        last as _,
        owner.map(|o| o.0),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ForecastLine {
            opportunity_id: OpportunityId(r.id),
            title: r.title,
            customer_name: r.customer_name,
            stage_id: StageId(r.stage_id),
            amount_minor: r.amount_minor,
            stage_probability: r.probability,
            historical_probability: r
                .owner_id
                .and_then(|o| rates.get(&(o, r.stage_id)).copied())
                .unwrap_or(r.probability),
            expected_close: r.expected_close,
        })
        .collect())
}

/// Stores this week's forecast for this and the next two months, per owner (the weekly job).
pub async fn snapshot_forecast(pool: &PgPool, today: NaiveDate) -> Result<u64, AppError> {
    let forecast = forecast(pool, None, today, 3).await?;
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let mut stored = 0;
    let mut tx = pool.begin().await?;
    for cell in forecast.cells.iter().filter(|c| c.owner_id.is_some()) {
        stored += sqlx::query!(
            "insert into forecast_snapshot (taken_on, month, owner_id, weighted_minor, historical_minor,
                 committed_minor, best_case_minor)
             values ($1, $2, $3, $4, $5, $6, $7)
             on conflict (taken_on, month, owner_id) do update set weighted_minor = excluded.weighted_minor,
                 historical_minor = excluded.historical_minor, committed_minor = excluded.committed_minor,
                 best_case_minor = excluded.best_case_minor",
            monday as _,
            cell.month as _,
            cell.owner_id.map(|o| o.0),
            cell.weighted_minor + cell.won_minor,
            cell.historical_minor + cell.won_minor,
            cell.committed_minor,
            cell.best_case_minor,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(stored)
}

/// The weekly snapshot job.
pub async fn snapshot_job(
    ctx: crate::jobs::context::JobContext,
) -> Result<(), crate::jobs::context::JobError> {
    let zone = ctx.state.clock.zone(&ctx.state.pool).await;
    snapshot_forecast(&ctx.state.pool, crate::clock::today(zone)).await?;
    Ok(())
}

/// A year of quotas: every active user in the caller's scope, by team and name, twelve months
/// each.
pub async fn quota_grid(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
    year: i32,
) -> Result<QuotaGrid, AppError> {
    let out_of_range =
        || AppError::validation("year", FieldError::OutOfRange { min: 2000, max: 2100 });
    if !(2000..=2100).contains(&year) {
        return Err(out_of_range());
    }
    let months: Vec<NaiveDate> =
        (1..=12).filter_map(|m| NaiveDate::from_ymd_opt(year, m, 1)).collect();
    let (Some(first), Some(end)) =
        (months.first().copied(), NaiveDate::from_ymd_opt(year + 1, 1, 1))
    else {
        return Err(out_of_range());
    };
    let rows = sqlx::query!(
        r#"
        select u.id, u.display_name, t.name as "team_name?", q.month as "month?: NaiveDate",
               q.amount_minor as "amount_minor?", q.version as "version?"
        from app_user u
        left join team t on t.id = u.team_id
        left join quota q on q.owner_id = u.id and q.month >= $2 and q.month < $3
        where u.active and ($1::bigint[] is null or u.id = any($1))
        order by t.name nulls last, u.display_name, u.id, q.month
        "#,
        visible_owners as _,
        first as _,
        end as _,
    )
    .fetch_all(pool)
    .await?;
    let mut grid: Vec<QuotaRow> = Vec::new();
    for row in rows {
        if grid.last().is_none_or(|last| last.owner_id.0 != row.id) {
            grid.push(QuotaRow {
                owner_id: UserId(row.id),
                owner_name: row.display_name,
                team_name: row.team_name,
                cells: months
                    .iter()
                    .map(|&month| QuotaCell { month, amount_minor: None, version: 0 })
                    .collect(),
            });
        }
        if let (Some(month), Some(last)) = (row.month, grid.last_mut())
            && let Some(cell) = last.cells.get_mut(month.month0() as usize)
        {
            cell.amount_minor = row.amount_minor;
            cell.version = row.version.unwrap_or(1);
        }
    }
    Ok(QuotaGrid { year, months, rows: grid })
}

/// Sets an owner's quota for a month (admins and managers, for owners in scope), from the
/// `version` the editor read (0: there was none).
///
/// Errors: `Validation` (`owner_id`, `amount`), `ChangedMeanwhile` (someone saved this quota
/// since it was read).
pub async fn save_quota(
    state: &AppState,
    caller: &Authenticated,
    owner: UserId,
    month: NaiveDate,
    amount: &str,
    version: i32,
) -> Result<QuotaCell, AppError> {
    let amount = crate::customers::model::parse_money(amount)
        .map_err(|e| AppError::validation("amount", e))?;
    let month = month.with_day(1).unwrap_or(month);
    let key = format!("{}:{month}", owner.0);
    let mut tx = state.pool.begin().await?;
    // In the caller's scope and active.
    crate::auth::repo::check_assignable(&mut *tx, caller, owner, "owner_id").await?;
    let current = sqlx::query!(
        "select amount_minor, version from quota where owner_id = $1 and month = $2 for update",
        owner.0,
        month as _,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let saved = match current {
        None if version == 0 => {
            // Two first saves at once: the second finds the row taken and is told who.
            sqlx::query_scalar!(
                "insert into quota (owner_id, month, amount_minor) values ($1, $2, $3)
                 on conflict (owner_id, month) do nothing returning version",
                owner.0,
                month as _,
                amount
            )
            .fetch_optional(&mut *tx)
            .await?
        }
        Some(ref row) if row.version == version => {
            if row.amount_minor == amount {
                // Nothing changed: no new version, no entry.
                tx.rollback().await?;
                return Ok(QuotaCell { month, amount_minor: Some(amount), version });
            }
            Some(
                sqlx::query_scalar!(
                    "update quota set amount_minor = $3, version = version + 1
                     where owner_id = $1 and month = $2 returning version",
                    owner.0,
                    month as _,
                    amount
                )
                .fetch_one(&mut *tx)
                .await?,
            )
        }
        _ => None,
    };
    let Some(saved) = saved else {
        return Err(crate::audit::repo::changed_meanwhile(&mut *tx, "quota", key).await);
    };
    let before = current.map(|c| serde_json::json!({ "amount_minor": c.amount_minor }));
    let mut change =
        Change::new("update", "quota", key).after(&serde_json::json!({ "amount_minor": amount }));
    if let Some(before) = &before {
        change = change.before(before);
    }
    record(&mut *tx, caller.actor(), change).await?;
    tx.commit().await?;
    Ok(QuotaCell { month, amount_minor: Some(amount), version: saved })
}
