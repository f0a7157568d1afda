//! Tasks on customers, leads and opportunities: "my day", recurring care tasks and reminders.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
