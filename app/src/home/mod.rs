//! The start page after signing in: a dashboard of tiles per role (a member's day, a manager's
//! team, an admin's company), each read within the caller's data scope and linking to the list
//! behind it, arranged and hidden per user.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
