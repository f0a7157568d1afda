//! The audit trail: who changed what, when, with the record before and after.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod views;
