//! Schema migrations, embedded in the binary so start-up needs nothing beside it.

use sqlx::migrate::Migrator;

/// Every migration in `migrations/`, applied in order at start-up and by the test harness.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");
