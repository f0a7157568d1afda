//! Server functions of the import wizard. The file itself is uploaded by `POST
//! /api/import-upload` (see `routes`), outside the server-function encodings.
//!
//! Customer imports are for managers and admins; anyone signed in may import the orders and
//! interactions of the customers they can see. Each sees their own imports (admins all).

use super::model::{ImportMode, ImportOptions, ImportRun};
use crate::error::AppError;
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn signed_in()
-> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError> {
    Ok((
        crate::auth::server::require(crate::auth::model::Role::Member)?,
        crate::state::AppState::from_context()?,
    ))
}

/// The caller's recent imports (everyone's for admins).
///
/// Anyone signed in. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_imports() -> Result<Vec<ImportRun>, AppError> {
    let (caller, state) = signed_in()?;
    super::service::list(&state, &caller).await
}

/// One import with its mapping, counts and progress.
///
/// Its creator (with the role its kind needs) or an admin. Errors: `Unauthorized`,
/// `NotFound`.
#[server(input = Json)]
pub async fn get_import(id: i64) -> Result<ImportRun, AppError> {
    let (caller, state) = signed_in()?;
    super::service::get(&state, &caller, id).await
}

/// Reads another sheet of an uploaded workbook and proposes its mapping.
///
/// As `get_import`. Errors: `Unauthorized`, `Validation` (`sheet`), `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn choose_import_sheet(id: i64, sheet: String) -> Result<(), AppError> {
    let (caller, state) = signed_in()?;
    super::service::choose_sheet(&state, &caller, id, &sheet).await
}

/// Saves the mapping, mode and options and starts a check (`dry_run`) or the import itself.
/// Awarding points for imported history is an admin's choice (ignored for others).
///
/// As `get_import`. Errors: `Unauthorized`, `Validation` (`mapping`), `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn start_import(
    id: i64,
    mapping: Vec<Option<String>>,
    mode: ImportMode,
    options: ImportOptions,
    dry_run: bool,
) -> Result<i64, AppError> {
    let (caller, state) = signed_in()?;
    super::service::start(&state, &caller, id, mapping, mode, options, dry_run).await
}

/// Reverts a finished import in one click.
///
/// As `get_import`. Errors: `Unauthorized`, `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn revert_import(id: i64) -> Result<i64, AppError> {
    let (caller, state) = signed_in()?;
    super::service::start_revert(&state, &caller, id).await
}
