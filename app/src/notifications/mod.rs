//! The notification centre: what concerns a user (assignments, tasks falling due, tickets close
//! to breaching or breached, detractors to follow up, mentions) under the bell, live, and by
//! email one by one or in a daily digest, as each user prefers per kind.
//!
//! Areas call `service::notify` inside the transaction of the write that concerns someone, so a
//! notification exists exactly when the write committed; each carries an event key, so one event
//! notifies a person once however often it is seen.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
