//! Reports: sales by period, rep, team, region and channel, read from daily summaries kept in
//! the transaction of every order write, with the orders behind any figure one tap away, and
//! every report as an `.xlsx` workbook with its filters and chart.

pub mod api;
pub mod churn;
pub mod cohorts;
pub mod deals;
pub mod funnel;
pub mod model;
pub mod moves;
#[cfg(feature = "ssr")]
pub mod routes;
pub mod saved;
#[cfg(feature = "ssr")]
pub mod service;
pub mod statuses;
pub mod value;
pub mod views;
#[cfg(feature = "ssr")]
pub mod workbook;
