//! Leads from every channel: manual entry, public web forms, routing to owners, follow-up,
//! qualification and conversion into a customer and an opportunity.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
