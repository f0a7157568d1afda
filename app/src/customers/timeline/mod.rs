//! One timeline per customer. Every domain's writes append entries here inside their own
//! transaction; the customer 360 page reads only this table, so a new domain shows up on the
//! timeline by writing entries of its own kinds (and a text for them in `timeline::text`).

pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod text;
