//! Server functions of the import wizard. The file itself is uploaded by `POST
//! /api/import-upload` (see `routes`), outside the server-function encodings.

use super::model::{ImportMode, ImportRun};
use crate::error::AppError;
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn manager()
-> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError> {
    Ok((
        crate::auth::server::require(crate::auth::model::Role::Manager)?,
        crate::state::AppState::from_context()?,
    ))
}

/// The caller's recent imports (everyone's for admins).
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_imports() -> Result<Vec<ImportRun>, AppError> {
    let (caller, state) = manager()?;
    super::service::list(&state, &caller).await
}

/// One import with its mapping, counts and progress.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `NotFound`.
#[server(input = Json)]
pub async fn get_import(id: i64) -> Result<ImportRun, AppError> {
    let (caller, state) = manager()?;
    super::service::get(&state, &caller, id).await
}

/// Saves the mapping and mode and starts a check (`dry_run`) or the import itself.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `Validation` (`mapping`),
/// `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn start_import(
    id: i64,
    mapping: Vec<Option<String>>,
    mode: ImportMode,
    dry_run: bool,
) -> Result<i64, AppError> {
    let (caller, state) = manager()?;
    super::service::start(&state, &caller, id, mapping, mode, dry_run).await
}

/// Reverts a finished import in one click.
///
/// Managers and admins. Errors: `Unauthorized`, `Forbidden`, `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn revert_import(id: i64) -> Result<i64, AppError> {
    let (caller, state) = manager()?;
    super::service::start_revert(&state, &caller, id).await
}
