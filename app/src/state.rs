//! What the server hands to every request: the pool, the settings and the event bus.

use crate::{auth::guard::SignInGuard, clock::CompanyClock, events::EventBus};
use sqlx::PgPool;
use std::sync::Arc;

/// Shared by all requests of one server process; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    pub events: EventBus,
    /// The company's time zone, cached for this process.
    pub clock: CompanyClock,
    /// Bounds on sign-in work in this process.
    pub sign_in_guard: Arc<SignInGuard>,
}

/// Security and session settings, read from the environment by the server binary.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Longest a sign-in lasts however active the user is.
    pub session_absolute: chrono::Duration,
    /// A session without a request for this long is over.
    pub session_idle: chrono::Duration,
    /// Password checks that may run at once in this process (each holds 19 MiB).
    pub concurrent_password_checks: usize,
    /// How long a sign-in waits for a turn to check its password before answering busy.
    pub password_check_wait: std::time::Duration,
    /// Sign-in attempts allowed per client address per minute, right or wrong.
    pub sign_ins_per_minute_per_address: u32,
    /// Failed sign-ins allowed per account within `throttle_window`.
    pub max_failures_per_account: i64,
    /// Failed sign-ins allowed per client address within `throttle_window`.
    pub max_failures_per_address: i64,
    pub throttle_window: chrono::Duration,
    /// How long a running job may go on after shutdown begins before it is handed back to the
    /// queue (to resume in the next process).
    pub shutdown_grace: std::time::Duration,
    /// Mark cookies `Secure` (the site is served over HTTPS).
    pub secure_cookies: bool,
    /// Where email goes (`smtp://host:port`, `?tls=required` for STARTTLS, `smtps://` for TLS);
    /// none: emails fail with a clear reason per recipient.
    pub smtp_url: Option<String>,
    /// The sender of emails.
    pub mail_from: String,
    /// The service desk's address: replies to tickets are sent from it, and customers write to
    /// it. None: `mail_from`.
    pub desk_address: Option<String>,
    /// The desk's mailbox, polled for customers' emails (`imap://user:password@host:port/INBOX`,
    /// `imaps://` for TLS); none: nothing is read.
    pub imap_url: Option<String>,
    /// How often the mailbox is read.
    pub imap_poll_every: std::time::Duration,
    /// The site's address as customers reach it, for links in emails.
    pub public_url: String,
    /// Nightly backups and the admin's "back up now"; none: off.
    pub backups: Option<BackupSettings>,
}

/// Where and how the server backs up its own database.
#[derive(Clone)]
pub struct BackupSettings {
    pub folder: std::path::PathBuf,
    /// Backups kept in `folder`.
    pub keep: usize,
    /// Restore each backup into a scratch database and compare it with its manifest.
    pub verify: bool,
    /// The database to back up, as `pg_dump` reaches it (may hold a password: never shown).
    pub database_url: String,
    /// Where `pg_dump` and `pg_restore` are looked for.
    pub programs: Vec<std::path::PathBuf>,
}

impl std::fmt::Debug for BackupSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupSettings")
            .field("folder", &self.folder)
            .field("keep", &self.keep)
            .field("verify", &self.verify)
            .finish_non_exhaustive()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_absolute: chrono::Duration::hours(12),
            session_idle: chrono::Duration::minutes(60),
            concurrent_password_checks: std::thread::available_parallelism()
                .map_or(2, |n| n.get() * 2),
            password_check_wait: std::time::Duration::from_millis(500),
            sign_ins_per_minute_per_address: 30,
            max_failures_per_account: 5,
            max_failures_per_address: 20,
            throttle_window: chrono::Duration::minutes(15),
            shutdown_grace: std::time::Duration::from_secs(20),
            secure_cookies: false,
            smtp_url: None,
            mail_from: "Guanxi <noreply@guanxi.localhost>".to_owned(),
            desk_address: None,
            imap_url: None,
            imap_poll_every: std::time::Duration::from_secs(30),
            public_url: "http://127.0.0.1:3000".to_owned(),
            backups: None,
        }
    }
}

impl AppState {
    /// The state of a process over `pool`, with a fresh event bus and zone cache.
    pub fn new(pool: PgPool, settings: Settings) -> Self {
        let sign_in_guard = Arc::new(SignInGuard::new(
            settings.concurrent_password_checks,
            settings.password_check_wait,
            settings.sign_ins_per_minute_per_address,
        ));
        Self {
            pool,
            settings: Arc::new(settings),
            events: EventBus::new(),
            clock: CompanyClock::default(),
            sign_in_guard,
        }
    }

    /// The state the server provided to this request's server functions.
    pub fn from_context() -> Result<Self, crate::error::AppError> {
        leptos::prelude::use_context::<AppState>()
            .ok_or_else(|| crate::error::AppError::internal("AppState missing from context"))
    }
}
