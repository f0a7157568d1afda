//! Customer value: the graded customers as they stand, as an R by F grid coloured by M, the
//! share of the scoring window's revenue from each tier, and the top spenders, with the
//! customers behind every cell one tap away.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
#[cfg(feature = "ssr")]
pub mod workbook;
