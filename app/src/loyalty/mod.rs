//! Loyalty: points earned on orders, redeemed, adjusted and expiring, kept in a ledger whose sum
//! is the balance; membership levels reached by points or spend.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod views;
