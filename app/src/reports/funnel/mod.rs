//! The lead funnel: the leads created in a range followed through first contact, conversion to
//! an opportunity and a won deal, with the rate and the median days of each step, the same
//! funnel for each lead source beside the revenue its customers brought since converting, and
//! the leads behind every figure one tap away.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
#[cfg(feature = "ssr")]
pub mod workbook;
