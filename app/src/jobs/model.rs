//! Jobs as the UI sees them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a job is in its life.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "succeeded" => JobStatus::Succeeded,
            "failed" => JobStatus::Failed,
            "cancelled" => JobStatus::Cancelled,
            _ => return None,
        })
    }

    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled)
    }
}

/// Declares the job kinds, each a constant, and `ALL`: a kind cannot be left out of the list.
macro_rules! job_kinds {
    ($($(#[$doc:meta])* $name:ident = $value:literal;)*) => {
        $($(#[$doc])* pub const $name: &str = $value;)*
        /// Every kind, for the check that each has a handler.
        pub const ALL: &[&str] = &[$($name),*];
    };
}

/// Kinds of job; each has a handler in `crate::registry` (the queue's own in `jobs::worker`).
pub mod kinds {
    job_kinds! {
        /// Purges expired sessions, old sign-in failures and old finished jobs.
        MAINTENANCE = "maintenance";
        /// Scans every customer for likely duplicates.
        DUPLICATE_SCAN = "duplicate_scan";
        /// Rebuilds product affinities for recommendations.
        PRODUCT_AFFINITY = "product_affinity";
        /// Checks or runs a customer import.
        CUSTOMER_IMPORT = "customer_import";
        /// Reverts a customer import.
        IMPORT_REVERT = "import_revert";
        /// Recomputes RFM scores and tiers of every customer.
        TIER_RECOMPUTE = "tier_recompute";
        /// Rescores and grades the customers in the payload (`{"customers": [id, ...]}`), after a
        /// merge or its undoing moved orders between them.
        TIER_RESCORE = "tier_rescore";
        /// Expires points past their date.
        POINTS_EXPIRY = "points_expiry";
        /// Stores this week's sales forecast, to measure forecast accuracy later.
        FORECAST_SNAPSHOT = "forecast_snapshot";
        /// Emails a survey sending's recipients their links.
        SURVEY_SEND = "survey_send";
        /// Surveys the customer of a just-resolved ticket (`{"ticket_id": id}`), when a survey is
        /// set to follow resolutions.
        SURVEY_AFTER_RESOLUTION = "survey_after_resolution";
        /// Builds the archive of the whole company's data.
        COMPANY_ARCHIVE = "company_archive";
        /// Writes a backup and checks it by restoring it into a scratch database.
        BACKUP = "backup";
        /// Removes for good what has been in the recycle bin longer than the company keeps it.
        RECYCLE_PURGE = "recycle_purge";
        /// Emails one notification (`{"notification": id}`).
        NOTIFICATION_EMAIL = "notification_email";
        /// Emails each user who asked for a digest what waited for it.
        NOTIFICATION_DIGEST = "notification_digest";
        /// Emails a ticket reply to the customer (`{"message": id}`).
        TICKET_REPLY_EMAIL = "ticket_reply_email";
        /// Evaluates every switched-on automation rule, acting once per occurrence.
        AUTOMATION_RUN = "automation_run";
        /// Emails one automation run's customer (`{"run": id}`).
        AUTOMATION_EMAIL = "automation_email";
    }
    /// Test-only kinds: a handler that panics, and one that works until it is stopped.
    #[cfg(feature = "testing")]
    pub const TEST_PANIC: &str = "testing_panic";
    #[cfg(feature = "testing")]
    pub const TEST_ENDLESS: &str = "testing_endless";
}

/// A job with its progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobSummary {
    pub id: i64,
    pub kind: String,
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub progress_done: i64,
    pub progress_total: Option<i64>,
    pub last_error: Option<String>,
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl JobSummary {
    /// Completion in percent, when the total is known.
    pub fn percent(&self) -> Option<u8> {
        let total = self.progress_total.filter(|t| *t > 0)?;
        Some(((self.progress_done.clamp(0, total) * 100) / total) as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_needs_a_total_and_is_clamped() {
        let mut job = JobSummary {
            id: 1,
            kind: kinds::MAINTENANCE.into(),
            status: JobStatus::Running,
            attempts: 1,
            max_attempts: 5,
            progress_done: 3,
            progress_total: None,
            last_error: None,
            created_by_name: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            finished_at: None,
        };
        assert_eq!(job.percent(), None);
        job.progress_total = Some(4);
        assert_eq!(job.percent(), Some(75));
        job.progress_done = 9;
        assert_eq!(job.percent(), Some(100));
    }
}
