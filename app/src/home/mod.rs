//! The start page after signing in: a dashboard of tiles per role (a member's day, a manager's
//! team, an admin's company), each read within the caller's data scope and linking to the list
//! behind it, arranged and hidden per user, with the reports a user saved as tiles of their own.

pub mod api;
pub mod model;
pub mod report_tile;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
