//! What an exportable list must give the export machinery: its columns and its rows. The lists
//! belong to every area, so the root composes them (`crate::export_sources`) and lends them here
//! as `ExportSources`: the downloads get it as a request extension, the archive job as an
//! argument.

use super::{
    model::ExportEntity,
    sheet::{Cell, Column},
};
use crate::{
    auth::model::UserId,
    error::{AppError, FieldError},
    i18n::Locale,
};
use chrono::NaiveDate;
use futures::future::BoxFuture;
use sqlx::PgPool;
use tokio::sync::mpsc::Sender;

/// Rows per page read from the database (and per message to the writer).
pub const PAGE: i64 = 5000;

/// Who exports: the owners whose records they may see (`None`: all), and whether they are an
/// admin (the audit log).
#[derive(Clone, Debug)]
pub struct Who {
    pub user_id: UserId,
    pub visible_owners: Option<Vec<i64>>,
    pub admin: bool,
}

/// An export as asked: the list's filter (as its page sends it) and a period in the company's
/// days for the lists that have dates.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub filter: Option<serde_json::Value>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Request {
    /// The list's filter, decoded; none is the default filter.
    pub fn filter<T: serde::de::DeserializeOwned + Default>(&self) -> Result<T, AppError> {
        match &self.filter {
            None => Ok(T::default()),
            Some(value) => serde_json::from_value(value.clone())
                .map_err(|_| AppError::validation("filter", FieldError::InvalidChoice)),
        }
    }
}

/// Where a source sends its pages of rows.
pub type Rows = Sender<Vec<Vec<Cell>>>;

/// Every exportable list's columns (titled in a language) and rows (sent page by page to a
/// writer; returns how many).
#[derive(Clone, Copy)]
pub struct ExportSources {
    pub columns: fn(ExportEntity, Locale) -> Vec<Column>,
    #[allow(clippy::type_complexity)]
    pub produce: for<'a> fn(
        &'a PgPool,
        &'a Who,
        ExportEntity,
        &'a Request,
        Locale,
        &'a Rows,
    ) -> BoxFuture<'a, Result<u64, AppError>>,
}
