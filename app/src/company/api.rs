//! Server functions of the company settings page.

use super::model::CompanySettings;
use crate::error::AppError;
use leptos::{prelude::*, server_fn::codec::Json};

/// The company settings.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn get_company_settings() -> Result<CompanySettings, AppError> {
    crate::auth::server::require(crate::auth::model::Role::Admin)?;
    let state = crate::state::AppState::from_context()?;
    super::repo::settings(&state.pool).await
}

/// Saves the company settings; the new zone applies to this process at once and to the others
/// within seconds.
///
/// Admins. Errors: `Unauthorized`, `Forbidden`, `Validation` (`time_zone`: not a zone both
/// Guanxi and the database know), `Conflict`.
#[server(input = Json)]
pub async fn save_company_settings(settings: CompanySettings) -> Result<(), AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Admin)?;
    let state = crate::state::AppState::from_context()?;
    super::repo::save(&state, &caller, &settings).await
}
