//! The import life cycle: upload, mapping, check, import, revert; the rejected-rows report and
//! the customer export.

use super::{model::*, process};
use crate::{
    audit::repo::{Change, record},
    auth::{
        model::{Role, UserId},
        server::{Actor, Authenticated},
    },
    error::{AppError, FieldError},
    events::{Audience, ServerEvent, Topic, publish},
    i18n::{Locale, Text, field_error_text},
    jobs::{
        context::{JobContext, JobError},
        model::kinds,
        queue::{self, NewJob},
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

/// The field each header most likely means, each field at most once.
pub fn suggest_mapping(kind: ImportKind, headers: &[String]) -> Vec<Option<String>> {
    let mut used: Vec<String> = Vec::new();
    headers
        .iter()
        .map(|header| {
            let key = match kind {
                ImportKind::Customers => Target::suggest(header).map(|t| t.key()),
                ImportKind::Orders => OrderField::suggest(header).map(|f| f.as_str().to_owned()),
                ImportKind::Interactions => {
                    InteractionField::suggest(header).map(|f| f.as_str().to_owned())
                }
            }
            .filter(|k| !used.contains(k))?;
            used.push(key.clone());
            Some(key)
        })
        .collect()
}

/// Stores an uploaded file (CSV or Excel) and proposes a mapping from its headers.
///
/// Errors: `Forbidden` (a member uploading customers), `Validation` on `file` (empty, too
/// big, unreadable, too many rows) or `sheet`.
pub async fn upload(
    state: &AppState,
    caller: &Authenticated,
    kind: ImportKind,
    file_name: &str,
    encoding: Encoding,
    bytes: &[u8],
) -> Result<i64, AppError> {
    if !caller.role().includes(role_for(kind)) {
        return Err(AppError::Forbidden);
    }
    let (shape, sample, rows) = super::read::preview(bytes, encoding, None, 5)?;
    let max = match kind {
        ImportKind::Customers => process::MAX_ROWS,
        _ => super::history::MAX_HISTORY_ROWS,
    };
    if rows > max {
        return Err(AppError::validation("file", FieldError::TooMany { max: max as u32 }));
    }
    let mapping = suggest_mapping(kind, &shape.headers);
    let name: String = file_name.chars().take(200).collect();
    let options = ImportOptions { sheet: shape.sheet.clone(), ..Default::default() };
    let mut conn = state.pool.acquire().await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let id = sqlx::query_scalar!(
        "insert into import_run (file_name, encoding, content, headers, sample, row_count, mapping,
                                 created_by, kind, sheets, options)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id",
        name,
        Encoding::from(shape.format).as_str(),
        bytes,
        &shape.headers,
        serde_json::to_value(&sample).map_err(AppError::internal)?,
        rows as i32,
        serde_json::to_value(&mapping).map_err(AppError::internal)?,
        caller.id().0,
        kind.as_str(),
        &shape.sheets,
        serde_json::to_value(&options).map_err(AppError::internal)?,
    )
    .fetch_one(&mut *tx)
    .await?;
    let summary = serde_json::json!({ "file": name, "rows": rows, "kind": kind.as_str() });
    record(&mut *tx, caller.actor(), Change::new("upload", "import", id).after(&summary)).await?;
    tx.commit().await?;
    // A connection that sent a large file keeps a send buffer as large for its life: closed
    // rather than returned to the pool, so the process's memory goes back to what it was.
    if bytes.len() > LARGE_UPLOAD {
        let _ = sqlx::Connection::close(conn.detach()).await;
    }
    Ok(id)
}

/// Uploads above this size are sent on a connection of their own (see `upload`).
const LARGE_UPLOAD: usize = 4 * 1024 * 1024;

/// Reads another sheet of an uploaded workbook: its headers, sample, row count and a fresh
/// mapping.
///
/// Errors: `Validation` (`sheet`), `Conflict` (the import ran), `NotFound`.
pub async fn choose_sheet(
    state: &AppState,
    caller: &Authenticated,
    id: i64,
    sheet: &str,
) -> Result<(), AppError> {
    let run = get(state, caller, id).await?;
    let content: Vec<u8> = sqlx::query_scalar!("select content from import_run where id = $1", id)
        .fetch_one(&state.pool)
        .await?;
    let (shape, sample, rows) = super::read::preview(&content, Encoding::Xlsx, Some(sheet), 5)?;
    let mapping = suggest_mapping(run.kind, &shape.headers);
    let options = ImportOptions { sheet: Some(sheet.to_owned()), ..run.options };
    let updated = sqlx::query!(
        "update import_run set headers = $2, sample = $3, row_count = $4, mapping = $5,
                options = $6, updated_at = now(), version = version + 1
         where id = $1 and status in ('uploaded', 'checked', 'failed')",
        id,
        &shape.headers,
        serde_json::to_value(&sample).map_err(AppError::internal)?,
        rows as i32,
        serde_json::to_value(&mapping).map_err(AppError::internal)?,
        serde_json::to_value(&options).map_err(AppError::internal)?,
    )
    .execute(&state.pool)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::Conflict);
    }
    Ok(())
}

/// Imports of the caller (all imports for admins), newest first.
pub async fn list(state: &AppState, caller: &Authenticated) -> Result<Vec<ImportRun>, AppError> {
    let admin = caller.role().includes(Role::Admin);
    let only = (!admin).then(|| caller.id().0);
    let runs = load(&state.pool, None, only, 20).await?;
    Ok(runs
        .into_iter()
        .map(|(run, _)| run)
        .filter(|run| admin || caller.role().includes(role_for(run.kind)))
        .collect())
}

/// One import the caller may see (their own, or any for admins).
///
/// Errors: `NotFound`.
pub async fn get(state: &AppState, caller: &Authenticated, id: i64) -> Result<ImportRun, AppError> {
    let (run, owner) =
        load(&state.pool, Some(id), None, 1).await?.pop().ok_or(AppError::NotFound)?;
    let own = owner == Some(caller.id()) && caller.role().includes(role_for(run.kind));
    if !own && !caller.role().includes(Role::Admin) {
        return Err(AppError::NotFound);
    }
    Ok(run)
}

/// How many of the customers a revert kept are named on the import; the count gives the rest.
const KEPT_SHOWN: i32 = 20;

/// A JSON column that may be null (an aggregate over no rows), decoded; empty when null.
fn optional_json<T: serde::de::DeserializeOwned + Default>(
    row: &sqlx::postgres::PgRow,
    column: &str,
) -> Result<T, AppError> {
    use sqlx::Row;
    row.try_get::<Option<serde_json::Value>, _>(column)?
        .map(serde_json::from_value)
        .transpose()
        .map_err(AppError::internal)
        .map(Option::unwrap_or_default)
}

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
                i.created_by, cardinality(i.revert_kept_ids) as kept_count, kept.customers,
                i.kind, i.options, i.sheets, i.new_orders, i.new_customers, i.new_products,
                refused.rows as refused_rows
         from import_run i
         left join job j on j.id = i.job_id
         left join lateral (
             select jsonb_agg(r order by n) as rows
             from (select r, (r ->> 0)::int as n
                   from import_batch b, jsonb_array_elements(b.rejected) as r
                   where b.import_id = i.id
                   order by 2 limit $5) first
         ) refused on true
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
    .bind(REJECTED_SHOWN)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            let kind: String = r.try_get("kind")?;
            let run = ImportRun {
                id: r.try_get("id")?,
                kind: ImportKind::parse(&kind)
                    .map_err(|_| AppError::internal("bad import kind"))?,
                file_name: r.try_get("file_name")?,
                encoding: r.try_get("encoding")?,
                sheets: r.try_get("sheets")?,
                options: serde_json::from_value(r.try_get("options")?).unwrap_or_default(),
                new_orders: r.try_get("new_orders")?,
                new_customers: r.try_get("new_customers")?,
                new_products: r.try_get("new_products")?,
                rejected_rows: optional_json(&r, "refused_rows")?,
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
                kept: optional_json(&r, "customers")?,
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
#[allow(clippy::too_many_arguments)]
pub async fn start(
    state: &AppState,
    caller: &Authenticated,
    id: i64,
    mapping: Vec<Option<String>>,
    mode: ImportMode,
    options: ImportOptions,
    dry_run: bool,
) -> Result<i64, AppError> {
    let run = get(state, caller, id).await?;
    check_mapping(run.kind, &mapping)?;
    // The sheet is chosen through `choose_sheet`, which reads it; options cannot change it.
    let options = ImportOptions {
        sheet: run.options.sheet.clone(),
        // Points for imported history are a company decision.
        award_points: options.award_points && caller.role().includes(Role::Admin),
        ..options
    };
    let mut tx = state.pool.begin().await?;
    let status = if dry_run { ImportStatus::Checking } else { ImportStatus::Importing };
    let updated = sqlx::query!(
        "update import_run set mapping = $2, mode = $3, status = $4, dry_run = $5, options = $6,
                updated_at = now(), version = version + 1
         where id = $1 and status in ('uploaded', 'checked', 'failed')",
        id,
        serde_json::to_value(&mapping).map_err(AppError::internal)?,
        mode.as_str(),
        status.as_str(),
        dry_run,
        serde_json::to_value(&options).map_err(AppError::internal)?,
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

/// A mapping names known fields, each once, and at least what an import of `kind` needs:
/// a customer's name; an order's number, date, customer and product or amount; an
/// interaction's customer, time and subject.
///
/// Errors: `Validation` on `mapping`.
pub fn check_mapping(kind: ImportKind, mapping: &[Option<String>]) -> Result<(), AppError> {
    let keys: Vec<&str> = mapping.iter().flatten().map(String::as_str).collect();
    let known = keys.iter().all(|key| match kind {
        ImportKind::Customers => Target::from_key(key).is_some(),
        ImportKind::Orders => OrderField::parse(key).is_ok(),
        ImportKind::Interactions => InteractionField::parse(key).is_ok(),
    });
    if !known {
        return Err(AppError::validation("mapping", FieldError::InvalidChoice));
    }
    let mut distinct = keys.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != keys.len() {
        return Err(AppError::validation("mapping", FieldError::AlreadyTaken));
    }
    let has = |key: &str| keys.contains(&key);
    let any = |list: &[&str]| list.iter().any(|key| has(key));
    let customer = ["customer_external_id", "customer_phone", "customer_email", "customer_name"];
    let complete = match kind {
        ImportKind::Customers => has("name"),
        ImportKind::Orders => {
            has("order_no")
                && has("ordered_at")
                && any(&customer)
                && any(&["sku", "product_name", "unit_price", "line_total", "order_total"])
        }
        ImportKind::Interactions => any(&customer) && has("occurred_at") && has("subject"),
    };
    if !complete {
        return Err(AppError::validation("mapping", FieldError::Required));
    }
    Ok(())
}

/// Clears what an earlier check or import of this file recorded, so a run begins with none.
pub async fn forget_outcomes(executor: impl sqlx::PgExecutor<'_>, id: i64) -> Result<(), AppError> {
    sqlx::query!("delete from import_batch where import_id = $1", id,).execute(executor).await?;
    Ok(())
}

/// Where an import that skips bad rows goes on: after the last batch it recorded, since each
/// batch's rows and its record are committed together (a checkpoint saved afterwards could
/// lag behind, and redoing a committed batch would record its new customers as unchanged, so a
/// revert would leave them behind).
async fn recorded_end(pool: &PgPool, id: i64) -> Result<usize, AppError> {
    let end: i64 = sqlx::query_scalar!(
        r#"select coalesce(max(first_row + created_count + updated_count + unchanged_count
                               + rejected_count), 0)::bigint as "end!"
           from import_batch where import_id = $1"#,
        id,
    )
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
/// retry finds where to go on from the import's own record, `recorded_end`, except for the
/// refresh after an order import, which saves a checkpoint.)
pub trait Progress: Send {
    fn report(
        &mut self,
        done: i64,
        total: i64,
    ) -> impl std::future::Future<Output = Result<(), JobError>> + Send;

    /// Progress with a point to resume from (dropped where nothing is kept).
    fn report_with(
        &mut self,
        done: i64,
        total: i64,
        checkpoint: serde_json::Value,
    ) -> impl std::future::Future<Output = Result<(), JobError>> + Send {
        let _ = checkpoint;
        self.report(done, total)
    }

    /// The point an earlier attempt saved.
    fn resume_from(&self) -> Option<serde_json::Value> {
        None
    }
}

impl Progress for JobContext {
    async fn report(&mut self, done: i64, total: i64) -> Result<(), JobError> {
        self.progress(done, Some(total), None).await
    }

    async fn report_with(
        &mut self,
        done: i64,
        total: i64,
        checkpoint: serde_json::Value,
    ) -> Result<(), JobError> {
        self.progress(done, Some(total), Some(checkpoint)).await
    }

    fn resume_from(&self) -> Option<serde_json::Value> {
        self.checkpoint()
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
    let kind: String = sqlx::query_scalar!("select kind from import_run where id = $1", id)
        .fetch_one(&pool)
        .await?;
    if kind != ImportKind::Customers.as_str() {
        return execute_history(&pool, id, dry_run, progress).await;
    }
    let row = sqlx::query!(
        "select content, encoding, mapping, mode, created_by, options from import_run where id = $1",
        id
    )
    .fetch_one(&pool)
    .await?;
    let importer =
        UserId(row.created_by.ok_or_else(|| JobError::Fatal("import has no creator".into()))?);
    let encoding = Encoding::parse(&row.encoding).unwrap_or_default();
    let options: ImportOptions = serde_json::from_value(row.options).unwrap_or_default();
    let decoded =
        super::read::read_all(&row.content, encoding, options.sheet.as_deref(), process::MAX_ROWS)
            .map_err(|e| JobError::Fatal(e.to_string()))?;
    let decoded = process::Decoded { headers: decoded.shape.headers, rows: decoded.rows };
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

/// Checks or imports an order or interaction file (see `history`). An order import that
/// stopped after writing goes straight on to its refresh.
async fn execute_history(
    pool: &PgPool,
    id: i64,
    dry_run: bool,
    progress: &mut impl Progress,
) -> Result<(), JobError> {
    use super::history;
    let row = sqlx::query!(
        "select encoding, mapping, mode, created_by, options, kind, headers, status, row_count
         from import_run where id = $1",
        id
    )
    .fetch_one(pool)
    .await?;
    let importer =
        UserId(row.created_by.ok_or_else(|| JobError::Fatal("import has no creator".into()))?);
    let kind = ImportKind::parse(&row.kind).map_err(|_| JobError::Fatal("bad kind".into()))?;
    let scope = crate::auth::server::scope_of_user(pool, importer).await?;
    let visible = scope.visible_owners();
    let owners = sqlx::query!(
        "select id, email from app_user where active and ($1::bigint[] is null or id = any($1))",
        visible.as_deref() as _
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.email.to_lowercase(), r.id))
    .collect();
    let setup = history::Setup {
        import_id: id,
        kind,
        importer,
        scope,
        zone: crate::clock::time_zone(pool).await?,
        options: serde_json::from_value(row.options).unwrap_or_default(),
        mode: ImportMode::parse(&row.mode).unwrap_or_default(),
        default_currency: crate::customers::repo::settings(pool).await?.default_currency,
        headers: row.headers,
        mapping: serde_json::from_value(row.mapping).unwrap_or_default(),
        owners,
    };
    let encoding = Encoding::parse(&row.encoding).unwrap_or_default();
    let write = !dry_run;
    if write && row.status == ImportStatus::Refreshing.as_str() {
        history::refresh_after_orders(pool, &setup, progress).await?;
        return finish(pool, id, ImportStatus::Imported, false, importer).await;
    }
    // Read from a temporary copy, a piece at a time, never whole in memory.
    let path = super::read::spill(pool, id).await?;
    let total = i64::from(row.row_count);
    let run = async |write: bool, start: usize, progress: &mut _| -> Result<bool, JobError> {
        match kind {
            ImportKind::Orders => {
                history::run_orders(pool, &setup, &path, encoding, total, write, start, progress)
                    .await
            }
            _ => {
                history::run_interactions(
                    pool, &setup, &path, encoding, total, write, start, progress,
                )
                .await
            }
        }
    };
    if !write {
        forget_outcomes(pool, id).await?;
        run(false, 0, progress).await?;
        return finish(pool, id, ImportStatus::Checked, true, importer).await;
    }
    if setup.mode == ImportMode::AllOrNothing {
        // A check of the whole file first: with anything refused, nothing is written and the
        // record says why; otherwise the import in one transaction (which refuses the lot if
        // the data changed in between).
        forget_outcomes(pool, id).await?;
        if run(false, 0, progress).await? || run(true, 0, progress).await? {
            return finish(pool, id, ImportStatus::Failed, true, importer).await;
        }
    } else {
        let start = history_resume_point(pool, id).await?;
        run(true, start, progress).await?;
    }
    if kind == ImportKind::Orders {
        sqlx::query!(
            "update import_run set status = 'refreshing', updated_at = now() where id = $1",
            id,
        )
        .execute(pool)
        .await?;
        publish(pool, &import_event(id, Some(importer))).await?;
        history::refresh_after_orders(pool, &setup, progress).await?;
    }
    finish(pool, id, ImportStatus::Imported, false, importer).await
}

/// The batch a skip-bad history import goes on from: the one after the last it recorded.
async fn history_resume_point(pool: &PgPool, id: i64) -> Result<usize, AppError> {
    let last: Option<i32> =
        sqlx::query_scalar!("select max(first_row) from import_batch where import_id = $1", id)
            .fetch_one(pool)
            .await?;
    Ok(last.map(|n| n as usize + 1).unwrap_or(0))
}

/// The transaction that writes a batch (or, all or nothing, the whole file), of customers and
/// of history alike. A skip-bad batch's commit does not wait for its WAL to reach the disk (100
/// waits were 0.6 s of a 10 s import): a crash can lose only the last few batches, each together
/// with its `import_batch` record, so a retry goes on from the last batch that survived. The
/// import's final status is committed normally, which flushes every batch before it.
pub(super) async fn begin_batch(
    pool: &PgPool,
    all_or_nothing: bool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, AppError> {
    let mut tx = pool.begin().await?;
    if !all_or_nothing {
        sqlx::query!("set local synchronous_commit = off").execute(&mut *tx).await?;
    }
    Ok(tx)
}

/// Marks an import's status with the counts its batches recorded, audited, and tells its owner.
async fn finish(
    pool: &PgPool,
    id: i64,
    status: ImportStatus,
    dry_run: bool,
    importer: UserId,
) -> Result<(), JobError> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "update import_run i set status = $2, dry_run = $3,
             created_count = coalesce(c.created, 0), updated_count = coalesce(c.updated, 0),
             unchanged_count = coalesce(c.unchanged, 0), rejected_count = coalesce(c.rejected, 0),
             new_orders = coalesce(c.orders, 0), new_customers = coalesce(c.customers, 0),
             new_products = coalesce(c.products, 0),
             updated_at = now(), version = i.version + 1
         from (
             select sum(created_count)::int as created, sum(updated_count)::int as updated,
                    sum(unchanged_count)::int as unchanged, sum(rejected_count)::int as rejected,
                    sum(new_orders)::int as orders, sum(new_customers)::int as customers,
                    sum(new_products)::int as products
             from import_batch where import_id = $1
         ) c
         where i.id = $1",
        id,
        status.as_str(),
        dry_run,
    )
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
    let run = sqlx::query!("select created_by, kind from import_run where id = $1", id)
        .fetch_one(&pool)
        .await?;
    let importer = run.created_by.map(UserId);
    if run.kind != ImportKind::Customers.as_str() {
        ctx.progress(0, Some(2), None).await?;
        let kept = super::history::revert(&pool, id, importer).await?;
        let mut tx = pool.begin().await?;
        sqlx::query!(
            "update import_run set status = 'reverted', revert_kept_ids = $2, updated_at = now(),
                    version = version + 1
             where id = $1",
            id,
            &kept,
        )
        .execute(&mut *tx)
        .await?;
        let actor = Actor { user_id: importer, client_ip: None };
        let summary = serde_json::json!({ "kept_customers": kept.len() });
        record(&mut *tx, actor, Change::new("reverted", "import", id).after(&summary)).await?;
        publish(&mut *tx, &import_event(id, importer)).await?;
        tx.commit().await?;
        ctx.progress(2, Some(2), None).await?;
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    // Every customer the import touched, with the version its last write there left it at
    // (created customers start at 1; an update later in the file supersedes that). A null
    // version comes from a batch recorded before versions were kept: reverted unchecked.
    let touched: Vec<(i64, Option<i32>, bool)> = sqlx::query!(
        r#"with touched as (
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
         select distinct on (id) id as "id!", version,
                bool_or(created) over (partition by id) as "created!"
         from touched
         order by id, first_row desc, position desc"#,
        id,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|t| (t.id, t.version, t.created))
    .collect();
    // Locked, so an edit cannot slip in between the check and the write; an edit waiting on
    // the lock then fails its own version check and its author is told.
    let ids: Vec<i64> = touched.iter().map(|t| t.0).collect();
    let locked = sqlx::query!(
        r#"select id, version, deleted_at is not null as "deleted!" from customer
           where id = any($1) order by id for update"#,
        &ids,
    )
    .fetch_all(&mut *tx)
    .await?;
    let current: std::collections::HashMap<i64, (i32, bool)> =
        locked.into_iter().map(|c| (c.id, (c.version, c.deleted))).collect();
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
    let changes = sqlx::query!(
        r#"select u.id as "id!", u.before as "before!"
         from import_batch b,
              rows from (unnest(b.updated_ids), jsonb_array_elements(b.updated_before))
                  with ordinality as u(id, before, position)
         where b.import_id = $1
         order by b.first_row, u.position"#,
        id,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut restore = Vec::new();
    for change in changes {
        let (customer_id, before) = (change.id, change.before);
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
    sqlx::query!(
        "update import_run set status = 'reverted', revert_kept_ids = $2, updated_at = now(),
                version = version + 1
         where id = $1",
        id,
        &kept,
    )
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

/// The rejected rows with the file's own columns plus the reasons: a workbook for a workbook,
/// else CSV in the file's encoding (GBK stays GBK; UTF-16 becomes UTF-8 with a BOM), every cell
/// neutralised like any CSV Guanxi writes. Returns (file name, content type, bytes).
///
/// Errors: `NotFound`.
pub async fn rejected_report(
    state: &AppState,
    caller: &Authenticated,
    id: i64,
    locale: Locale,
    zone: chrono_tz::Tz,
) -> Result<(String, &'static str, Vec<u8>), AppError> {
    use crate::exports::sheet::{Cell, Column, CsvEncoding, CsvSheet, Kind, Sheet, XlsxSheet};
    let run = get(state, caller, id).await?;
    let stored = sqlx::query!("select content, encoding from import_run where id = $1", id)
        .fetch_one(&state.pool)
        .await?;
    let mut reasons: std::collections::BTreeMap<i32, String> = std::collections::BTreeMap::new();
    let rejected = sqlx::query!(
        r#"select (r ->> 0)::int as "row!", r -> 1 as "errors!"
           from import_batch b, jsonb_array_elements(b.rejected) as r
           where b.import_id = $1"#,
        id,
    )
    .fetch_all(&state.pool)
    .await?;
    for rejection in rejected {
        let (row, errors) = (rejection.row, rejection.errors);
        let errors: Vec<(String, FieldError)> = serde_json::from_value(errors).unwrap_or_default();
        let text: Vec<String> = errors
            .iter()
            .map(|(column, error)| match column.as_str() {
                "" => field_error_text(error, locale),
                column => format!("{column}: {}", field_error_text(error, locale)),
            })
            .collect();
        reasons.insert(row, text.join("; "));
    }
    let encoding = Encoding::parse(&stored.encoding).unwrap_or_default();
    let workbook = encoding == Encoding::Xlsx;
    let mut columns = vec![Column::new(crate::i18n::ImportText::Row.text(locale), Kind::Integer)];
    columns.extend(run.headers.iter().map(|h| Column::new(h.clone(), Kind::Code)));
    columns.push(Column::new(crate::i18n::ImportText::Reasons.text(locale), Kind::Long));
    let sheet_name = crate::i18n::ImportText::RejectedCount.text(locale);
    let mut sheet = if workbook {
        Sheet::Xlsx(
            Box::new(XlsxSheet::new(sheet_name, zone, &columns)?),
            std::io::Cursor::new(Vec::new()),
        )
    } else {
        let csv = if encoding == Encoding::Gbk { CsvEncoding::Gbk } else { CsvEncoding::Utf8 };
        Sheet::Csv(Box::new(CsvSheet::new(std::io::Cursor::new(Vec::new()), csv, zone, &columns)?))
    };
    // The file is read again, row by row, keeping only the refused ones.
    let mut number = 0i32;
    let mut failure = None;
    super::read::visit(
        &stored.content,
        encoding,
        run.options.sheet.as_deref(),
        &mut |_| {},
        &mut |row| {
            number += 1;
            if let Some(reason) = reasons.get(&number) {
                let mut cells = vec![Cell::Int(number.into())];
                cells.extend(row.into_iter().map(Cell::Text));
                cells.push(Cell::text(reason.clone()));
                if let Err(error) = sheet.row(&cells) {
                    failure = Some(error);
                    return std::ops::ControlFlow::Break(());
                }
            }
            std::ops::ControlFlow::Continue(())
        },
    )?;
    if let Some(error) = failure {
        return Err(error);
    }
    let bytes = sheet.finish()?.into_inner();
    let stem = run
        .file_name
        .trim_end_matches(".csv")
        .trim_end_matches(".xlsx")
        .trim_end_matches(".txt")
        .to_owned();
    Ok(if workbook {
        (format!("{stem}-rejected.xlsx"), crate::exports::routes::XLSX_TYPE, bytes)
    } else {
        (format!("{stem}-rejected.csv"), crate::exports::routes::CSV_TYPE, bytes)
    })
}
