//! Cohort retention: customers grouped by the month of their first order, and the share of each
//! group that ordered again in every later month, read from monthly counts kept by triggers.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
