//! The import life cycle: upload, mapping, check, import, revert; the rejected-rows report and
//! the customer export.

use super::{model::*, process};
use crate::{
    audit::repo::{Change, record},
    auth::{
        model::{Role, UserId},
        server::{Actor, Authenticated},
    },
    customers::model::{CustomerFilter, CustomerRow, CustomerSort, Money},
    error::{AppError, FieldError},
    events::{Audience, ServerEvent, Topic, publish},
    i18n::{Locale, Text, field_error_text},
    jobs::{
        model::kinds,
        queue::{self, NewJob},
        worker::{JobContext, JobError},
    },
    state::AppState,
};
use sqlx::{PgPool, Row};

fn import_event(id: i64, owner: Option<UserId>) -> ServerEvent {
    ServerEvent {
        topic: Topic::Import,
        id,
        audience: Audience::Users { ids: owner.into_iter().collect(), or_role: Role::Admin },
    }
}

/// Stores an uploaded file and proposes a mapping from its headers.
///
/// Errors: `Validation` on `file`.
pub async fn upload(
    state: &AppState,
    caller: &Authenticated,
    file_name: &str,
    encoding: Encoding,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let decoded = process::decode(bytes, encoding)?;
    let mut used = Vec::new();
    let mapping: Vec<Option<String>> = decoded
        .headers
        .iter()
        .map(|header| {
            let target = Target::suggest(header).filter(|t| !used.contains(t))?;
            used.push(target.clone());
            Some(target.key())
        })
        .collect();
    let sample: Vec<Vec<String>> = decoded.rows.iter().take(5).cloned().collect();
    let name: String = file_name.chars().take(200).collect();
    let mut tx = state.pool.begin().await?;
    let id = sqlx::query_scalar!(
        "insert into import_run (file_name, encoding, content, headers, sample, row_count, mapping, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
        name,
        decoded.encoding.as_str(),
        bytes,
        &decoded.headers,
        serde_json::to_value(&sample).map_err(AppError::internal)?,
        decoded.rows.len() as i32,
        serde_json::to_value(&mapping).map_err(AppError::internal)?,
        caller.id().0,
    )
    .fetch_one(&mut *tx)
    .await?;
    let summary = serde_json::json!({ "file": name, "rows": decoded.rows.len() });
    record(&mut *tx, caller.actor(), Change::new("upload", "import", id).after(&summary)).await?;
    tx.commit().await?;
    Ok(id)
}

/// Imports of the caller (all imports for admins), newest first.
pub async fn list(state: &AppState, caller: &Authenticated) -> Result<Vec<ImportRun>, AppError> {
    let only = (!caller.role().includes(Role::Admin)).then(|| caller.id().0);
    let runs = load(&state.pool, None, only, 20).await?;
    Ok(runs.into_iter().map(|(run, _)| run).collect())
}

/// One import the caller may see (their own, or any for admins).
///
/// Errors: `NotFound`.
pub async fn get(state: &AppState, caller: &Authenticated, id: i64) -> Result<ImportRun, AppError> {
    let (run, owner) =
        load(&state.pool, Some(id), None, 1).await?.pop().ok_or(AppError::NotFound)?;
    if owner != Some(caller.id()) && !caller.role().includes(Role::Admin) {
        return Err(AppError::NotFound);
    }
    Ok(run)
}

/// How many of the customers a revert kept are named on the import; the count gives the rest.
const KEPT_SHOWN: i32 = 20;

/// Imports newest first with who started them: one (`id`), or up to `limit` of one user's
/// (`created_by`) or of everyone's.
async fn load(
    pool: &PgPool,
    id: Option<i64>,
    created_by: Option<i64>,
    limit: i64,
) -> Result<Vec<(ImportRun, Option<UserId>)>, AppError> {
    let rows = sqlx::query(
        "select i.id, i.file_name, i.encoding, i.headers, i.sample, i.row_count, i.mapping,
                i.mode, i.status, i.dry_run, i.created_count, i.updated_count, i.unchanged_count,
                i.rejected_count, i.job_id, j.progress_done, j.progress_total, i.created_at,
                i.created_by, cardinality(i.revert_kept_ids) as kept_count, kept.customers
         from import_run i
         left join job j on j.id = i.job_id
         left join lateral (
             select jsonb_agg(jsonb_build_array(c.id, c.name) order by k.position) as customers
             from unnest(i.revert_kept_ids[1:$4]) with ordinality as k(id, position)
             join customer c on c.id = k.id
         ) kept on true
         where ($1::bigint is null or i.id = $1) and ($2::bigint is null or i.created_by = $2)
         order by i.id desc
         limit $3",
    )
    .bind(id)
    .bind(created_by)
    .bind(limit)
    .bind(KEPT_SHOWN)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            let run = ImportRun {
                id: r.try_get("id")?,
                file_name: r.try_get("file_name")?,
                encoding: r.try_get("encoding")?,
                headers: r.try_get("headers")?,
                sample: serde_json::from_value(r.try_get("sample")?).unwrap_or_default(),
                row_count: r.try_get("row_count")?,
                mapping: serde_json::from_value(r.try_get("mapping")?).unwrap_or_default(),
                mode: ImportMode::parse(r.try_get("mode")?).unwrap_or_default(),
                status: ImportStatus::parse(&status)
                    .map_err(|_| AppError::internal("bad import status"))?,
                dry_run: r.try_get("dry_run")?,
                created: r.try_get("created_count")?,
                updated: r.try_get("updated_count")?,
                unchanged: r.try_get("unchanged_count")?,
                rejected: r.try_get("rejected_count")?,
                job_id: r.try_get("job_id")?,
                progress_done: r.try_get::<Option<i64>, _>("progress_done")?.unwrap_or(0),
                progress_total: r.try_get("progress_total")?,
                created_at: r.try_get("created_at")?,
                kept_count: r.try_get("kept_count")?,
                kept: r
                    .try_get::<Option<serde_json::Value>, _>("customers")?
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(AppError::internal)?
                    .unwrap_or_default(),
            };
            let owner: Option<i64> = r.try_get("created_by")?;
            Ok((run, owner.map(UserId)))
        })
        .collect()
}

/// Saves the column mapping and the mode, then starts a check (`dry_run`) or the import.
///
/// Errors: `Validation` (`mapping`: no name column, a target twice, an unknown target),
/// `Conflict` (the import is running or finished), `NotFound`.
pub async fn start(
    state: &AppState,
    caller: &Authenticated,
    id: i64,
    mapping: Vec<Option<String>>,
    mode: ImportMode,
    dry_run: bool,
) -> Result<i64, AppError> {
    get(state, caller, id).await?;
    let targets: Vec<Target> =
        mapping.iter().flatten().filter_map(|k| Target::from_key(k)).collect();
    if mapping.iter().flatten().count() != targets.len() {
        return Err(AppError::validation("mapping", FieldError::InvalidChoice));
    }
    if !targets.contains(&Target::Name) {
        return Err(AppError::validation("mapping", FieldError::Required));
    }
    let mut seen = targets.clone();
    seen.sort();
    seen.dedup();
    if seen.len() != targets.len() {
        return Err(AppError::validation("mapping", FieldError::AlreadyTaken));
    }
    let mut tx = state.pool.begin().await?;
    let status = if dry_run { ImportStatus::Checking } else { ImportStatus::Importing };
    let updated = sqlx::query!(
        "update import_run set mapping = $2, mode = $3, status = $4, dry_run = $5,
                updated_at = now(), version = version + 1
         where id = $1 and status in ('uploaded', 'checked', 'failed')",
        id,
        serde_json::to_value(&mapping).map_err(AppError::internal)?,
        mode.as_str(),
        status.as_str(),
        dry_run,
    )
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::Conflict);
    }
    forget_outcomes(&mut *tx, id).await?;
    let mut job = NewJob::new(
        kinds::CUSTOMER_IMPORT,
        serde_json::json!({ "import_id": id, "dry_run": dry_run }),
    );
    job.created_by = Some(caller.id());
    job.max_attempts = 3;
    let job_id = queue::enqueue(&mut tx, job).await?.ok_or(AppError::Conflict)?;
    sqlx::query!("update import_run set job_id = $2 where id = $1", id, job_id)
        .execute(&mut *tx)
        .await?;
    let action = if dry_run { "check" } else { "import" };
    record(
        &mut *tx,
        caller.actor(),
        Change::new(action, "import", id)
            .after(&serde_json::json!({ "mapping": mapping, "mode": mode })),
    )
    .await?;
    tx.commit().await?;
    Ok(job_id)
}

/// Clears what an earlier check or import of this file recorded, so a run begins with none.
pub async fn forget_outcomes(executor: impl sqlx::PgExecutor<'_>, id: i64) -> Result<(), AppError> {
    sqlx::query("delete from import_batch where import_id = $1").bind(id).execute(executor).await?;
    Ok(())
}

/// Where an import that skips bad rows goes on: after the last batch it recorded, since each
/// batch's rows and its record are committed together (a checkpoint saved afterwards could
/// lag behind, and redoing a committed batch would record its new customers as unchanged, so a
/// revert would leave them behind).
async fn recorded_end(pool: &PgPool, id: i64) -> Result<usize, AppError> {
    let end: i64 = sqlx::query_scalar(
        "select coalesce(max(first_row + created_count + updated_count + unchanged_count
                             + rejected_count), 0)::bigint
         from import_batch where import_id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await?;
    Ok(end as usize)
}

#[derive(serde::Deserialize)]
struct ImportPayload {
    import_id: i64,
    dry_run: bool,
}

/// Where a long import reports progress: the job in production, nothing in the benchmark. (A
/// retry finds where to go on from the import's own record, `recorded_end`.)
pub trait Progress: Send {
    fn report(
        &mut self,
        done: i64,
        total: i64,
    ) -> impl std::future::Future<Output = Result<(), JobError>> + Send;
}

impl Progress for JobContext {
    async fn report(&mut self, done: i64, total: i64) -> Result<(), JobError> {
        self.progress(done, Some(total), None).await
    }
}

/// Progress that goes nowhere (benchmarks, tools).
pub struct Unreported;

impl Progress for Unreported {
    async fn report(&mut self, _: i64, _: i64) -> Result<(), JobError> {
        Ok(())
    }
}

/// A decided batch on its way to the writer, or the end of the file.
enum Planned {
    Batch(process::BatchPlan),
    Done,
}

/// The job: checks or imports every row, in batches, resuming after the last committed batch.
pub async fn run(mut ctx: JobContext) -> Result<(), JobError> {
    let payload: ImportPayload = ctx.payload()?;
    let pool = ctx.state.pool.clone();
    execute(&pool, payload.import_id, payload.dry_run, &mut ctx).await
}

/// Checks (`dry_run`) or imports an uploaded file whose mapping is saved.
pub async fn execute(
    pool: &PgPool,
    id: i64,
    dry_run: bool,
    progress: &mut impl Progress,
) -> Result<(), JobError> {
    let pool = pool.clone();
    let payload = ImportPayload { import_id: id, dry_run };
    let row = sqlx::query!(
        "select content, encoding, mapping, mode, created_by from import_run where id = $1",
        id
    )
    .fetch_one(&pool)
    .await?;
    let importer =
        UserId(row.created_by.ok_or_else(|| JobError::Fatal("import has no creator".into()))?);
    let encoding = Encoding::parse(&row.encoding).unwrap_or_default();
    let decoded =
        process::decode(&row.content, encoding).map_err(|e| JobError::Fatal(e.to_string()))?;
    let mapping: Vec<Option<String>> = serde_json::from_value(row.mapping).unwrap_or_default();
    let mode = ImportMode::parse(&row.mode).unwrap_or_default();
    let (context, scope) = process::context(&pool, &mapping, importer).await?;
    let prepared: Vec<_> =
        decoded.rows.iter().map(|r| process::prepare(r, &decoded.headers, &context)).collect();
    let total = prepared.len() as i64;
    let rejected = prepared.iter().filter(|p| p.is_err()).count();
    let currency = crate::customers::repo::settings(&pool).await?.default_currency;
    let mut index = process::KeyIndex::default();
    let mut fake_id = 0;

    let all_or_nothing_refused = mode == ImportMode::AllOrNothing && rejected > 0;
    let write = !payload.dry_run && !all_or_nothing_refused;
    if !payload.dry_run && !write {
        // All or nothing with bad rows: record what was wrong, import nothing.
        let mut tx = pool.begin().await?;
        forget_outcomes(&mut *tx, id).await?;
        for (n, batch) in prepared.chunks(process::BATCH).enumerate() {
            process::run_batch(
                &mut tx,
                id,
                n * process::BATCH,
                batch,
                &mut index,
                &scope,
                importer,
                &currency,
                false,
                &mut fake_id,
            )
            .await?;
        }
        tx.commit().await?;
        return finish(&pool, id, ImportStatus::Failed, true, importer).await;
    }

    // A check (whose simulated customers exist only in memory) and an all-or-nothing import
    // (one transaction) start over; an import that skips bad rows goes on from its record.
    let start = if write && mode == ImportMode::SkipBad {
        recorded_end(&pool, id).await?
    } else {
        forget_outcomes(&pool, id).await?;
        0
    };
    let merge = write.then(|| crate::customers::repo::BackgroundIndexMerge::start(&pool));
    // Batches are decided one ahead of the writes, on a connection of their own, so looking up
    // matches and preparing the next batch overlap the database's work on the current one.
    let (planned, to_write) = tokio::sync::mpsc::channel::<Planned>(2);
    let decide = async {
        // Owned here, so the writer sees the channel close if deciding fails.
        let planned = planned;
        let mut lookups = pool.acquire().await?;
        let mut first = start;
        while first < prepared.len() {
            let end = (first + process::BATCH).min(prepared.len());
            let plan = process::plan_batch(
                &mut lookups,
                first,
                &prepared[first..end],
                &mut index,
                &scope,
                write,
                &mut fake_id,
            )
            .await?;
            if planned.send(Planned::Batch(plan)).await.is_err() {
                // The writer stopped; its error is the one reported.
                return Ok(());
            }
            first = end;
        }
        let _ = planned.send(Planned::Done).await;
        Ok::<(), JobError>(())
    };
    let apply = async {
        // Owned here, so the decider sees the channel close if writing fails.
        let mut to_write = to_write;
        let all_or_nothing = write && mode == ImportMode::AllOrNothing;
        let mut tx = begin_batch(&pool, all_or_nothing).await?;
        loop {
            let plan = match to_write.recv().await {
                Some(Planned::Batch(plan)) => plan,
                Some(Planned::Done) => break,
                // Deciding failed: nothing more is written, and an all-or-nothing run rolls back.
                None => return Ok(()),
            };
            process::write_plan(&mut tx, id, &plan, importer, &currency, write).await?;
            let done = plan.first_row + plan.counts.total();
            if !all_or_nothing {
                tx.commit().await?;
                tx = begin_batch(&pool, false).await?;
            }
            if let Some(merge) =
                merge.as_ref().filter(|_| done.is_multiple_of(process::MERGE_EVERY))
            {
                merge.request();
            }
            progress.report(done as i64, total).await?;
        }
        tx.commit().await?;
        Ok::<(), JobError>(())
    };
    let (decided, applied) = tokio::join!(decide, apply);
    decided?;
    applied?;
    if let Some(merge) = merge {
        merge.finish().await?;
    }
    let status = if payload.dry_run { ImportStatus::Checked } else { ImportStatus::Imported };
    finish(&pool, id, status, payload.dry_run, importer).await?;
    if write {
        let mut conn = pool.acquire().await?;
        let mut job = NewJob::new(kinds::DUPLICATE_SCAN, serde_json::json!({ "import_id": id }));
        job.created_by = Some(importer);
        queue::enqueue(&mut conn, job).await?;
    }
    Ok(())
}

/// The transaction that writes a batch (or, all or nothing, the whole file). A skip-bad batch's
/// commit does not wait for its WAL to reach the disk (100 waits were 0.6 s of a 10 s import):
/// a crash can lose only the last few batches, each together with its `import_batch` record, so
/// a retry goes on from the last batch that survived. The import's final status is committed
/// normally, which flushes every batch before it.
async fn begin_batch(
    pool: &PgPool,
    all_or_nothing: bool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, AppError> {
    let mut tx = pool.begin().await?;
    if !all_or_nothing {
        sqlx::query("set local synchronous_commit = off").execute(&mut *tx).await?;
    }
    Ok(tx)
}

async fn finish(
    pool: &PgPool,
    id: i64,
    status: ImportStatus,
    dry_run: bool,
    importer: UserId,
) -> Result<(), JobError> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "update import_run i set status = $2, dry_run = $3,
             created_count = coalesce(c.created, 0), updated_count = coalesce(c.updated, 0),
             unchanged_count = coalesce(c.unchanged, 0), rejected_count = coalesce(c.rejected, 0),
             updated_at = now(), version = i.version + 1
         from (
             select sum(created_count)::int as created, sum(updated_count)::int as updated,
                    sum(unchanged_count)::int as unchanged, sum(rejected_count)::int as rejected
             from import_batch where import_id = $1
         ) c
         where i.id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(dry_run)
    .execute(&mut *tx)
    .await?;
    let counts = sqlx::query!(
        "select created_count, updated_count, unchanged_count, rejected_count from import_run where id = $1",
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    let summary = serde_json::json!({
        "status": status.as_str(), "created": counts.created_count, "updated": counts.updated_count,
        "unchanged": counts.unchanged_count, "rejected": counts.rejected_count,
    });
    let actor = Actor { user_id: Some(importer), client_ip: None };
    let action = if dry_run { "checked" } else { "imported" };
    record(&mut *tx, actor, Change::new(action, "import", id).after(&summary)).await?;
    publish(&mut *tx, &import_event(id, Some(importer))).await?;
    tx.commit().await?;
    Ok(())
}

/// Starts reverting a finished import.
///
/// Errors: `Conflict` (not an imported import), `NotFound`.
pub async fn start_revert(
    state: &AppState,
    caller: &Authenticated,
    id: i64,
) -> Result<i64, AppError> {
    get(state, caller, id).await?;
    let mut tx = state.pool.begin().await?;
    let status: String =
        sqlx::query_scalar!("select status from import_run where id = $1 for update", id)
            .fetch_one(&mut *tx)
            .await?;
    if status != "imported" {
        return Err(AppError::Conflict);
    }
    let mut job = NewJob::new(kinds::IMPORT_REVERT, serde_json::json!({ "import_id": id }));
    job.created_by = Some(caller.id());
    job.dedupe_key = Some(format!("revert:{id}"));
    let job_id = queue::enqueue(&mut tx, job).await?.ok_or(AppError::Conflict)?;
    sqlx::query!("update import_run set job_id = $2 where id = $1", id, job_id)
        .execute(&mut *tx)
        .await?;
    record(&mut *tx, caller.actor(), Change::new("revert", "import", id)).await?;
    tx.commit().await?;
    Ok(job_id)
}

#[derive(serde::Deserialize)]
struct RevertPayload {
    import_id: i64,
}

/// The revert job: customers the import created go to the recycle bin; customers it updated
/// get back the fields they had. A customer changed since the import (its version moved on: an
/// edit, an order, a merge) is left as it is and listed on the import, so nothing people did
/// afterwards is overwritten. One transaction, so a retried attempt redoes nothing twice.
pub async fn revert(mut ctx: JobContext) -> Result<(), JobError> {
    let payload: RevertPayload = ctx.payload()?;
    let id = payload.import_id;
    let pool = ctx.state.pool.clone();
    let importer = sqlx::query_scalar!("select created_by from import_run where id = $1", id)
        .fetch_one(&pool)
        .await?
        .map(UserId);
    let mut tx = pool.begin().await?;
    // Every customer the import touched, with the version its last write there left it at
    // (created customers start at 1; an update later in the file supersedes that). A null
    // version comes from a batch recorded before versions were kept: reverted unchecked.
    let touched: Vec<(i64, Option<i32>, bool)> = sqlx::query_as(
        "with touched as (
             select id, 1 as version, b.first_row, 0::bigint as position, true as created
             from import_batch b, unnest(b.created_ids) as id
             where b.import_id = $1
             union all
             select u.id, u.version, b.first_row, u.position, false
             from import_batch b,
                  rows from (unnest(b.updated_ids), unnest(b.updated_versions))
                      with ordinality as u(id, version, position)
             where b.import_id = $1
         )
         select distinct on (id) id, version, bool_or(created) over (partition by id)
         from touched
         order by id, first_row desc, position desc",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    // Locked, so an edit cannot slip in between the check and the write; an edit waiting on
    // the lock then fails its own version check and its author is told.
    let ids: Vec<i64> = touched.iter().map(|t| t.0).collect();
    let locked: Vec<(i64, i32, bool)> = sqlx::query_as(
        "select id, version, deleted_at is not null from customer
         where id = any($1) order by id for update",
    )
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    let current: std::collections::HashMap<i64, (i32, bool)> =
        locked.into_iter().map(|(id, version, deleted)| (id, (version, deleted))).collect();
    let mut restorable = std::collections::HashSet::new();
    let mut created = Vec::new();
    let mut kept = Vec::new();
    for (customer_id, expected, was_created) in touched {
        let Some(&(version, deleted)) = current.get(&customer_id) else { continue };
        if deleted {
            // Already in the recycle bin or merged away: nothing to revert.
            continue;
        }
        if expected.is_some_and(|expected| expected != version) {
            kept.push(customer_id);
        } else if was_created {
            created.push(customer_id);
        } else {
            restorable.insert(customer_id);
        }
    }
    sqlx::query!(
        "update customer set deleted_at = now(), deleted_by = $2, version = version + 1
         where id = any($1) and deleted_at is null",
        &created,
        importer.map(|u| u.0)
    )
    .execute(&mut *tx)
    .await?;
    ctx.progress(1, Some(2), None).await?;
    // Each changed customer gets back what it had before the import's first change of it (a
    // file may change one customer on several lines), all in one statement.
    let changes: Vec<(i64, serde_json::Value)> = sqlx::query_as(
        "select u.id, u.before
         from import_batch b,
              rows from (unnest(b.updated_ids), jsonb_array_elements(b.updated_before))
                  with ordinality as u(id, before, position)
         where b.import_id = $1
         order by b.first_row, u.position",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let mut restore = Vec::new();
    for (customer_id, before) in changes {
        // Removed once restored: the first change's `before` is what it had.
        if !restorable.remove(&customer_id) {
            continue;
        }
        let mut before: process::Existing = serde_json::from_value(before)
            .map_err(|e| JobError::Fatal(format!("bad stored state: {e}")))?;
        before.id = customer_id;
        restore.push(before);
    }
    process::store_fields(&mut tx, &restore).await?;
    let restored: Vec<i64> = restore.iter().map(|r| r.id).collect();
    crate::customers::repo::refresh_search_of(&mut tx, &restored).await?;
    sqlx::query(
        "update import_run set status = 'reverted', revert_kept_ids = $2, updated_at = now(),
                version = version + 1
         where id = $1",
    )
    .bind(id)
    .bind(&kept)
    .execute(&mut *tx)
    .await?;
    let actor = Actor { user_id: importer, client_ip: None };
    let summary = serde_json::json!({
        "deleted": created.len(),
        "restored": restored.len(),
        "kept_changed": kept.len(),
    });
    record(&mut *tx, actor, Change::new("reverted", "import", id).after(&summary)).await?;
    publish(&mut *tx, &import_event(id, importer)).await?;
    tx.commit().await?;
    ctx.progress(2, Some(2), None).await?;
    Ok(())
}

fn encode(text: &str, encoding: &str) -> Vec<u8> {
    if encoding == "gbk" {
        encoding_rs::GBK.encode(text).0.into_owned()
    } else {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(text.as_bytes());
        bytes
    }
}

fn csv_text(rows: &[Vec<String>]) -> Result<String, AppError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(row).map_err(AppError::internal)?;
    }
    let bytes = writer.into_inner().map_err(AppError::internal)?;
    String::from_utf8(bytes).map_err(AppError::internal)
}

/// The rejected rows as a CSV in the file's own encoding: the original columns plus the reasons.
///
/// Errors: `NotFound`.
pub async fn rejected_report(
    state: &AppState,
    caller: &Authenticated,
    id: i64,
    locale: Locale,
) -> Result<(String, Vec<u8>), AppError> {
    get(state, caller, id).await?;
    let run = sqlx::query!("select file_name, content, encoding from import_run where id = $1", id)
        .fetch_one(&state.pool)
        .await?;
    let decoded =
        process::decode(&run.content, Encoding::parse(&run.encoding).unwrap_or_default())?;
    let rejected: Vec<(i32, serde_json::Value)> = sqlx::query_as(
        "select (r ->> 0)::int, r -> 1
         from import_batch b, jsonb_array_elements(b.rejected) as r
         where b.import_id = $1
         order by 1",
    )
    .bind(id)
    .fetch_all(&state.pool)
    .await?;
    let mut header = vec![crate::i18n::ImportText::Row.text(locale).to_owned()];
    header.extend(decoded.headers.iter().cloned());
    header.push(crate::i18n::ImportText::Reasons.text(locale).to_owned());
    let mut rows = vec![header];
    for (row_number, errors) in rejected {
        let errors: Vec<(String, FieldError)> = serde_json::from_value(errors).unwrap_or_default();
        let reasons: Vec<String> = errors
            .iter()
            .map(|(column, error)| format!("{column}: {}", field_error_text(error, locale)))
            .collect();
        let mut row = vec![row_number.to_string()];
        row.extend(decoded.rows.get(row_number as usize - 1).cloned().unwrap_or_default());
        row.push(reasons.join("; "));
        rows.push(row);
    }
    let stem = run.file_name.trim_end_matches(".csv");
    Ok((format!("{stem}-rejected.csv"), encode(&csv_text(&rows)?, &run.encoding)))
}

/// The filtered customer list as CSV (UTF-8 with a BOM for Excel, or GBK), in the caller's
/// scope, read in keyset batches.
pub async fn export(
    state: &AppState,
    caller: &Authenticated,
    mut filter: CustomerFilter,
    encoding: Encoding,
    locale: Locale,
) -> Result<Vec<u8>, AppError> {
    use crate::i18n::{
        CustomerText as T, customer_stage_label, customer_status_label, customer_type_label,
    };
    filter.sort = CustomerSort::Newest;
    let settings = crate::customers::repo::settings(&state.pool).await?;
    let scope = caller.scope.visible_owners();
    let columns = [
        T::Id,
        T::Name,
        T::Type,
        T::Status,
        T::Stage,
        T::Phone,
        T::Email,
        T::Region,
        T::Industry,
        T::Owner,
        T::Tags,
        T::Language,
        T::Orders,
        T::TotalSpend,
        T::LastOrder,
    ];
    let mut rows = vec![columns.iter().map(|c| c.text(locale).to_owned()).collect::<Vec<_>>()];
    let mut cursor = None;
    loop {
        let page = crate::customers::repo::list(
            &state.pool,
            &filter,
            scope.as_deref(),
            cursor.as_ref(),
            5000,
            &settings,
        )
        .await?;
        for c in &page.items {
            rows.push(export_row(
                c,
                locale,
                customer_type_label,
                customer_status_label,
                customer_stage_label,
            ));
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let text = csv_text(&rows)?;
    Ok(encode(&text, if encoding == Encoding::Gbk { "gbk" } else { "utf-8" }))
}

fn export_row(
    c: &CustomerRow,
    locale: Locale,
    type_label: fn(crate::customers::model::CustomerType, Locale) -> &'static str,
    status_label: fn(crate::customers::model::ActivityStatus, Locale) -> &'static str,
    stage_label: fn(crate::customers::model::LifecycleStage, Locale) -> &'static str,
) -> Vec<String> {
    let money = |m: &Money| format!("{}.{:02}", m.minor / 100, (m.minor % 100).abs());
    vec![
        c.id.0.to_string(),
        c.name.clone(),
        type_label(c.customer_type, locale).to_owned(),
        status_label(c.status, locale).to_owned(),
        stage_label(c.stage, locale).to_owned(),
        c.phone.clone().unwrap_or_default(),
        c.email.clone().unwrap_or_default(),
        c.region.clone().unwrap_or_default(),
        c.industry.clone().unwrap_or_default(),
        c.owner_name.clone().unwrap_or_default(),
        c.tags.join(";"),
        c.locale.endonym().to_owned(),
        c.order_count.to_string(),
        money(&c.total_spend),
        c.last_order_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default(),
    ]
}
