//! Automation and care rules: when something happens to a customer (it turns silent or former,
//! a birthday or anniversary comes near), if it matches the rule's tier, stage and segment, then
//! a task for its owner or an email in its language, once per occurrence, do-not-contact always
//! honoured. Rules are evaluated each morning through the job queue, or on demand. The care
//! calendar shows what is due each day, per person or for the team.

pub mod api;
pub mod calendar;
#[cfg(feature = "ssr")]
pub mod calendar_repo;
pub mod calendar_views;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod text;
pub mod views;
