//! Duplicate detection, the review queue, merging and undoing a merge (server side).

use super::{
    model::{CustomerId, name_similarity},
    repo,
};
use crate::{
    audit::repo::{Change, record},
    auth::server::Authenticated,
    customers::dedupe_model::*,
    customers::timeline::{
        model::kinds,
        repo::{NewEntry, append},
    },
    error::{AppError, FieldError},
    events::publish,
    jobs::{
        context::{JobContext, JobError},
        model::kinds as job_kinds,
        queue::{self, NewJob},
    },
    paging::Page,
    state::AppState,
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Names at least this similar (by edit distance over the reduced name) in the same region are
/// likely the same customer.
pub const NAME_SIMILARITY: f32 = 0.8;

/// Every table that points at a customer, moved by a merge and moved back by its undo. A
/// domain that adds such a table adds it here.
pub const CUSTOMER_REFERENCES: &[(&str, &str)] = &[
    ("contact", "customer_id"),
    ("sales_order", "customer_id"),
    ("interaction", "customer_id"),
    ("timeline_event", "customer_id"),
    ("points_entry", "customer_id"),
    ("tier_change", "customer_id"),
    ("opportunity", "customer_id"),
    ("lead", "customer_id"),
    ("task", "customer_id"),
    ("ticket", "customer_id"),
    ("survey_recipient", "customer_id"),
    ("survey_answer", "customer_id"),
];

/// Fields a merge may take from the merged record instead of the survivor.
pub const MERGEABLE_FIELDS: &[&str] = &[
    "kind",
    "name",
    "phone",
    "email",
    "address",
    "region",
    "industry",
    "source",
    "owner_id",
    "birthday",
    "anniversary",
    "notes",
];

/// Records likely duplicates of one customer: the same phone or email, or a very similar name
/// in the same region. Pairs already dismissed stay dismissed.
pub async fn detect_for(conn: &mut PgConnection, id: CustomerId) -> Result<u64, AppError> {
    detect_among(conn, &[id.0]).await
}

/// `detect_for` many customers in three statements, whatever their number (the scan after an
/// import runs it on thousands at a time).
pub async fn detect_among(conn: &mut PgConnection, ids: &[i64]) -> Result<u64, AppError> {
    if ids.is_empty() {
        return Ok(0);
    }
    // Two customers of the same batch that match each other would propose their pair twice.
    let exact = sqlx::query!(
        r#"
        insert into duplicate_pair (customer_a, customer_b, reason, score)
        select distinct on (least(me.id, c.id), greatest(me.id, c.id))
               least(me.id, c.id), greatest(me.id, c.id),
               case when c.phone_normalized = me.phone_normalized then 'phone' else 'email' end, 1
        from customer me
        join customer c on c.id <> me.id and c.deleted_at is null
             and (c.phone_normalized = me.phone_normalized or c.email_normalized = me.email_normalized)
        where me.id = any($1) and me.deleted_at is null
        on conflict (customer_a, customer_b) do nothing
        "#,
        ids,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // `%` proposes candidates at pg_trgm's default similarity (0.3), at most 50 per customer;
    // the edit-distance check below decides. The region is written as the region-led trigram
    // index has it, so the index narrows to the region instead of filtering afterwards.
    let candidates = sqlx::query!(
        r#"
        select me.id, me.name_key, c.id as "other_id!", c.name_key as "other_key!"
        from customer me
        cross join lateral (
            select c.id, c.name_key from customer c
            where c.id <> me.id and c.deleted_at is null
              and coalesce(c.region, '') = coalesce(me.region, '')
              and c.name_key % me.name_key
            limit 50
        ) c
        where me.id = any($1) and me.deleted_at is null and me.name_key <> ''
        "#,
        ids,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut pairs: std::collections::BTreeMap<(i64, i64), f32> = Default::default();
    for candidate in candidates {
        let (me, other) = (candidate.id, candidate.other_id);
        let score = name_similarity(&candidate.name_key, &candidate.other_key);
        if score >= NAME_SIMILARITY {
            pairs.insert((me.min(other), me.max(other)), score);
        }
    }
    // Most saves of one customer find no similar name: no statement for them.
    if pairs.is_empty() {
        return Ok(exact);
    }
    let (a, b): (Vec<i64>, Vec<i64>) = pairs.keys().copied().unzip();
    let scores: Vec<f32> = pairs.values().copied().collect();
    let similar = sqlx::query!(
        "insert into duplicate_pair (customer_a, customer_b, reason, score)
         select a, b, 'name', score from unnest($1::bigint[], $2::bigint[], $3::real[]) as p(a, b, score)
         on conflict (customer_a, customer_b) do nothing",
        &a,
        &b,
        &scores,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(exact + similar)
}

/// Customers the scan checks per transaction (and per `detect_among`).
pub const SCAN_BATCH: usize = 2000;

#[derive(serde::Deserialize, Default)]
struct ScanPayload {
    /// Only the customers an import created or updated.
    import_id: Option<i64>,
}

/// The background scan for duplicates that predate detection (imports, data loads): every
/// customer, or those of one import, in id batches with a checkpoint.
pub async fn scan(mut ctx: JobContext) -> Result<(), JobError> {
    let payload: ScanPayload = ctx.payload().unwrap_or_default();
    let pool = ctx.state.pool.clone();
    let total = sqlx::query_scalar!(
        r#"select count(*) as "total!" from customer c where c.deleted_at is null
           and ($1::bigint is null or c.id in (select unnest(b.created_ids || b.updated_ids)
                                              from import_batch b where b.import_id = $1))"#,
        payload.import_id,
    )
    .fetch_one(&pool)
    .await?;
    let mut after: i64 = ctx.checkpoint().unwrap_or(0);
    let mut done: i64 = 0;
    loop {
        let mut tx = pool.begin().await?;
        let ids = sqlx::query_scalar!(
            "select c.id from customer c where c.deleted_at is null and c.id > $1
               and ($3::bigint is null or c.id in (select unnest(b.created_ids || b.updated_ids)
                                                  from import_batch b where b.import_id = $3))
             order by c.id limit $2",
            after,
            SCAN_BATCH as i64,
            payload.import_id,
        )
        .fetch_all(&mut *tx)
        .await?;
        let Some(&last) = ids.last() else { break };
        detect_among(&mut tx, &ids).await?;
        tx.commit().await?;
        after = last;
        done += ids.len() as i64;
        ctx.progress(done.min(total), Some(total), Some(serde_json::json!(after))).await?;
    }
    ctx.progress(total, Some(total), None).await?;
    Ok(())
}

/// Open pairs whose two customers the caller may both see, best score first.
pub async fn open_pairs(
    state: &AppState,
    caller: &Authenticated,
    after: Option<(f32, i64)>,
    limit: i64,
) -> Result<Page<DuplicatePair, (f32, i64)>, AppError> {
    let scope = caller.scope.visible_owners();
    let rows = sqlx::query!(
        r#"
        select p.id, p.reason, p.score,
               a.id as a_id, a.name as a_name, a.phone as a_phone, a.email as a_email,
               a.region as a_region, ua.display_name as "a_owner?", a.order_count as a_orders,
               b.id as b_id, b.name as b_name, b.phone as b_phone, b.email as b_email,
               b.region as b_region, ub.display_name as "b_owner?", b.order_count as b_orders
        from duplicate_pair p
        join customer a on a.id = p.customer_a and a.deleted_at is null
        join customer b on b.id = p.customer_b and b.deleted_at is null
        left join app_user ua on ua.id = a.owner_id
        left join app_user ub on ub.id = b.owner_id
        where p.status = 'open'
          and ($1::bigint[] is null or (a.owner_id = any($1) and b.owner_id = any($1)))
          and ($2::real is null or (p.score, -p.id) < ($2, -$3::bigint))
        order by p.score desc, p.id
        limit $4
        "#,
        scope.as_deref() as _,
        after.map(|a| a.0),
        after.map(|a| a.1).unwrap_or(0),
        limit + 1,
    )
    .fetch_all(&state.pool)
    .await?;
    let pairs = rows
        .into_iter()
        .map(|r| DuplicatePair {
            id: r.id,
            reason: r.reason,
            score: r.score,
            a: PairSide {
                id: CustomerId(r.a_id),
                name: r.a_name,
                phone: r.a_phone,
                email: r.a_email,
                region: r.a_region,
                owner_name: r.a_owner,
                order_count: r.a_orders,
            },
            b: PairSide {
                id: CustomerId(r.b_id),
                name: r.b_name,
                phone: r.b_phone,
                email: r.b_email,
                region: r.b_region,
                owner_name: r.b_owner,
                order_count: r.b_orders,
            },
        })
        .collect();
    Ok(Page::from_overfetch(pairs, limit, |p: &DuplicatePair| (p.score, p.id)))
}

/// Marks a pair as not duplicates; it is not proposed again.
///
/// Errors: `NotFound` (no open pair with both customers in scope).
pub async fn dismiss(
    state: &AppState,
    caller: &Authenticated,
    pair_id: i64,
) -> Result<(), AppError> {
    let scope = caller.scope.visible_owners();
    let mut tx = state.pool.begin().await?;
    let done = sqlx::query!(
        "update duplicate_pair p set status = 'dismissed', resolved_at = now(), resolved_by = $2
         from customer a, customer b
         where p.id = $1 and p.status = 'open' and a.id = p.customer_a and b.id = p.customer_b
           and ($3::bigint[] is null or (a.owner_id = any($3) and b.owner_id = any($3)))",
        pair_id,
        caller.id().0,
        scope.as_deref() as _,
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    record(&mut *tx, caller.actor(), Change::new("dismiss", "duplicate_pair", pair_id)).await?;
    tx.commit().await?;
    Ok(())
}

async fn snapshot(conn: &mut PgConnection, id: CustomerId) -> Result<serde_json::Value, AppError> {
    Ok(sqlx::query_scalar!(r#"select to_jsonb(c) as "row!" from customer c where id = $1"#, id.0)
        .fetch_one(&mut *conn)
        .await?)
}

/// Queues the rescoring of customers whose orders moved (a merge, or its undoing): their scores
/// and tier follow once the move commits, done by the tiers area as a job, so merging needs
/// nothing of it.
async fn rescore_after_commit(
    conn: &mut PgConnection,
    customers: &[CustomerId],
) -> Result<(), AppError> {
    let ids: Vec<i64> = customers.iter().map(|c| c.0).collect();
    let job = NewJob::new(job_kinds::TIER_RESCORE, serde_json::json!({ "customers": ids }));
    queue::enqueue(conn, job).await?;
    Ok(())
}

/// Merges `merged` into `survivor`: the survivor takes the chosen fields from the merged
/// record, every related row moves to the survivor, tags are united, and the merged record goes
/// to the recycle bin marked as merged. One transaction, audited, undoable for 30 days.
///
/// Errors: `Validation` (`take_from_merged` names an unknown field; the two are the same),
/// `NotFound` (either missing or out of the caller's scope).
pub async fn merge(
    state: &AppState,
    caller: &Authenticated,
    request: &MergeRequest,
) -> Result<i64, AppError> {
    if request.survivor == request.merged {
        return Err(AppError::validation("merged", FieldError::InvalidChoice));
    }
    if let Some(bad) =
        request.take_from_merged.iter().find(|f| !MERGEABLE_FIELDS.contains(&f.as_str()))
    {
        return Err(AppError::validation(
            &format!("take_from_merged.{bad}"),
            FieldError::InvalidChoice,
        ));
    }
    let scope = caller.scope.visible_owners();
    let mut tx = state.pool.begin().await?;
    // Lock in id order so two merges of the same pair cannot deadlock.
    let (first, second) = if request.survivor.0 < request.merged.0 {
        (request.survivor, request.merged)
    } else {
        (request.merged, request.survivor)
    };
    for id in [first, second] {
        repo::lock(&mut tx, id, scope.as_deref()).await?.ok_or(AppError::NotFound)?;
    }
    let survivor_before = snapshot(&mut tx, request.survivor).await?;
    let merged_before = snapshot(&mut tx, request.merged).await?;

    if !request.take_from_merged.is_empty() {
        // Column names come from MERGEABLE_FIELDS only (checked above), never from the request.
        let assignments: Vec<String> =
            request.take_from_merged.iter().map(|f| format!("{f} = m.{f}")).collect();
        let sql = format!(
            "update customer s set {} , phone_normalized = case when {} then m.phone_normalized else s.phone_normalized end,
                 email_normalized = case when {} then m.email_normalized else s.email_normalized end
             from customer m where s.id = $1 and m.id = $2",
            assignments.join(", "),
            request.take_from_merged.iter().any(|f| f == "phone"),
            request.take_from_merged.iter().any(|f| f == "email"),
        );
        sqlx::query(&sql).bind(request.survivor.0).bind(request.merged.0).execute(&mut *tx).await?;
    }
    sqlx::query!(
        r#"
        update customer s set
            tags = array(select distinct unnest(s.tags || m.tags)),
            custom_fields = m.custom_fields || s.custom_fields,
            customer_type = case when s.customer_type = 'potential' then m.customer_type else s.customer_type end,
            churn_reason = case when s.customer_type = 'potential' then m.churn_reason else s.churn_reason end,
            version = s.version + 1, updated_at = now()
        from customer m where s.id = $1 and m.id = $2
        "#,
        request.survivor.0,
        request.merged.0
    )
    .execute(&mut *tx)
    .await?;

    let mut moved = serde_json::Map::new();
    for (table, column) in CUSTOMER_REFERENCES {
        let sql = format!("update {table} set {column} = $1 where {column} = $2 returning id");
        let ids: Vec<i64> = sqlx::query_scalar(&sql)
            .bind(request.survivor.0)
            .bind(request.merged.0)
            .fetch_all(&mut *tx)
            .await?;
        moved.insert((*table).to_owned(), serde_json::json!(ids));
    }
    let closed: Vec<i64> = sqlx::query_scalar!(
        "update duplicate_pair set status = 'merged', resolved_at = now(), resolved_by = $3
         where status = 'open' and ($1 in (customer_a, customer_b) or $2 in (customer_a, customer_b))
         returning id",
        request.merged.0,
        request.survivor.0,
        caller.id().0
    )
    .fetch_all(&mut *tx)
    .await?;
    moved.insert("duplicate_pair".into(), serde_json::json!(closed));

    repo::recompute_aggregates(&mut tx, request.survivor).await?;
    rescore_after_commit(&mut tx, &[request.survivor]).await?;
    sqlx::query!(
        "update customer set deleted_at = now(), deleted_by = $2, merged_into = $3, version = version + 1
         where id = $1",
        request.merged.0,
        caller.id().0,
        request.survivor.0
    )
    .execute(&mut *tx)
    .await?;
    repo::refresh_search(&mut tx, request.survivor).await?;

    let merge_id = sqlx::query_scalar!(
        "insert into customer_merge (survivor_id, merged_id, survivor_before, merged_before, moved, merged_by)
         values ($1, $2, $3, $4, $5, $6) returning id",
        request.survivor.0,
        request.merged.0,
        survivor_before,
        merged_before,
        serde_json::Value::Object(moved),
        caller.id().0
    )
    .fetch_one(&mut *tx)
    .await?;
    let survivor_after = snapshot(&mut tx, request.survivor).await?;
    sqlx::query!(
        "update customer_merge set survivor_after = $2 where id = $1",
        merge_id,
        survivor_after
    )
    .execute(&mut *tx)
    .await?;
    let merged_name = merged_before["name"].as_str().unwrap_or_default().to_owned();
    let data = serde_json::json!({ "merged_name": merged_name, "merged_id": request.merged.0 });
    append(
        &mut *tx,
        NewEntry::now(request.survivor, kinds::MERGED, Some(caller.id()))
            .data(data)
            .reference(merge_id),
    )
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("merge", "customer", request.survivor)
            .before(&serde_json::json!({ "survivor": survivor_before, "merged": merged_before }))
            .after(&serde_json::json!({ "merge_id": merge_id, "taken": request.take_from_merged })),
    )
    .await?;
    let event = super::service::customer_event(&mut tx, request.survivor).await?;
    publish(&mut *tx, &event).await?;
    tx.commit().await?;
    Ok(merge_id)
}

/// How long a merge can be undone.
pub const UNDO_DAYS: i64 = 30;

/// Undoes a merge: the moved rows go back, both records get their fields as they were before the
/// merge, and the merged record leaves the recycle bin. Rows added to the survivor since stay.
///
/// Errors: `NotFound` (no such merge in scope, already undone, or older than 30 days).
pub async fn undo(state: &AppState, caller: &Authenticated, merge_id: i64) -> Result<(), AppError> {
    let scope = caller.scope.visible_owners();
    let mut tx = state.pool.begin().await?;
    let merge = sqlx::query!(
        r#"select survivor_id, merged_id, survivor_before, merged_before, survivor_after, moved,
                  merged_at as "merged_at: DateTime<Utc>"
           from customer_merge where id = $1 and undone_at is null for update"#,
        merge_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if Utc::now() - merge.merged_at > chrono::Duration::days(UNDO_DAYS) {
        return Err(AppError::NotFound);
    }
    let survivor = CustomerId(merge.survivor_id);
    let merged = CustomerId(merge.merged_id);
    repo::lock(&mut tx, survivor, scope.as_deref()).await?.ok_or(AppError::NotFound)?;
    if merge.survivor_after.is_none() {
        // Merged before the survivor's state after the merge was kept: an edit since cannot be
        // told apart from the merge's own changes, so nothing is overwritten.
        let edited_since = sqlx::query_scalar!(
            r#"select updated_at > $2 as "edited!" from customer where id = $1"#,
            survivor.0,
            merge.merged_at as _
        )
        .fetch_one(&mut *tx)
        .await?;
        if edited_since {
            return Err(AppError::Conflict);
        }
    }

    for (table, column) in CUSTOMER_REFERENCES {
        let ids: Vec<i64> = merge
            .moved
            .get(*table)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let sql = format!("update {table} set {column} = $1 where id = any($2)");
        sqlx::query(&sql).bind(merged.0).bind(&ids).execute(&mut *tx).await?;
    }
    let pairs: Vec<i64> = merge
        .moved
        .get("duplicate_pair")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    sqlx::query!(
        "update duplicate_pair set status = 'open', resolved_at = null, resolved_by = null where id = any($1)",
        &pairs
    )
    .execute(&mut *tx)
    .await?;
    for (id, before, after) in [
        (survivor, &merge.survivor_before, merge.survivor_after.as_ref()),
        (merged, &merge.merged_before, None),
    ] {
        restore_fields(&mut tx, id, before, after).await?;
        repo::recompute_aggregates(&mut tx, id).await?;
        repo::refresh_search(&mut tx, id).await?;
    }
    rescore_after_commit(&mut tx, &[survivor, merged]).await?;
    sqlx::query!(
        "update customer_merge set undone_at = now(), undone_by = $2 where id = $1",
        merge_id,
        caller.id().0
    )
    .execute(&mut *tx)
    .await?;
    for id in [survivor, merged] {
        append(
            &mut *tx,
            NewEntry::now(id, kinds::MERGE_UNDONE, Some(caller.id())).reference(merge_id),
        )
        .await?;
        let event = super::service::customer_event(&mut tx, id).await?;
        publish(&mut *tx, &event).await?;
    }
    record(
        &mut *tx,
        caller.actor(),
        Change::new("merge_undone", "customer", survivor)
            .after(&serde_json::json!({ "merge_id": merge_id, "restored": merged.0 })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Fields an undone merge puts back.
const RESTORED_FIELDS: &[&str] = &[
    "kind",
    "name",
    "customer_type",
    "churn_reason",
    "churned_at",
    "phone",
    "phone_normalized",
    "email",
    "email_normalized",
    "address",
    "region",
    "industry",
    "source",
    "owner_id",
    "tags",
    "birthday",
    "anniversary",
    "notes",
    "custom_fields",
    "deleted_at",
    "deleted_by",
    "merged_into",
];

/// Puts back the editable fields and the deleted state a snapshot recorded. With `after` (the
/// record as the merge left it), a field someone changed since keeps its new value: the undo
/// takes back the merge's changes, not later edits.
async fn restore_fields(
    conn: &mut PgConnection,
    id: CustomerId,
    before: &serde_json::Value,
    after: Option<&serde_json::Value>,
) -> Result<(), AppError> {
    // Column names come from the constant list above, never from input.
    let assignments: Vec<String> = RESTORED_FIELDS
        .iter()
        .map(|f| format!("{f} = case when $3::jsonb is null or c.{f} is not distinct from a.{f} then b.{f} else c.{f} end"))
        .collect();
    let sql = format!(
        "update customer c set {}, version = c.version + 1, updated_at = now()
         from jsonb_populate_record(null::customer, $2) b,
              jsonb_populate_record(null::customer, coalesce($3, '{{}}'::jsonb)) a
         where c.id = $1",
        assignments.join(", ")
    );
    sqlx::query(&sql).bind(id.0).bind(before).bind(after).execute(&mut *conn).await?;
    Ok(())
}

/// Recent merges the caller may undo (survivor in scope, not undone, within 30 days).
pub async fn recent_merges(
    state: &AppState,
    caller: &Authenticated,
) -> Result<Vec<MergeRecord>, AppError> {
    let scope = caller.scope.visible_owners();
    let rows = sqlx::query!(
        r#"
        select m.id, m.survivor_id, s.name as survivor_name, m.merged_id,
               m.merged_before ->> 'name' as "merged_name?",
               m.merged_at as "merged_at: DateTime<Utc>", u.display_name as "merged_by_name?"
        from customer_merge m
        join customer s on s.id = m.survivor_id
        left join app_user u on u.id = m.merged_by
        where m.undone_at is null and m.merged_at > now() - make_interval(days => $2)
          and ($1::bigint[] is null or s.owner_id = any($1))
        order by m.merged_at desc
        limit 50
        "#,
        scope.as_deref() as _,
        UNDO_DAYS as i32,
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MergeRecord {
            id: r.id,
            survivor_id: CustomerId(r.survivor_id),
            survivor_name: r.survivor_name,
            merged_id: CustomerId(r.merged_id),
            merged_name: r.merged_name.unwrap_or_default(),
            merged_at: r.merged_at,
            merged_by_name: r.merged_by_name,
        })
        .collect())
}
