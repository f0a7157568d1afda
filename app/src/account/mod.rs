//! Signing in and out, and one's own account: language, open sessions, password. The identity
//! every area checks (users, roles, scopes, the request's caller) lives in `auth`, below them.

pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
