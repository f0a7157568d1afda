//! Who is calling: users, roles, data scopes, sessions, the role guard and the sign-in
//! throttle. Every area checks its caller here; the sign-in and account pages are `account`.

pub mod api;
#[cfg(feature = "ssr")]
pub mod guard;
pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod server;
pub mod views;
