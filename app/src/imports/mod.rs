//! Customer import from CSV (UTF-8 or GBK) with column mapping, a check before importing,
//! per-row reasons, progress, resumption and revert; and export of the customer list.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod process;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
