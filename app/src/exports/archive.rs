//! The whole company's data in one archive: every list as a file (`.xlsx` or CSV) with a
//! manifest, zipped by a job and kept in the database in chunks for seven days. Data
//! portability, and the way to leave.

use super::{
    model::{ExportEntity, ExportFormat, export_entity_label},
    routes::Output,
    sheet::CsvEncoding,
    source::{ExportSources, Request, Who},
};
use crate::{
    audit::repo::{Change, record},
    auth::model::UserId,
    i18n::Locale,
    jobs::context::{JobContext, JobError},
};
use std::io::{Read, Write};

/// Every list an archive holds, in the order of its manifest.
pub const CONTENTS: [ExportEntity; 13] = [
    ExportEntity::Customers,
    ExportEntity::Contacts,
    ExportEntity::Products,
    ExportEntity::Orders,
    ExportEntity::OrderLines,
    ExportEntity::Interactions,
    ExportEntity::Leads,
    ExportEntity::Opportunities,
    ExportEntity::Tasks,
    ExportEntity::Tickets,
    ExportEntity::SurveyAnswers,
    ExportEntity::Points,
    ExportEntity::AuditLog,
];

/// Bytes per stored chunk.
const CHUNK: usize = 4 * 1024 * 1024;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct ArchivePayload {
    pub file_id: i64,
    pub format: ExportFormat,
    pub locale: Locale,
}

/// The job. A retry starts over: the files are rebuilt and the chunks replaced, in one
/// transaction with the file's completion.
pub async fn build(mut ctx: JobContext, sources: ExportSources) -> Result<(), JobError> {
    let payload: ArchivePayload = ctx.payload()?;
    let pool = ctx.state.pool.clone();
    let zone = ctx.state.clock.zone(&pool).await;
    let who =
        Who { user_id: ctx.job.created_by.unwrap_or(UserId(0)), visible_owners: None, admin: true };
    let output = Output {
        format: payload.format,
        encoding: CsvEncoding::Utf8,
        locale: payload.locale,
        zone,
    };
    let dir = tempfile::tempdir().map_err(|e| JobError::Retry(e.to_string()))?;
    let steps = CONTENTS.len() as i64 + 2;
    let mut manifest = Vec::new();
    for (n, entity) in CONTENTS.iter().enumerate() {
        let name = format!("{:02}-{}.{}", n + 1, entity.as_str(), payload.format.extension());
        let file = std::fs::File::create(dir.path().join(&name))
            .map_err(|e| JobError::Retry(e.to_string()))?;
        let label = export_entity_label(*entity, payload.locale);
        let (rows, file) =
            sources.write(&pool, &who, *entity, &Request::default(), output, file).await?;
        file.sync_all().map_err(|e| JobError::Retry(e.to_string()))?;
        let columns: Vec<String> =
            (sources.columns)(*entity, payload.locale).into_iter().map(|c| c.title).collect();
        manifest.push(serde_json::json!({
            "file": name, "list": entity.as_str(), "title": label, "rows": rows, "columns": columns,
        }));
        ctx.progress(n as i64 + 1, Some(steps), None).await?;
    }
    let generated = chrono::Utc::now();
    let manifest = serde_json::json!({
        "generator": "Guanxi",
        "generated_at": generated,
        "time_zone": zone.name(),
        "format": payload.format.as_str(),
        "language": payload.locale.tag(),
        "files": manifest,
    });
    let zip_path = dir.path().join("archive.zip");
    let files: Vec<String> = manifest["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["file"].as_str().map(str::to_owned))
        .collect();
    let directory = dir.path().to_owned();
    let manifest_text =
        serde_json::to_vec_pretty(&manifest).map_err(|e| JobError::Fatal(e.to_string()))?;
    let zipped = zip_path.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zipped)?);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(true);
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        zip.start_file("manifest.json", deflated)?;
        zip.write_all(&manifest_text)?;
        for name in files {
            // Workbooks are zips already: storing them as they are saves the time of a second try.
            let options = if name.ends_with(".xlsx") { stored } else { deflated };
            zip.start_file(name.as_str(), options)?;
            std::io::copy(&mut std::fs::File::open(directory.join(&name))?, &mut zip)?;
        }
        zip.finish()?;
        Ok(())
    })
    .await
    .map_err(|e| JobError::Retry(e.to_string()))?
    .map_err(|e| JobError::Retry(e.to_string()))?;
    ctx.progress(steps - 1, Some(steps), None).await?;

    let mut tx = pool.begin().await?;
    sqlx::query!("delete from export_file_chunk where file_id = $1", payload.file_id)
        .execute(&mut *tx)
        .await?;
    let mut file = std::fs::File::open(&zip_path).map_err(|e| JobError::Retry(e.to_string()))?;
    let mut size = 0i64;
    let mut position = 0i32;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        (&mut file)
            .take(CHUNK as u64)
            .read_to_end(&mut chunk)
            .map_err(|e| JobError::Retry(e.to_string()))?;
        if chunk.is_empty() {
            break;
        }
        size += chunk.len() as i64;
        sqlx::query!(
            "insert into export_file_chunk (file_id, position, data) values ($1, $2, $3)",
            payload.file_id,
            position,
            chunk
        )
        .execute(&mut *tx)
        .await?;
        position += 1;
    }
    sqlx::query!(
        "update export_file set size_bytes = $2, completed_at = now() where id = $1",
        payload.file_id,
        size
    )
    .execute(&mut *tx)
    .await?;
    let summary = serde_json::json!({ "bytes": size, "format": payload.format.as_str() });
    record(
        &mut *tx,
        ctx.actor(),
        Change::new("archived", "export_file", payload.file_id).after(&summary),
    )
    .await?;
    tx.commit().await?;
    ctx.progress(steps, Some(steps), None).await?;
    Ok(())
}
