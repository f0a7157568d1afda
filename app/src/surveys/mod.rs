//! Satisfaction surveys: the builder, sending by email with single-use links, the public answer
//! page, follow-up tickets for detractors, and the results.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
