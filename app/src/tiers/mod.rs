//! Value tiers: RFM scores, admin-defined tiers with explainable rules and a live preview,
//! manual overrides, saved segments, and the distribution of customers across them.

pub mod api;
pub mod model;
/// The rule language lives in its own crate (`app/tier-rule`), small enough to fuzz.
pub use tier_rule as rule;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
