//! Sign-in and password changes: the steps that span throttling, hashing, sessions and audit.

use crate::auth::{
    model::{CurrentUser, UserId, normalize_email, validate_new_password},
    repo,
    server::{Actor, Authenticated, hash_password, verify_password, verify_password_in_turn},
};
use crate::{
    audit::repo::{Change, record},
    error::{AppError, FieldError, FieldErrors},
    state::AppState,
};
use std::net::IpAddr;
use uuid::Uuid;

/// Longest email a sign-in looks up (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;

/// Who is trying to sign in, from where.
pub struct SignInAttempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub client_ip: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
}

/// Checks the credentials and opens a session row. The caller stores the returned id in a
/// freshly cycled cookie session.
///
/// Errors: `Validation` (empty fields, an email too long to be one), `Throttled` (too many
/// attempts from this address, or recent failures for this account or address; checked before
/// the password so guessing gains nothing), `Busy` (every password check slot stayed taken),
/// `BadCredentials` (unknown email, wrong password or deactivated account, indistinguishably).
pub async fn sign_in(
    state: &AppState,
    attempt: SignInAttempt<'_>,
) -> Result<(Uuid, CurrentUser), AppError> {
    let email = normalize_email(attempt.email);
    let mut errors = FieldErrors::new();
    if email.is_empty() {
        errors.add("email", FieldError::Required);
    }
    if attempt.password.is_empty() {
        errors.add("password", FieldError::Required);
    }
    errors.into_result()?;

    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(AppError::validation(
            "email",
            FieldError::TooLong { max: MAX_EMAIL_CHARS as u32 },
        ));
    }

    let pool = &state.pool;
    let settings = &state.settings;
    let guard = &state.sign_in_guard;
    if let Some(address) = attempt.client_ip {
        guard.check_address(address)?;
    }
    let turn = guard.hashing_turn().await?;
    // The attempt is counted before the password is checked, under a lock per account and
    // address, so parallel guesses cannot all pass the throttle before any is recorded.
    repo::reserve_attempt(
        pool,
        &email,
        attempt.client_ip,
        settings.throttle_window,
        settings.max_failures_per_account,
        settings.max_failures_per_address,
    )
    .await?
    .map_err(|until| AppError::Throttled {
        retry_after_secs: (until - chrono::Utc::now()).num_seconds().max(1) as u64,
    })?;

    let credentials = repo::find_credentials(pool, &email).await?;
    let matched = verify_password_in_turn(
        turn,
        attempt.password.to_owned(),
        credentials.as_ref().map(|c| c.1.clone()),
    )
    .await;
    let actor = Actor { user_id: None, client_ip: attempt.client_ip };
    let user_id = match credentials {
        Some((id, _, true)) if matched => id,
        _ => {
            // The reserved attempt stays: it is the failure's record.
            let entity = credentials.map(|c| c.0.to_string()).unwrap_or_else(|| email.clone());
            record(pool, actor, Change::new("sign_in_failed", "user", entity)).await?;
            return Err(AppError::BadCredentials);
        }
    };
    let mut tx = pool.begin().await?;
    let expires_at = chrono::Utc::now() + settings.session_absolute;
    let session_id =
        repo::create_session(&mut *tx, user_id, expires_at, attempt.user_agent, attempt.client_ip)
            .await?;
    let actor = Actor { user_id: Some(user_id), client_ip: attempt.client_ip };
    record(&mut *tx, actor, Change::new("sign_in", "user", user_id)).await?;
    tx.commit().await?;
    repo::clear_login_failures(pool, &email).await?;
    Ok((session_id, repo::load_user(pool, user_id).await?))
}

/// The new password of a change-password form, checked field by field.
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
    pub confirm: &'a str,
}

/// Changes the caller's password and ends their other sessions; this one stays signed in.
///
/// Errors: `Validation` on `current_password` (wrong), `new_password` (too short/long) or
/// `confirm_password` (differs).
pub async fn change_password(
    state: &AppState,
    caller: &Authenticated,
    change: PasswordChange<'_>,
) -> Result<u64, AppError> {
    let mut errors = FieldErrors::new();
    errors.check("new_password", validate_new_password(change.new));
    if change.new != change.confirm {
        errors.add("confirm_password", FieldError::PasswordsDiffer);
    }
    let pool = &state.pool;
    let stored = repo::password_hash(pool, caller.id()).await?;
    if !verify_password(change.current.to_owned(), Some(stored)).await {
        errors.add("current_password", FieldError::WrongCurrentPassword);
    }
    errors.into_result()?;

    let hash = hash_password(change.new.to_owned()).await?;
    let mut tx = pool.begin().await?;
    repo::set_password_hash(&mut *tx, caller.id(), &hash).await?;
    let ended =
        repo::delete_sessions_except(&mut *tx, caller.id(), Some(caller.session_id)).await?;
    record(&mut *tx, caller.actor(), Change::new("password_change", "user", caller.id())).await?;
    tx.commit().await?;
    Ok(ended)
}

/// Sets a user's password on an admin's behalf and ends all of that user's sessions.
///
/// Errors: `Validation` on `new_password`, `NotFound`.
pub async fn reset_password(
    state: &AppState,
    admin: &Authenticated,
    user_id: UserId,
    new_password: &str,
) -> Result<(), AppError> {
    validate_new_password(new_password).map_err(|e| AppError::validation("new_password", e))?;
    let hash = hash_password(new_password.to_owned()).await?;
    let mut tx = state.pool.begin().await?;
    let exists = sqlx::query_scalar!("select id from app_user where id = $1 for update", user_id.0)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(AppError::NotFound);
    }
    repo::set_password_hash(&mut *tx, user_id, &hash).await?;
    // The admin knows this password: the user replaces it at their next sign-in.
    sqlx::query!("update app_user set must_change_password = true where id = $1", user_id.0)
        .execute(&mut *tx)
        .await?;
    repo::delete_sessions_except(&mut *tx, user_id, None).await?;
    record(&mut *tx, admin.actor(), Change::new("password_reset", "user", user_id)).await?;
    tx.commit().await?;
    Ok(())
}
