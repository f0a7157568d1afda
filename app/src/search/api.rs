//! The global search's server function.

use super::model::SearchHit;
use crate::error::AppError;
use leptos::{prelude::*, server_fn::codec::Json};

/// Records matching `query` that the caller may see, grouped by kind.
///
/// Any signed-in user (their scope applies). Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn global_search(query: String) -> Result<Vec<SearchHit>, AppError> {
    let caller = crate::auth::server::require(crate::auth::model::Role::Member)?;
    let state = crate::state::AppState::from_context()?;
    let locale = crate::auth::server::request_context()?.locale;
    // A pasted page of text is not a search; the index needs no more than a name or a number.
    let query: String = query.chars().take(100).collect();
    super::repo::search(&state.pool, &caller, locale, &query).await
}
