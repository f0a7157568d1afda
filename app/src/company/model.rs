//! Company settings as the admin page edits them.

use serde::{Deserialize, Serialize};

/// The zone Guanxi counts days in when nothing else was chosen.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

/// The company settings form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanySettings {
    /// An IANA zone name, e.g. `Asia/Shanghai` or `Europe/Berlin`.
    pub time_zone: String,
    pub version: i32,
}

impl Default for CompanySettings {
    fn default() -> Self {
        Self { time_zone: DEFAULT_TIME_ZONE.to_owned(), version: 1 }
    }
}

/// Zones offered first in the menu (any IANA name may be typed instead): where Guanxi's users
/// and their customers mostly are.
pub const COMMON_TIME_ZONES: &[&str] = &[
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
];
