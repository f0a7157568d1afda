//! Account and team changes: each one transaction with its audit entry and change event.

use super::{
    model::{NewUser, RoleScope, TeamSummary, UserSummary, UserUpdate, validate_team_name},
    repo,
};
use crate::{
    audit::repo::{Change, record},
    auth::{
        model::{Role, TeamId, UserId, validate_display_name},
        repo as auth_repo,
        server::{Authenticated, hash_password},
    },
    error::{AppError, FieldError},
    events::{Audience, ServerEvent, Topic, publish},
    state::AppState,
};

fn user_event(id: UserId) -> ServerEvent {
    ServerEvent { topic: Topic::User, id: id.0, audience: Audience::RoleAtLeast(Role::Admin) }
}

/// Creates an account.
///
/// Errors: `Validation` (any field; `email` `AlreadyTaken`; `team_id` `UnknownReference`).
pub async fn create_user(
    state: &AppState,
    admin: &Authenticated,
    input: NewUser,
) -> Result<UserSummary, AppError> {
    let valid = input.validate()?;
    let hash = hash_password(valid.password.clone()).await?;
    let mut tx = state.pool.begin().await?;
    let created = insert_audited(&mut tx, admin.actor(), &valid, &hash).await?;
    tx.commit().await?;
    Ok(created)
}

/// Inserts a validated account with its audit entry and change event, in the caller's
/// transaction.
async fn insert_audited(
    tx: &mut sqlx::PgConnection,
    actor: crate::auth::server::Actor,
    valid: &super::model::ValidNewUser,
    hash: &str,
) -> Result<UserSummary, AppError> {
    let id = repo::insert(&mut *tx, valid, hash).await?;
    let created = repo::get(&mut *tx, id).await?;
    record(&mut *tx, actor, Change::new("create", "user", id).after(&created)).await?;
    publish(&mut *tx, &user_event(id)).await?;
    Ok(created)
}

/// Creates the first admin of a database that has none (one set up without demo data), from
/// the server's command line. `Ok(None)` when an active admin already exists: further accounts
/// are made on the users page, where the change is attributed to the admin who made it.
///
/// Errors: `Validation` (any field).
pub async fn create_first_admin(
    pool: &sqlx::PgPool,
    email: &str,
    display_name: &str,
    password: String,
) -> Result<Option<UserSummary>, AppError> {
    let input = NewUser {
        email: email.to_owned(),
        display_name: display_name.to_owned(),
        role: Some(Role::Admin),
        team_id: None,
        password,
    };
    let valid = input.validate()?;
    let hash = hash_password(valid.password.clone()).await?;
    let mut tx = pool.begin().await?;
    // Two commands run at once must not both see "no admin yet".
    sqlx::query("select pg_advisory_xact_lock(hashtext('guanxi.first_admin'))")
        .execute(&mut *tx)
        .await?;
    let admins = sqlx::query_scalar!(
        r#"select count(*) as "admins!" from app_user where role = 'admin' and active"#
    )
    .fetch_one(&mut *tx)
    .await?;
    if admins > 0 {
        return Ok(None);
    }
    // No one signed in: the audit entry names no actor (the command line).
    let created = insert_audited(&mut tx, Default::default(), &valid, &hash).await?;
    tx.commit().await?;
    Ok(Some(created))
}

/// Finishes a version-checked write: `Conflict` when the record exists (someone saved first),
/// `NotFound` when it does not.
async fn stale_or_missing(
    executor: impl sqlx::PgExecutor<'_>,
    id: UserId,
) -> Result<UserSummary, AppError> {
    if repo::exists(executor, id).await? {
        Err(AppError::Conflict)
    } else {
        Err(AppError::NotFound)
    }
}

/// Changes name, role and team.
///
/// Errors: `Validation` (`display_name`; `role` `CannotChangeOwnAccess` when an admin would
/// demote themselves; `team_id` `UnknownReference`), `Conflict`, `NotFound`.
pub async fn update_user(
    state: &AppState,
    admin: &Authenticated,
    update: UserUpdate,
) -> Result<UserSummary, AppError> {
    let display_name = validate_display_name(&update.display_name)
        .map_err(|e| AppError::validation("display_name", e))?;
    if update.id == admin.id() && update.role != admin.role() {
        return Err(AppError::validation("role", FieldError::CannotChangeOwnAccess));
    }
    let mut tx = state.pool.begin().await?;
    let before = repo::get(&mut *tx, update.id).await?;
    if !repo::update(&mut *tx, &update, &display_name).await? {
        return stale_or_missing(&mut *tx, update.id).await;
    }
    let after = repo::get(&mut *tx, update.id).await?;
    let change = Change::new("update", "user", update.id).before(&before).after(&after);
    record(&mut *tx, admin.actor(), change).await?;
    publish(&mut *tx, &user_event(update.id)).await?;
    tx.commit().await?;
    Ok(after)
}

/// Activates or deactivates an account. Deactivating ends all of its sessions at once.
///
/// Errors: `Validation` (`active` `CannotChangeOwnAccess` for one's own account), `Conflict`,
/// `NotFound`.
pub async fn set_active(
    state: &AppState,
    admin: &Authenticated,
    id: UserId,
    version: i32,
    active: bool,
) -> Result<UserSummary, AppError> {
    if id == admin.id() {
        return Err(AppError::validation("active", FieldError::CannotChangeOwnAccess));
    }
    let mut tx = state.pool.begin().await?;
    let before = repo::get(&mut *tx, id).await?;
    if !repo::set_active(&mut *tx, id, version, active).await? {
        return stale_or_missing(&mut *tx, id).await;
    }
    if !active {
        auth_repo::delete_sessions_except(&mut *tx, id, None).await?;
    }
    let after = repo::get(&mut *tx, id).await?;
    let action = if active { "activate" } else { "deactivate" };
    record(&mut *tx, admin.actor(), Change::new(action, "user", id).before(&before).after(&after))
        .await?;
    publish(&mut *tx, &user_event(id)).await?;
    tx.commit().await?;
    Ok(after)
}

/// Creates a team.
///
/// Errors: `Validation` (`name` required, too long or `AlreadyTaken`).
pub async fn create_team(
    state: &AppState,
    admin: &Authenticated,
    name: &str,
) -> Result<TeamSummary, AppError> {
    let name = validate_team_name(name).map_err(|e| AppError::validation("name", e))?;
    let mut tx = state.pool.begin().await?;
    let id = repo::insert_team(&mut *tx, &name).await?;
    let team = TeamSummary { id, name, member_count: 0, version: 1 };
    record(&mut *tx, admin.actor(), Change::new("create", "team", id).after(&team)).await?;
    tx.commit().await?;
    Ok(team)
}

/// Renames a team.
///
/// Errors: `Validation` (`name`), `Conflict`, `NotFound`.
pub async fn rename_team(
    state: &AppState,
    admin: &Authenticated,
    id: TeamId,
    version: i32,
    name: &str,
) -> Result<(), AppError> {
    let name = validate_team_name(name).map_err(|e| AppError::validation("name", e))?;
    let mut tx = state.pool.begin().await?;
    match repo::rename_team(&mut *tx, id, version, &name).await? {
        None => return Err(AppError::NotFound),
        Some(false) => return Err(AppError::Conflict),
        Some(true) => {}
    }
    let change = Change::new("rename", "team", id).after(&serde_json::json!({ "name": name }));
    record(&mut *tx, admin.actor(), change).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets which records a role sees. Takes effect on each user's next request.
///
/// Errors: none beyond the database.
pub async fn set_scope(
    state: &AppState,
    admin: &Authenticated,
    scope: RoleScope,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    repo::set_scope(&mut *tx, &scope, admin.id()).await?;
    record(
        &mut *tx,
        admin.actor(),
        Change::new("scope_change", "role", scope.role.as_str()).after(&scope),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
