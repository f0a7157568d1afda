//! Backups as the admin page shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What started a backup.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupOrigin {
    Nightly,
    Admin,
    Command,
}

impl BackupOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupOrigin::Nightly => "nightly",
            BackupOrigin::Admin => "admin",
            BackupOrigin::Command => "command",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "nightly" => BackupOrigin::Nightly,
            "admin" => BackupOrigin::Admin,
            "command" => BackupOrigin::Command,
            _ => return None,
        })
    }
}

/// How a backup ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupOutcome {
    Running,
    /// Restored into a scratch database, every table matched the manifest.
    Passed,
    /// Written, but its restore did not match (or could not be done): do not rely on it.
    Failed,
    /// Written; the restore check is switched off.
    Unverified,
    /// No backup was written.
    Error,
}

impl BackupOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupOutcome::Running => "running",
            BackupOutcome::Passed => "passed",
            BackupOutcome::Failed => "failed",
            BackupOutcome::Unverified => "unverified",
            BackupOutcome::Error => "error",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "running" => BackupOutcome::Running,
            "passed" => BackupOutcome::Passed,
            "failed" => BackupOutcome::Failed,
            "unverified" => BackupOutcome::Unverified,
            "error" => BackupOutcome::Error,
            _ => return None,
        })
    }

    /// A backup one may restore from.
    pub fn is_usable(self) -> bool {
        matches!(self, BackupOutcome::Passed | BackupOutcome::Unverified)
    }
}

/// One backup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackupRun {
    pub id: i64,
    pub origin: BackupOrigin,
    pub requested_by_name: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The backup's folder on the server.
    pub folder: Option<String>,
    pub dump_bytes: Option<i64>,
    pub table_count: Option<i32>,
    pub row_count: Option<i64>,
    pub outcome: BackupOutcome,
    pub error: Option<String>,
}

/// How this server backs up, as configured by the operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupPlan {
    pub folder: String,
    /// Backups kept in the folder; older ones are removed.
    pub keep: usize,
    /// Each backup is restored into a scratch database and compared with its manifest.
    pub verify: bool,
}

/// The page's summary: the plan (none: nightly backups are off) and the newest usable backup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackupOverview {
    pub plan: Option<BackupPlan>,
    pub last_usable: Option<BackupRun>,
    /// A backup job is queued or running.
    pub in_progress: bool,
}

/// A usable backup older than this is reported as overdue (a missed night plus slack).
pub const OVERDUE_AFTER_HOURS: i64 = 36;

impl BackupOverview {
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.plan.is_some()
            && self.last_usable.as_ref().is_none_or(|last| {
                now - last.finished_at.unwrap_or(last.started_at)
                    > chrono::Duration::hours(OVERDUE_AFTER_HOURS)
            })
    }
}

/// A size for people: "812 kB", "3.4 MB", "1.2 GB".
pub fn human_bytes(bytes: i64) -> String {
    let bytes = bytes.max(0) as f64;
    if bytes < 1_000_000.0 {
        format!("{:.0} kB", (bytes / 1000.0).ceil())
    } else if bytes < 1_000_000_000.0 {
        format!("{:.1} MB", bytes / 1_000_000.0)
    } else {
        format!("{:.1} GB", bytes / 1_000_000_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(outcome: BackupOutcome, hours_ago: i64, now: DateTime<Utc>) -> BackupRun {
        BackupRun {
            id: 1,
            origin: BackupOrigin::Nightly,
            requested_by_name: None,
            started_at: now - chrono::Duration::hours(hours_ago),
            finished_at: Some(now - chrono::Duration::hours(hours_ago)),
            folder: None,
            dump_bytes: None,
            table_count: None,
            row_count: None,
            outcome,
            error: None,
        }
    }

    #[test]
    fn a_configured_server_without_a_recent_usable_backup_is_overdue() {
        let now = Utc::now();
        let plan = Some(BackupPlan { folder: "/b".into(), keep: 7, verify: true });
        let overview =
            |last| BackupOverview { plan: plan.clone(), last_usable: last, in_progress: false };
        assert!(overview(None).is_overdue(now));
        assert!(!overview(Some(run(BackupOutcome::Passed, 20, now))).is_overdue(now));
        assert!(overview(Some(run(BackupOutcome::Passed, 40, now))).is_overdue(now));
        let off = BackupOverview { plan: None, last_usable: None, in_progress: false };
        assert!(!off.is_overdue(now), "nothing is overdue when backups are off: the page says so");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(812_300), "813 kB");
        assert_eq!(human_bytes(3_400_000), "3.4 MB");
        assert_eq!(human_bytes(1_230_000_000), "1.2 GB");
    }

    #[test]
    fn origins_and_outcomes_round_trip_their_stored_names() {
        for origin in [BackupOrigin::Nightly, BackupOrigin::Admin, BackupOrigin::Command] {
            assert_eq!(BackupOrigin::parse(origin.as_str()), Some(origin));
        }
        for outcome in [
            BackupOutcome::Running,
            BackupOutcome::Passed,
            BackupOutcome::Failed,
            BackupOutcome::Unverified,
            BackupOutcome::Error,
        ] {
            assert_eq!(BackupOutcome::parse(outcome.as_str()), Some(outcome));
        }
    }
}
