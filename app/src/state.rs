//! What the server hands to every request: the pool, the settings and the event bus.

use crate::{company::clock::CompanyClock, events::EventBus};
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
}

/// Security and session settings, read from the environment by the server binary.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Longest a sign-in lasts however active the user is.
    pub session_absolute: chrono::Duration,
    /// Failed sign-ins allowed per account within `throttle_window`.
    pub max_failures_per_account: i64,
    /// Failed sign-ins allowed per client address within `throttle_window`.
    pub max_failures_per_address: i64,
    pub throttle_window: chrono::Duration,
    /// Mark cookies `Secure` (the site is served over HTTPS).
    pub secure_cookies: bool,
    /// Where email goes (`smtp://host:port`, `?tls=required` for STARTTLS, `smtps://` for TLS);
    /// none: emails fail with a clear reason per recipient.
    pub smtp_url: Option<String>,
    /// The sender of emails.
    pub mail_from: String,
    /// The site's address as customers reach it, for links in emails.
    pub public_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_absolute: chrono::Duration::days(7),
            max_failures_per_account: 5,
            max_failures_per_address: 20,
            throttle_window: chrono::Duration::minutes(15),
            secure_cookies: false,
            smtp_url: None,
            mail_from: "Guanxi <noreply@guanxi.localhost>".to_owned(),
            public_url: "http://127.0.0.1:3000".to_owned(),
        }
    }
}

impl AppState {
    /// The state of a process over `pool`, with a fresh event bus and zone cache.
    pub fn new(pool: PgPool, settings: Settings) -> Self {
        Self {
            pool,
            settings: Arc::new(settings),
            events: EventBus::new(),
            clock: CompanyClock::default(),
        }
    }

    /// The state the server provided to this request's server functions.
    pub fn from_context() -> Result<Self, crate::error::AppError> {
        leptos::prelude::use_context::<AppState>()
            .ok_or_else(|| crate::error::AppError::internal("AppState missing from context"))
    }
}
