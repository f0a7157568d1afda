//! Win/loss: the opportunities closed in a range, won against lost by count and amount, how long
//! each took, why the lost ones were lost, and each rep's record, with the deals behind every
//! figure one tap away.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
#[cfg(feature = "ssr")]
pub mod workbook;
