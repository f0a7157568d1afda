//! Customers: records, contacts, the list with search and filters, the 360 view, duplicates and
//! merges. Orders and interactions live in their own domains and show up here through the
//! timeline and the 360 sections.

pub mod api;
#[cfg(feature = "ssr")]
pub mod dedupe;
pub mod dedupe_model;
pub mod labels;
pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod timeline;
pub mod views;
