//! Background work shared by every server process: a Postgres-backed queue with leases,
//! retries, progress and checkpoints so long work can resume after a crash.

pub mod api;
#[cfg(feature = "ssr")]
pub mod context;
#[cfg(feature = "ssr")]
pub mod maintenance;
pub mod model;
#[cfg(feature = "ssr")]
pub mod queue;
pub mod views;
#[cfg(feature = "ssr")]
pub mod worker;
