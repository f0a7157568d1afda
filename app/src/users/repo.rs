//! SQL for accounts, teams and role scopes.

use super::model::{RoleScope, TeamSummary, UserFilter, UserSummary, ValidNewUser};
use crate::{
    auth::{
        model::{TeamId, UserId},
        repo::{parse_role, parse_scope},
    },
    error::{AppError, FieldError, violated_constraint},
    i18n::Locale,
    paging::Page,
};
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

/// Escapes `%`, `_` and `\` so user input matches literally inside a LIKE pattern.
pub fn like_fragment(input: &str) -> String {
    let mut escaped = String::with_capacity(input.len() + 2);
    escaped.push('%');
    for c in input.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

/// Maps the constraint violations of user writes to the field they concern.
fn user_write_error(error: sqlx::Error) -> AppError {
    match violated_constraint(&error) {
        Some("app_user_email_key") => AppError::validation("email", FieldError::AlreadyTaken),
        Some("app_user_team_id_fkey") => {
            AppError::validation("team_id", FieldError::UnknownReference)
        }
        _ => error.into(),
    }
}

pub async fn list(
    pool: &PgPool,
    filter: &UserFilter,
    after_id: Option<i64>,
    limit: i64,
) -> Result<Page<UserSummary>, AppError> {
    let search = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let rows = sqlx::query!(
        r#"
        select u.id, u.email, u.display_name, u.role, u.team_id, t.name as "team_name?",
               u.active, u.locale, u.created_at as "created_at: DateTime<Utc>", u.version
        from app_user u
        left join team t on t.id = u.team_id
        where ($1::bigint is null or u.id > $1)
          and ($2::text is null or u.email ilike $2 or u.display_name ilike $2)
          and ($3::text is null or u.role = $3)
          and ($4::bigint is null or u.team_id = $4)
          and ($5::boolean is null or u.active = $5)
        order by u.id
        limit $6
        "#,
        after_id,
        search.map(like_fragment),
        filter.role.map(|r| r.as_str()),
        filter.team_id.map(|t| t.0),
        filter.active,
        limit + 1,
    )
    .fetch_all(pool)
    .await?;
    let users = rows
        .into_iter()
        .map(|r| {
            Ok(UserSummary {
                id: UserId(r.id),
                email: r.email,
                display_name: r.display_name,
                role: parse_role(&r.role)?,
                team_id: r.team_id.map(TeamId),
                team_name: r.team_name,
                active: r.active,
                locale: Locale::from_stored(&r.locale),
                created_at: r.created_at,
                version: r.version,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(Page::from_overfetch(users, limit, |u: &UserSummary| u.id.0))
}

/// One account.
///
/// Errors: `NotFound`.
pub async fn get(executor: impl PgExecutor<'_>, id: UserId) -> Result<UserSummary, AppError> {
    let r = sqlx::query!(
        r#"
        select u.id, u.email, u.display_name, u.role, u.team_id, t.name as "team_name?",
               u.active, u.locale, u.created_at as "created_at: DateTime<Utc>", u.version
        from app_user u
        left join team t on t.id = u.team_id
        where u.id = $1
        "#,
        id.0,
    )
    .fetch_optional(executor)
    .await?;
    let r = r.ok_or(AppError::NotFound)?;
    Ok(UserSummary {
        id: UserId(r.id),
        email: r.email,
        display_name: r.display_name,
        role: parse_role(&r.role)?,
        team_id: r.team_id.map(TeamId),
        team_name: r.team_name,
        active: r.active,
        locale: Locale::from_stored(&r.locale),
        created_at: r.created_at,
        version: r.version,
    })
}

pub async fn insert(
    executor: impl PgExecutor<'_>,
    user: &ValidNewUser,
    password_hash: &str,
) -> Result<UserId, AppError> {
    let id = sqlx::query_scalar!(
        "insert into app_user (email, display_name, password_hash, role, team_id)
         values ($1, $2, $3, $4, $5) returning id",
        user.email,
        user.display_name,
        password_hash,
        user.role.as_str(),
        user.team_id.map(|t| t.0),
    )
    .fetch_one(executor)
    .await
    .map_err(user_write_error)?;
    Ok(UserId(id))
}

/// Applies an edit if `version` is still current. `false` means someone saved first.
pub async fn update(
    executor: impl PgExecutor<'_>,
    update: &super::model::UserUpdate,
    display_name: &str,
) -> Result<bool, AppError> {
    let done = sqlx::query!(
        "update app_user set display_name = $3, role = $4, team_id = $5,
                version = version + 1, updated_at = now()
         where id = $1 and version = $2",
        update.id.0,
        update.version,
        display_name,
        update.role.as_str(),
        update.team_id.map(|t| t.0),
    )
    .execute(executor)
    .await
    .map_err(user_write_error)?;
    Ok(done.rows_affected() == 1)
}

/// Activates or deactivates if `version` is still current. `false` means someone saved first.
pub async fn set_active(
    executor: impl PgExecutor<'_>,
    id: UserId,
    version: i32,
    active: bool,
) -> Result<bool, AppError> {
    let done = sqlx::query!(
        "update app_user set active = $3, version = version + 1, updated_at = now()
         where id = $1 and version = $2",
        id.0,
        version,
        active,
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn exists(executor: impl PgExecutor<'_>, id: UserId) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(r#"select exists(select 1 from app_user where id = $1) as "e!""#, id.0)
        .fetch_one(executor)
        .await?)
}

pub async fn list_teams(pool: &PgPool) -> Result<Vec<TeamSummary>, AppError> {
    let rows = sqlx::query!(
        r#"
        select t.id, t.name, t.version,
               (select count(*) from app_user u where u.team_id = t.id and u.active) as "members!"
        from team t
        order by t.name
        "#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TeamSummary {
            id: TeamId(r.id),
            name: r.name,
            member_count: r.members,
            version: r.version,
        })
        .collect())
}

fn team_write_error(error: sqlx::Error) -> AppError {
    match violated_constraint(&error) {
        Some("team_name_key") => AppError::validation("name", FieldError::AlreadyTaken),
        _ => error.into(),
    }
}

pub async fn insert_team(executor: impl PgExecutor<'_>, name: &str) -> Result<TeamId, AppError> {
    let id = sqlx::query_scalar!("insert into team (name) values ($1) returning id", name)
        .fetch_one(executor)
        .await
        .map_err(team_write_error)?;
    Ok(TeamId(id))
}

/// Renames if `version` is current; `None` when the team is missing, `Some(false)` on conflict.
pub async fn rename_team(
    executor: impl PgExecutor<'_>,
    id: TeamId,
    version: i32,
    name: &str,
) -> Result<Option<bool>, AppError> {
    let row = sqlx::query_scalar!(
        r#"
        with target as (select id, version from team where id = $1),
        renamed as (
            update team set name = $3, version = version + 1, updated_at = now()
            where id = $1 and version = $2
            returning id
        )
        select (select count(*) from renamed) = 1 as "renamed!" from target
        "#,
        id.0,
        version,
        name,
    )
    .fetch_optional(executor)
    .await
    .map_err(team_write_error)?;
    Ok(row)
}

pub async fn list_scopes(pool: &PgPool) -> Result<Vec<RoleScope>, AppError> {
    let rows = sqlx::query!(
        "select role, scope from role_data_scope
         order by case role when 'admin' then 0 when 'manager' then 1 else 2 end"
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| Ok(RoleScope { role: parse_role(&r.role)?, scope: parse_scope(&r.scope)? }))
        .collect()
}

pub async fn set_scope(
    executor: impl PgExecutor<'_>,
    scope: &RoleScope,
    by: UserId,
) -> Result<(), AppError> {
    sqlx::query!(
        "update role_data_scope set scope = $2, updated_at = now(), updated_by = $3
         where role = $1",
        scope.role.as_str(),
        scope.scope.as_str(),
        by.0,
    )
    .execute(executor)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_fragment_escapes_wildcards() {
        assert_eq!(like_fragment("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
