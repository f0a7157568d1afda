//! SQL for sign-in, sessions and throttling.

use super::model::{CurrentUser, Role, ScopeKind, SessionSummary, TeamId, UserId};
use crate::{error::AppError, i18n::Locale};
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};
use std::net::IpAddr;
use uuid::Uuid;

/// A session's user with what the data scope needs.
pub struct SessionUser {
    pub user: CurrentUser,
    pub team_member_ids: Vec<i64>,
}

pub(crate) fn parse_role(value: &str) -> Result<Role, AppError> {
    Role::parse(value).map_err(|_| AppError::internal(format_args!("unknown role {value:?}")))
}

pub(crate) fn parse_scope(value: &str) -> Result<ScopeKind, AppError> {
    ScopeKind::parse(value).map_err(|_| AppError::internal(format_args!("unknown scope {value:?}")))
}

/// The user behind a session row, refreshing `last_seen_at` at most once a minute. A session
/// past its absolute expiry, or unused for longer than `idle`, has no user.
pub async fn load_session_user(
    pool: &PgPool,
    session_id: Uuid,
    idle: chrono::Duration,
) -> Result<Option<SessionUser>, AppError> {
    let row = sqlx::query!(
        r#"
        with touched as (
            update user_session set last_seen_at = now()
            where id = $1 and expires_at > now() and last_seen_at < now() - interval '1 minute'
              and last_seen_at > now() - $2 * interval '1 second'
            returning id
        )
        select u.id, u.email, u.display_name, u.role, u.team_id, t.name as "team_name?",
               u.locale, s.scope, u.must_change_password,
               coalesce(
                   case when s.scope = 'team' and u.team_id is not null then
                       (select array_agg(m.id order by m.id) from app_user m
                        where m.team_id = u.team_id)
                   end,
                   '{}'
               ) as "team_member_ids!"
        from user_session us
        join app_user u on u.id = us.user_id
        left join team t on t.id = u.team_id
        join role_data_scope s on s.role = u.role
        where us.id = $1 and us.expires_at > now() and u.active
          and us.last_seen_at > now() - $2 * interval '1 second'
        "#,
        session_id,
        idle.num_seconds() as f64
    )
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(SessionUser {
            user: CurrentUser {
                id: UserId(r.id),
                email: r.email,
                display_name: r.display_name,
                role: parse_role(&r.role)?,
                team_id: r.team_id.map(TeamId),
                team_name: r.team_name,
                locale: Locale::from_stored(&r.locale),
                scope: parse_scope(&r.scope)?,
                must_change_password: r.must_change_password,
            },
            team_member_ids: r.team_member_ids,
        })
    })
    .transpose()
}

/// The current-user view of one account, as returned after signing in.
pub async fn load_user(pool: &PgPool, user_id: UserId) -> Result<CurrentUser, AppError> {
    let r = sqlx::query!(
        r#"
        select u.id, u.email, u.display_name, u.role, u.team_id, t.name as "team_name?",
               u.locale, s.scope, u.must_change_password
        from app_user u
        left join team t on t.id = u.team_id
        join role_data_scope s on s.role = u.role
        where u.id = $1
        "#,
        user_id.0
    )
    .fetch_one(pool)
    .await?;
    Ok(CurrentUser {
        id: UserId(r.id),
        email: r.email,
        display_name: r.display_name,
        role: parse_role(&r.role)?,
        team_id: r.team_id.map(TeamId),
        team_name: r.team_name,
        locale: Locale::from_stored(&r.locale),
        scope: parse_scope(&r.scope)?,
        must_change_password: r.must_change_password,
    })
}

/// Id, password hash and active flag of the account with this (normalised) email.
pub async fn find_credentials(
    pool: &PgPool,
    email: &str,
) -> Result<Option<(UserId, String, bool)>, AppError> {
    let row =
        sqlx::query!("select id, password_hash, active from app_user where email = $1", email)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|r| (UserId(r.id), r.password_hash, r.active)))
}

pub async fn password_hash(pool: &PgPool, user_id: UserId) -> Result<String, AppError> {
    Ok(sqlx::query_scalar!("select password_hash from app_user where id = $1", user_id.0)
        .fetch_one(pool)
        .await?)
}

pub async fn set_password_hash(
    executor: impl PgExecutor<'_>,
    user_id: UserId,
    hash: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "update app_user set password_hash = $2, must_change_password = false, updated_at = now(),
                             version = version + 1
         where id = $1",
        user_id.0,
        hash
    )
    .execute(executor)
    .await?;
    Ok(())
}

pub async fn create_session(
    executor: impl PgExecutor<'_>,
    user_id: UserId,
    expires_at: DateTime<Utc>,
    user_agent: Option<&str>,
    client_ip: Option<IpAddr>,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    sqlx::query!(
        "insert into user_session (id, user_id, expires_at, user_agent, client_ip)
         values ($1, $2, $3, left($4, 300), $5::text::inet)",
        id,
        user_id.0,
        expires_at as _,
        user_agent,
        client_ip.map(|ip| ip.to_string()),
    )
    .execute(executor)
    .await?;
    Ok(id)
}

pub async fn delete_session(pool: &PgPool, session_id: Uuid) -> Result<(), AppError> {
    sqlx::query!("delete from user_session where id = $1", session_id).execute(pool).await?;
    Ok(())
}

/// Ends every session of the user except `keep` (or all of them when `keep` is `None`).
pub async fn delete_sessions_except(
    executor: impl PgExecutor<'_>,
    user_id: UserId,
    keep: Option<Uuid>,
) -> Result<u64, AppError> {
    let done = sqlx::query!(
        "delete from user_session where user_id = $1 and ($2::uuid is null or id <> $2)",
        user_id.0,
        keep
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

pub async fn list_sessions(
    pool: &PgPool,
    user_id: UserId,
    current: Uuid,
) -> Result<Vec<SessionSummary>, AppError> {
    let rows = sqlx::query!(
        r#"select id, created_at as "created_at: DateTime<Utc>",
                  last_seen_at as "last_seen_at: DateTime<Utc>",
                  expires_at as "expires_at: DateTime<Utc>", user_agent,
                  host(client_ip) as client_ip
           from user_session
           where user_id = $1 and expires_at > now()
           order by created_at desc"#,
        user_id.0
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SessionSummary {
            id: r.id,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
            user_agent: r.user_agent,
            client_ip: r.client_ip,
            is_current: r.id == current,
        })
        .collect())
}

pub async fn set_locale(pool: &PgPool, user_id: UserId, locale: Locale) -> Result<(), AppError> {
    sqlx::query!("update app_user set locale = $2 where id = $1", user_id.0, locale.tag())
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn clear_login_failures(pool: &PgPool, email: &str) -> Result<(), AppError> {
    sqlx::query!("delete from login_failure where email = $1", email).execute(pool).await?;
    Ok(())
}

/// Counts a sign-in attempt as a failure before its password is checked (a successful one
/// clears it with the account's other failures), unless the account or address is throttled:
/// then it returns when attempts may resume and records nothing.
///
/// Throttled means the window holds at least the allowed number of failures; attempts resume
/// when the oldest of the most recent `max` failures leaves the window. Transaction-scoped
/// advisory locks on the account and the address make the check and the record one step:
/// parallel attempts queue on them instead of all passing the check.
pub async fn reserve_attempt(
    pool: &PgPool,
    email: &str,
    client_ip: Option<IpAddr>,
    window: chrono::Duration,
    max_per_account: i64,
    max_per_address: i64,
) -> Result<Result<(), DateTime<Utc>>, AppError> {
    let window_secs = window.num_seconds() as f64;
    let address = client_ip.map(|ip| ip.to_string());
    let mut tx = pool.begin().await?;
    // Always the account first, then the address: one order, so two attempts never wait on
    // each other's second lock.
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtextextended('sign-in account ' || $1, 0))",
        email
    )
    .execute(&mut *tx)
    .await?;
    if let Some(address) = &address {
        sqlx::query!(
            "select pg_advisory_xact_lock(hashtextextended('sign-in address ' || $1, 0))",
            address
        )
        .execute(&mut *tx)
        .await?;
    }
    let until = sqlx::query_scalar!(
        r#"
        select greatest(
            (select failed_at from login_failure
             where email = $1 and failed_at > now() - $3 * interval '1 second'
             order by failed_at desc offset $4 - 1 limit 1),
            (select failed_at from login_failure
             where client_ip = $2::text::inet and failed_at > now() - $3 * interval '1 second'
             order by failed_at desc offset $5 - 1 limit 1)
        ) + $3 * interval '1 second' as "until: DateTime<Utc>"
        "#,
        email,
        address,
        window_secs,
        max_per_account as i32,
        max_per_address as i32,
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(until) = until.filter(|until| *until > Utc::now()) {
        return Ok(Err(until));
    }
    sqlx::query!(
        "insert into login_failure (email, client_ip) values ($1, $2::text::inet)",
        email,
        address
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Checks that `user` may be given a record by `caller` (an owner, an assignee): inside the
/// caller's scope and active. Refusals name `field`.
pub async fn check_assignable(
    executor: impl PgExecutor<'_>,
    caller: &crate::auth::server::Authenticated,
    user: UserId,
    field: &str,
) -> Result<(), AppError> {
    use crate::error::FieldError;
    if !caller.scope.can_see_owner(Some(user)) {
        return Err(AppError::validation(field, FieldError::OwnerOutOfScope));
    }
    let active = sqlx::query_scalar!(
        r#"select exists(select 1 from app_user where id = $1 and active) as "e!""#,
        user.0
    )
    .fetch_one(executor)
    .await?;
    if !active {
        return Err(AppError::validation(field, FieldError::UnknownReference));
    }
    Ok(())
}

/// The active users among `visible_owners` (everyone when `None`), by name: whom a caller may
/// pick as an owner, an assignee or a person to look at.
pub async fn visible_users(
    pool: &PgPool,
    visible_owners: Option<&[i64]>,
) -> Result<Vec<(UserId, String)>, AppError> {
    Ok(sqlx::query!(
        "select id, display_name from app_user
         where active and ($1::bigint[] is null or id = any($1)) order by display_name",
        visible_owners as _
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (UserId(r.id), r.display_name))
    .collect())
}
