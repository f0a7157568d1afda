//! The global search (Ctrl+K / Cmd+K from anywhere): customers, contacts, leads, opportunities,
//! tickets and products by name, phone, email or number fragment, grouped by kind, within the
//! caller's data scope.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod views;
