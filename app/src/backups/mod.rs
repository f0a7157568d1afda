//! Backups the server takes by itself: nightly (when a backup folder is configured) or when an
//! admin asks, each restored into a scratch database and compared with its manifest, and a page
//! that shows the last ones. `archive` is the backup and restore itself, shared with the
//! `server backup` and `server restore` commands.

pub mod api;
#[cfg(feature = "ssr")]
pub mod archive;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
