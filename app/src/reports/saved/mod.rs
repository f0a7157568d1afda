//! Reports saved to the dashboard: a report page's query kept as a tile (its dates as saved or
//! rolling with today), read with the reader's own scope whenever the dashboard opens.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
