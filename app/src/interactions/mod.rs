//! Interactions with customers: calls, emails, meetings, visits, WeChat messages, notes.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
