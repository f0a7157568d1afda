//! Customers over time: how many were new, active, silent and former at the end of each month
//! (the current month as of today), how many turned to each status, and the customers behind
//! every figure one tap away. Read from each customer's status timeline and its monthly summary,
//! kept in the transaction of every order and customer write (migration 39).

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
#[cfg(feature = "ssr")]
pub mod workbook;
