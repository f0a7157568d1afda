//! The company's own settings: today its time zone, in which every day, week and month is
//! counted (forecast months, activity windows, RFM windows, the service calendar, the nightly
//! jobs) and every time is shown.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod views;
