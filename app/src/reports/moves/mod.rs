//! Tier moves: the customers whose value tier went up or down in a range, month by month and
//! from which tier to which, with the customers behind every figure one tap away.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
#[cfg(feature = "ssr")]
pub mod workbook;
