//! Company settings as the admin page edits them.

use serde::{Deserialize, Serialize};

/// The zone Guanxi counts days in when nothing else was chosen.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

/// The company settings form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanySettings {
    /// An IANA zone name, e.g. `Asia/Shanghai` or `Europe/Berlin`.
    pub time_zone: String,
    /// Days a deleted record stays in the recycle bin before the nightly purge removes it.
    pub recycle_bin_days: i32,
    /// The share of a ticket's time to its next SLA deadline after which whom it concerns is
    /// warned, in percent.
    pub sla_warning_percent: i32,
    pub version: i32,
}

/// How long the recycle bin keeps deleted records unless an admin chose otherwise.
pub const DEFAULT_RECYCLE_BIN_DAYS: i32 = 30;
/// When tickets close to breaching are notified unless an admin chose otherwise.
pub const DEFAULT_SLA_WARNING_PERCENT: i32 = 80;
/// The range the database allows for the warning share.
pub const SLA_WARNING_PERCENT_RANGE: (i32, i32) = (10, 99);
/// The longest the recycle bin keeps anything (the database refuses more).
pub const MAX_RECYCLE_BIN_DAYS: i32 = 3650;

impl Default for CompanySettings {
    fn default() -> Self {
        Self {
            time_zone: DEFAULT_TIME_ZONE.to_owned(),
            recycle_bin_days: DEFAULT_RECYCLE_BIN_DAYS,
            sla_warning_percent: DEFAULT_SLA_WARNING_PERCENT,
            version: 1,
        }
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
