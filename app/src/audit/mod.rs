//! The audit trail: who changed what, when, with the record before and after. Every area that
//! writes records here inside its own transaction; the admin's page is `audit_log`.

pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
