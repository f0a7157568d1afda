//! Everything out: every list a user can filter, as `.xlsx` (phones and ids as text, dates as
//! dates, money as numbers in their currency) or as CSV whose formula-like cells are
//! neutralised; and the whole company's data in one archive, built by a job.

pub mod api;
#[cfg(feature = "ssr")]
pub mod archive;
pub mod model;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod sheet;
#[cfg(feature = "ssr")]
pub mod source;
pub mod views;
