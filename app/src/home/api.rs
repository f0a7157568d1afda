//! The dashboard's server functions.

use super::model::{DashboardLayout, Tile, TileId, TileKind};
use crate::error::AppError;
use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
fn caller()
-> Result<(std::sync::Arc<crate::auth::server::Authenticated>, crate::state::AppState), AppError> {
    Ok((
        crate::auth::server::require(crate::auth::model::Role::Member)?,
        crate::state::AppState::from_context()?,
    ))
}

/// The caller's dashboard: their tiles in order and the ones they hid (their role's defaults
/// until they arrange their own).
///
/// Any signed-in user. Errors: `Unauthorized`.
#[server(input = Json)]
pub async fn get_dashboard_layout() -> Result<DashboardLayout, AppError> {
    let (caller, state) = caller()?;
    super::service::layout(&state.pool, &caller).await
}

/// Saves the caller's tiles in order; the tiles left out are hidden.
///
/// Any signed-in user, for their own dashboard. Errors: `Unauthorized`, `Validation`
/// (`tiles.N`: a tile above the caller's role, a report they did not save, or a tile listed
/// twice), `Conflict` (saved elsewhere since `version` was read).
#[server(input = Json)]
pub async fn save_dashboard_layout(
    tiles: Vec<TileId>,
    version: i32,
) -> Result<DashboardLayout, AppError> {
    let (caller, state) = caller()?;
    super::service::save_layout(&state.pool, &caller, &tiles, version).await
}

/// One tile's figures, within the caller's data scope.
///
/// Any signed-in user for the tiles of their role. Errors: `Unauthorized`, `Forbidden` (a tile
/// above the caller's role).
#[server(input = Json)]
pub async fn get_dashboard_tile(kind: TileKind) -> Result<Tile, AppError> {
    let (caller, state) = caller()?;
    // The process's cached zone: thirteen tiles per page need not read it thirteen times.
    let today = crate::clock::today(state.clock.zone(&state.pool).await);
    super::service::tile(&state.pool, &caller, kind, today).await
}
