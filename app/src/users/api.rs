//! Server functions of the user, team and access admin pages. Admins only, all of them.

use super::model::{NewUser, RoleScope, TeamSummary, UserFilter, UserSummary, UserUpdate};
use crate::{
    auth::model::{TeamId, UserId},
    error::AppError,
    paging::Page,
};
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn admin_and_state()
-> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError> {
    let admin = crate::auth::server::require(crate::auth::model::Role::Admin)?;
    Ok((admin, crate::state::AppState::from_context()?))
}

/// Accounts in id order, narrowed by `filter`, continuing after `after_id`.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_users(
    filter: UserFilter,
    after_id: Option<i64>,
) -> Result<Page<UserSummary>, AppError> {
    let (_, state) = admin_and_state()?;
    super::repo::list(&state.pool, &filter, after_id, crate::paging::page_size(None)).await
}

/// Creates an account with an initial password.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`, `Validation`.
#[server(input = Json)]
pub async fn create_user(input: NewUser) -> Result<UserSummary, AppError> {
    let (admin, state) = admin_and_state()?;
    super::service::create_user(&state, &admin, input).await
}

/// Changes an account's name, role and team.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`, `Validation`, `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn update_user(update: UserUpdate) -> Result<UserSummary, AppError> {
    let (admin, state) = admin_and_state()?;
    super::service::update_user(&state, &admin, update).await
}

/// Activates or deactivates an account; deactivation signs it out everywhere.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`, `Validation`, `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn set_user_active(
    id: UserId,
    version: i32,
    active: bool,
) -> Result<UserSummary, AppError> {
    let (admin, state) = admin_and_state()?;
    super::service::set_active(&state, &admin, id, version, active).await
}

/// Sets a new password for an account and signs it out everywhere.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`, `Validation` (`new_password`), `NotFound`.
#[server(input = Json)]
pub async fn reset_user_password(id: UserId, new_password: String) -> Result<(), AppError> {
    let (admin, state) = admin_and_state()?;
    crate::account::service::reset_password(&state, &admin, id, &new_password).await
}

/// Every team with its active head count.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_teams() -> Result<Vec<TeamSummary>, AppError> {
    let (_, state) = admin_and_state()?;
    super::repo::list_teams(&state.pool).await
}

/// Creates a team.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`, `Validation` (`name`).
#[server(input = Json)]
pub async fn create_team(name: String) -> Result<TeamSummary, AppError> {
    let (admin, state) = admin_and_state()?;
    super::service::create_team(&state, &admin, &name).await
}

/// Renames a team.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`, `Validation`, `Conflict`, `NotFound`.
#[server(input = Json)]
pub async fn rename_team(id: TeamId, version: i32, name: String) -> Result<(), AppError> {
    let (admin, state) = admin_and_state()?;
    super::service::rename_team(&state, &admin, id, version, &name).await
}

/// The data scope of each role.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_data_scopes() -> Result<Vec<RoleScope>, AppError> {
    let (_, state) = admin_and_state()?;
    super::repo::list_scopes(&state.pool).await
}

/// Sets the data scope of one role.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn set_data_scope(scope: RoleScope) -> Result<(), AppError> {
    let (admin, state) = admin_and_state()?;
    super::service::set_scope(&state, &admin, scope).await
}
