//! The audit log page for admins: every recorded change, filtered and exported. The recording
//! itself lives in `audit`, below every area that writes.

pub mod api;
pub mod views;
