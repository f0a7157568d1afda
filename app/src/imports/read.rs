//! Uploaded files as rows, for the import area: the reader itself is its own crate
//! (`app/import-reader`, pure and fuzzed); here its formats and errors meet the app's choices
//! and form fields, and jobs get a large file's rows without holding it in memory.

use super::model::Encoding;
use crate::error::{AppError, FieldError};
use import_reader::ReadError;
pub use import_reader::{Format, MAX_FILE_BYTES, Shape, Table};
use std::ops::ControlFlow;

impl Encoding {
    /// The format the reader is asked for; `None` lets it look at the bytes.
    pub fn format(self) -> Option<Format> {
        match self {
            Encoding::Auto => None,
            Encoding::Utf8 => Some(Format::Utf8),
            Encoding::Gbk => Some(Format::Gbk),
            Encoding::Utf16Le => Some(Format::Utf16Le),
            Encoding::Utf16Be => Some(Format::Utf16Be),
            Encoding::Xlsx => Some(Format::Xlsx),
        }
    }
}

impl From<Format> for Encoding {
    fn from(format: Format) -> Self {
        match format {
            Format::Utf8 => Encoding::Utf8,
            Format::Gbk => Encoding::Gbk,
            Format::Utf16Le => Encoding::Utf16Le,
            Format::Utf16Be => Encoding::Utf16Be,
            Format::Xlsx => Encoding::Xlsx,
        }
    }
}

impl From<ReadError> for AppError {
    fn from(error: ReadError) -> Self {
        let file = |error| AppError::validation("file", error);
        match error {
            ReadError::Empty => file(FieldError::Empty),
            ReadError::TooBig { max } => file(FieldError::TooLong { max: max as u32 }),
            ReadError::Unreadable => file(FieldError::BadEncoding),
            ReadError::TooManyRows { max } => file(FieldError::TooMany { max: max as u32 }),
            ReadError::NoSuchSheet => AppError::validation("sheet", FieldError::InvalidChoice),
            ReadError::Io(error) => AppError::internal(error),
        }
    }
}

/// Every row of the file, as [`import_reader::visit`] reads them.
///
/// Errors: `Validation` on `file` (empty, too big, not readable as chosen) or `sheet`.
pub fn visit(
    bytes: &[u8],
    requested: Encoding,
    sheet: Option<&str>,
    on_shape: &mut dyn FnMut(&Shape),
    on_row: &mut dyn FnMut(Vec<String>) -> ControlFlow<()>,
) -> Result<Shape, AppError> {
    Ok(import_reader::visit(bytes, requested.format(), sheet, on_shape, on_row)?)
}

/// Reads all rows, refusing files with more than `max_rows`.
///
/// Errors: `Validation` on `file`, `sheet`.
pub fn read_all(
    bytes: &[u8],
    requested: Encoding,
    sheet: Option<&str>,
    max_rows: usize,
) -> Result<Table, AppError> {
    Ok(import_reader::read_all(bytes, requested.format(), sheet, max_rows)?)
}

/// The headers, the first `sample` rows and the number of data rows.
///
/// Errors: as [`visit`].
pub fn preview(
    bytes: &[u8],
    requested: Encoding,
    sheet: Option<&str>,
    sample: usize,
) -> Result<(Shape, Vec<Vec<String>>, usize), AppError> {
    Ok(import_reader::preview(bytes, requested.format(), sheet, sample)?)
}

/// An upload copied out of the database into a temporary file, a megabyte at a time, so a job
/// reads a large file without holding it (or the database's copy of it) in memory. The file
/// is removed when the value is dropped.
pub async fn spill(pool: &sqlx::PgPool, import_id: i64) -> Result<tempfile::TempPath, AppError> {
    use tokio::io::AsyncWriteExt;
    const PIECE: i32 = 1024 * 1024;
    let (file, path) = tempfile::NamedTempFile::new().map_err(AppError::internal)?.into_parts();
    // Written from the runtime's threads without blocking them.
    let mut out = tokio::io::BufWriter::new(tokio::fs::File::from_std(file));
    let size: i32 = sqlx::query_scalar!(
        r#"select octet_length(content) as "n!" from import_run where id = $1"#,
        import_id
    )
    .fetch_one(pool)
    .await?;
    let mut at = 0;
    while at < size {
        // Stored uncompressed (`storage external`), so each piece reads only its own pages.
        let piece: Vec<u8> = sqlx::query_scalar!(
            r#"select substring(content from $2 for $3) as "piece!" from import_run where id = $1"#,
            import_id,
            at + 1,
            PIECE
        )
        .fetch_one(pool)
        .await?;
        if piece.is_empty() {
            break;
        }
        at += piece.len() as i32;
        out.write_all(&piece).await.map_err(AppError::internal)?;
    }
    out.flush().await.map_err(AppError::internal)?;
    Ok(path)
}

/// What [`stream`] sends: the file's shape once, then rows in chunks, or the reason it could
/// not be read.
pub enum Chunk {
    Shape(Shape),
    Rows(Vec<Vec<String>>),
    Failed(AppError),
}

/// Reads the file at `path` on a blocking thread, sending its rows in chunks of `size` through
/// a channel that holds two chunks: parsing runs beside the caller's database work, and memory
/// holds a few chunks whatever the file's length.
pub fn stream(
    path: std::path::PathBuf,
    encoding: Encoding,
    sheet: Option<String>,
    size: usize,
) -> tokio::sync::mpsc::Receiver<Chunk> {
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        let mut chunk = Vec::with_capacity(size);
        let gone = std::cell::Cell::new(false);
        let result = import_reader::visit_file(
            &path,
            // Uploads store the format they found, so `Auto` is only ever a damaged record.
            encoding.format().unwrap_or(Format::Utf8),
            sheet.as_deref(),
            &mut |shape| {
                if sender.blocking_send(Chunk::Shape(shape.clone())).is_err() {
                    gone.set(true);
                }
            },
            &mut |row| {
                chunk.push(row);
                if chunk.len() >= size {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(size));
                    if sender.blocking_send(Chunk::Rows(full)).is_err() {
                        gone.set(true);
                    }
                }
                // The reader went away (the job failed or was stopped): stop reading.
                if gone.get() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            },
        );
        match result {
            Ok(_) if !chunk.is_empty() => {
                let _ = sender.blocking_send(Chunk::Rows(chunk));
            }
            Ok(_) => {}
            Err(error) => {
                let _ = sender.blocking_send(Chunk::Failed(error.into()));
            }
        }
    });
    receiver
}
