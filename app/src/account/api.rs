//! Server functions for signing in and out and for one's own account: language, sessions and
//! password.

use crate::{
    auth::model::{CurrentUser, SessionSummary},
    error::AppError,
    i18n::Locale,
};
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
async fn cookie_session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|e| AppError::internal(format_args!("session layer missing: {e}")))
}

#[cfg(feature = "ssr")]
fn session_error(error: tower_sessions::session::Error) -> AppError {
    AppError::internal(format_args!("session store: {error}"))
}

/// Signs in with email and password. The cookie session gets a new id (no fixation) and points
/// at a new session row; a session already open in this browser is ended first.
///
/// Anyone may call it; it uses the form encoding so the sign-in form works before the page has
/// hydrated. Errors: `Validation`, `Throttled`, `BadCredentials`.
#[server]
pub async fn sign_in(email: String, password: String) -> Result<CurrentUser, AppError> {
    use super::service;
    use crate::auth::{
        repo,
        server::{SESSION_KEY, request_context},
    };
    use crate::state::AppState;
    let state = AppState::from_context()?;
    let context = request_context()?;
    let attempt = service::SignInAttempt {
        email: &email,
        password: &password,
        client_ip: context.client_ip,
        user_agent: context.user_agent.as_deref(),
    };
    let (session_row, user) = service::sign_in(&state, attempt).await?;
    if let Some(previous) = &context.user {
        repo::delete_session(&state.pool, previous.session_id).await?;
    }
    let session = cookie_session().await?;
    session.cycle_id().await.map_err(session_error)?;
    session.insert(SESSION_KEY, session_row).await.map_err(session_error)?;
    Ok(user)
}

/// Signs out this browser: ends its session row and deletes the cookie session.
///
/// Anyone may call it (signing out when signed out does nothing). Errors: none.
#[server(input = Json)]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::auth::{repo, server::request_context};
    use crate::{
        audit::repo::{Change, record},
        state::AppState,
    };
    let state = AppState::from_context()?;
    if let Some(caller) = request_context()?.user {
        repo::delete_session(&state.pool, caller.session_id).await?;
        record(&state.pool, caller.actor(), Change::new("sign_out", "user", caller.id())).await?;
    }
    cookie_session().await?.flush().await.map_err(session_error)?;
    Ok(())
}

/// Saves the language choice: on the account when signed in, and in a cookie for the sign-in
/// page.
///
/// Anyone may call it. Errors: none beyond transport.
#[server(input = Json)]
pub async fn set_locale(locale: Locale) -> Result<(), AppError> {
    use crate::auth::{
        repo,
        server::{LOCALE_COOKIE, request_context},
    };
    use crate::state::AppState;
    use http::{HeaderValue, header::SET_COOKIE};
    let state = AppState::from_context()?;
    if let Some(caller) = request_context()?.user {
        repo::set_locale(&state.pool, caller.id(), locale).await?;
    }
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{LOCALE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{secure}",
        locale.tag()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        expect_context::<leptos_axum::ResponseOptions>().append_header(SET_COOKIE, value);
    }
    Ok(())
}

/// The caller's open sessions, newest first, the current one marked.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn list_my_sessions() -> Result<Vec<SessionSummary>, AppError> {
    use crate::auth::{model::Role, repo, server::require_even_before_password_change as require};
    use crate::state::AppState;
    let caller = require(Role::Member)?;
    let state = AppState::from_context()?;
    repo::list_sessions(&state.pool, caller.id(), caller.session_id).await
}

/// Ends every session of the caller except this one; returns how many ended.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn sign_out_other_sessions() -> Result<u64, AppError> {
    use crate::auth::{model::Role, repo, server::require_even_before_password_change as require};
    use crate::{
        audit::repo::{Change, record},
        state::AppState,
    };
    let caller = require(Role::Member)?;
    let state = AppState::from_context()?;
    let mut tx = state.pool.begin().await?;
    let ended =
        repo::delete_sessions_except(&mut *tx, caller.id(), Some(caller.session_id)).await?;
    record(&mut *tx, caller.actor(), Change::new("sign_out_others", "user", caller.id())).await?;
    tx.commit().await?;
    Ok(ended)
}

/// Changes the caller's password; their other sessions end. Returns how many ended.
///
/// Any signed-in user. Errors: `Unauthorized`, `Validation` on `current_password`,
/// `new_password`, `confirm_password`.
#[server(input = Json)]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<u64, AppError> {
    use super::service;
    use crate::auth::{model::Role, server::require_even_before_password_change as require};
    use crate::state::AppState;
    let caller = require(Role::Member)?;
    let state = AppState::from_context()?;
    let change = service::PasswordChange {
        current: &current_password,
        new: &new_password,
        confirm: &confirm_password,
    };
    service::change_password(&state, &caller, change).await
}
