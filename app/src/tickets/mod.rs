//! The service desk: tickets in queues with SLA clocks over business hours, the conversation,
//! claiming and assignment, and the service quality report.

pub mod api;
#[cfg(feature = "ssr")]
pub mod email;
pub mod model;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
