//! Imports of customers, orders (with their lines) and interactions, from CSV (UTF-8, GBK,
//! UTF-16) or Excel, with column mapping, a check before importing, per-row reasons, progress,
//! resumption and revert; and the customer export.

pub mod api;
pub mod fields;
#[cfg(feature = "ssr")]
pub mod history;
#[cfg(feature = "ssr")]
pub mod matching;
pub mod model;
#[cfg(feature = "ssr")]
pub mod process;
#[cfg(feature = "ssr")]
pub mod read;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
