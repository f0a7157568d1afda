//! Sales pipelines: stages, opportunities on a live kanban board, and the forecast.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
