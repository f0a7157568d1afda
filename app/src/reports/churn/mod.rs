//! Churn: the customers that became former in a range, month by month, why they left (as
//! written when they were marked former) and what they had brought in, with the customers
//! behind every figure one tap away.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
#[cfg(feature = "ssr")]
pub mod workbook;
