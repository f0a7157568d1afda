//! Server functions of the bell and the notification preferences. Each works on the caller's
//! own notifications only.

use super::model::{Inbox, Preferences};
use crate::error::AppError;
use leptos::{prelude::*, server_fn::codec::Json};

/// Notifications shown per page under the bell.
pub const INBOX_PAGE: i64 = 20;

/// The caller's newest notifications (older ones before `before`) and the unread count.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn my_notifications(before: Option<i64>) -> Result<Inbox, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::inbox(&state.pool, caller.id(), before, INBOX_PAGE).await
}

/// Marks the caller's notifications `ids` read, or all of them when `ids` is `None`.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn mark_notifications_read(ids: Option<Vec<i64>>) -> Result<u64, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::mark_read(&state.pool, caller.id(), ids.as_deref()).await
}

/// The caller's notification preferences.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn my_notification_preferences() -> Result<Preferences, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::preferences(&state.pool, caller.id()).await
}

/// Saves the caller's notification preferences.
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn save_notification_preferences(preferences: Preferences) -> Result<(), AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    super::service::save_preferences(&state.pool, caller.id(), &preferences).await
}
