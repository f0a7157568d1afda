//! `GET /files/export/{entity}.{xlsx|csv}`: a list as a file, streamed as it is read (CSV) or
//! built in a temporary file and then streamed (`.xlsx`, whose zip needs its end first).
//! `GET /files/archives/{id}`: a finished company archive.

use super::{
    model::{ExportEntity, ExportFormat, export_entity_label},
    sheet::{Cell, CsvEncoding, CsvSheet, Sheet, XlsxSheet},
    source::{ExportSources, Request, Who},
};
pub use crate::download::{attachment, refuse};
use crate::{
    audit::repo::{Change, record},
    auth::{
        model::Role,
        server::{Authenticated, RequestContext},
    },
    error::{AppError, FieldError},
    i18n::Locale,
    state::AppState,
};
use axum::{
    Extension,
    body::{Body, Bytes},
    extract::{Path, Query},
    http::{HeaderValue, header},
    response::Response,
};
use chrono::NaiveDate;
use chrono_tz::Tz;
use sqlx::PgPool;
use std::{io::Write, sync::Arc};

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV_TYPE: &str = "text/csv";

/// A `Write` that hands what is written to an async body, 64 kB at a time.
struct ChunkWriter {
    buffer: Vec<u8>,
    out: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        self.out
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::other("the download was cancelled"))
    }
}

/// How an export is written.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    pub format: ExportFormat,
    pub encoding: CsvEncoding,
    pub locale: Locale,
    pub zone: Tz,
}

impl ExportSources {
    /// Writes every row of `entity` that `who` may see into `out` (a workbook's sheet named
    /// after the list), reading pages on the async side while a blocking thread writes them;
    /// returns the rows and the writer.
    ///
    /// Errors: those of the source (`Forbidden`, `Validation`), or of writing.
    pub async fn write<W: Write + Send + 'static>(
        self,
        pool: &PgPool,
        who: &Who,
        entity: ExportEntity,
        request: &Request,
        output: Output,
        out: W,
    ) -> Result<(u64, W), AppError> {
        let columns = (self.columns)(entity, output.locale);
        let sheet = match output.format {
            ExportFormat::Csv => {
                Sheet::Csv(Box::new(CsvSheet::new(out, output.encoding, output.zone, &columns)?))
            }
            ExportFormat::Xlsx => {
                let sheet_name = export_entity_label(entity, output.locale);
                Sheet::Xlsx(Box::new(XlsxSheet::new(sheet_name, output.zone, &columns)?), out)
            }
        };
        let (pages, mut incoming) = tokio::sync::mpsc::channel::<Vec<Vec<Cell>>>(2);
        let writer = tokio::task::spawn_blocking(move || -> Result<W, AppError> {
            let mut sheet = sheet;
            while let Some(rows) = incoming.blocking_recv() {
                for row in &rows {
                    sheet.row(row)?;
                }
            }
            sheet.finish()
        });
        let produced = (self.produce)(pool, who, entity, request, output.locale, &pages).await;
        drop(pages);
        let written = writer.await.map_err(AppError::internal)?;
        let rows = produced?;
        Ok((rows, written?))
    }
}

#[derive(serde::Deserialize)]
pub struct ExportQuery {
    /// The list's filter, as JSON.
    filter: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    /// CSV only: `utf-8` (default, with a BOM) or `gbk`.
    encoding: Option<String>,
}

fn who(caller: &Authenticated) -> Who {
    Who {
        user_id: caller.id(),
        visible_owners: caller.scope.visible_owners(),
        admin: caller.role().includes(Role::Admin),
    }
}

/// `GET /files/export/{entity}.{format}`. Any signed-in user, for what their scope shows
/// (the audit log: admins). Every export is on the audit log with its size.
pub async fn download(
    Extension(sources): Extension<ExportSources>,
    Extension(state): Extension<AppState>,
    Extension(context): Extension<RequestContext>,
    Path(file): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let Some(caller) = context.user.clone() else { return refuse(AppError::Unauthorized) };
    let parsed = file.rsplit_once('.').and_then(|(entity, format)| {
        Some((ExportEntity::parse(entity).ok()?, ExportFormat::parse(format).ok()?))
    });
    let Some((entity, format)) = parsed else { return refuse(AppError::NotFound) };
    let filter = match query.filter.as_deref().map(serde_json::from_str).transpose() {
        Ok(filter) => filter,
        Err(_) => return refuse(AppError::validation("filter", FieldError::InvalidChoice)),
    };
    let encoding = match query.encoding.as_deref() {
        Some("gbk") => CsvEncoding::Gbk,
        _ => CsvEncoding::Utf8,
    };
    let request = Request { filter, from: query.from, to: query.to };
    let output = Output { format, encoding, locale: context.locale, zone: context.time_zone };
    export_response(sources, state, caller, entity, request, output).await
}

/// `GET /files/customers.csv?filter=…&encoding=…`: the customer list's CSV, as before exports
/// had their own routes.
pub async fn customers_csv(
    sources: Extension<ExportSources>,
    state: Extension<AppState>,
    context: Extension<RequestContext>,
    query: Query<ExportQuery>,
) -> Response {
    download(sources, state, context, Path("customers.csv".to_owned()), query).await
}

async fn export_response(
    sources: ExportSources,
    state: AppState,
    caller: Arc<Authenticated>,
    entity: ExportEntity,
    request: Request,
    output: Output,
) -> Response {
    if entity.admin_only() && !caller.role().includes(Role::Admin) {
        return refuse(AppError::Forbidden);
    }
    let today = crate::clock::local_date(chrono::Utc::now(), output.zone);
    let name =
        format!("{}-{}.{}", entity.as_str(), today.format("%Y%m%d"), output.format.extension());
    let who = who(&caller);
    let audit = move |state: AppState, rows: u64| async move {
        let change = Change::new("export", entity.as_str(), "list")
            .after(&serde_json::json!({ "rows": rows, "format": output.format.as_str() }));
        if let Err(error) = record(&state.pool, caller.actor(), change).await {
            tracing::warn!(%error, "recording an export failed");
        }
    };
    match output.format {
        ExportFormat::Csv => {
            // Streamed: the first rows leave before the last are read.
            let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
            let out = ChunkWriter { buffer: Vec::new(), out: sender.clone() };
            tokio::spawn(async move {
                let result = sources.write(&state.pool, &who, entity, &request, output, out).await;
                match result {
                    Ok((rows, mut out)) => {
                        let _ = tokio::task::spawn_blocking(move || out.flush()).await;
                        audit(state, rows).await;
                    }
                    Err(error) => {
                        tracing::warn!(%error, entity = entity.as_str(), "an export failed");
                        let _ = sender.send(Err(std::io::Error::other(error.to_string()))).await;
                    }
                }
            });
            let stream = futures::stream::poll_fn(move |cx| receiver.poll_recv(cx));
            attachment(&name, CSV_TYPE, Body::from_stream(stream))
        }
        ExportFormat::Xlsx => {
            let file = match tempfile::tempfile() {
                Ok(file) => file,
                Err(error) => return refuse(AppError::internal(error)),
            };
            let written = sources.write(&state.pool, &who, entity, &request, output, file).await;
            match written {
                Ok((rows, file)) => {
                    audit(state, rows).await;
                    match file_body(file).await {
                        Ok(body) => attachment(&name, XLSX_TYPE, body),
                        Err(error) => refuse(error),
                    }
                }
                Err(error) => refuse(error),
            }
        }
    }
}

/// A finished temporary file as a response body, read 256 kB at a time.
pub async fn file_body(file: std::fs::File) -> Result<Body, AppError> {
    use std::io::Seek;
    let mut file = file;
    file.rewind().map_err(AppError::internal)?;
    let file = tokio::fs::File::from_std(file);
    let stream = futures::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buffer = vec![0u8; 256 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buffer)), file))
            }
            Err(error) => Some((Err(error), file)),
        }
    });
    // Fused: layers around the body may poll once more after its end.
    Ok(Body::from_stream(futures::StreamExt::fuse(stream)))
}

/// `GET /files/archives/{id}`: a finished archive, streamed from its stored chunks. Admins.
pub async fn archive(
    Extension(state): Extension<AppState>,
    Extension(context): Extension<RequestContext>,
    Path(id): Path<i64>,
) -> Response {
    let Some(caller) = context.user.clone() else { return refuse(AppError::Unauthorized) };
    if !caller.role().includes(Role::Admin) {
        return refuse(AppError::Forbidden);
    }
    let found = sqlx::query!(
        "select name, size_bytes from export_file
         where id = $1 and completed_at is not null and expires_at > now()",
        id
    )
    .fetch_optional(&state.pool)
    .await;
    let (name, size) = match found {
        Ok(Some(file)) => (file.name, file.size_bytes),
        Ok(None) => return refuse(AppError::NotFound),
        Err(error) => return refuse(error.into()),
    };
    let change = Change::new("download", "export_file", id);
    if let Err(error) = record(&state.pool, caller.actor(), change).await {
        return refuse(error);
    }
    let pool = state.pool.clone();
    // One chunk in memory at a time.
    let stream = futures::stream::unfold(0i32, move |position| {
        let pool = pool.clone();
        async move {
            let chunk: Result<Option<Vec<u8>>, sqlx::Error> = sqlx::query_scalar!(
                "select data from export_file_chunk where file_id = $1 and position = $2",
                id,
                position
            )
            .fetch_optional(&pool)
            .await;
            match chunk {
                Ok(Some(data)) => Some((Ok::<_, std::io::Error>(Bytes::from(data)), position + 1)),
                Ok(None) => None,
                Err(error) => Some((Err(std::io::Error::other(error)), i32::MAX)),
            }
        }
    });
    let body = Body::from_stream(futures::StreamExt::fuse(stream));
    let mut response = attachment(&name, "application/zip", body);
    if let Ok(length) = HeaderValue::from_str(&size.to_string()) {
        response.headers_mut().insert(header::CONTENT_LENGTH, length);
    }
    response
}
