//! Settings from the environment. Every variable is optional; the README lists them.

use crate::proxy::ProxyTrust;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// The server's configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: Option<String>,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub local_pg_port: u16,
    pub secure_cookies: bool,
    /// The origin browsers use when it differs from the Host header (behind a proxy).
    pub public_origin: Option<String>,
    /// How far `X-Forwarded-For` is believed for the client address.
    pub proxy_trust: ProxyTrust,
    pub demo_data: bool,
    /// Allow demo data on an address other machines can reach.
    pub demo_data_anywhere: bool,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// Password checks that may run at once (each holds 19 MiB for tens of milliseconds).
    pub password_checks: usize,
    /// Sign-in attempts allowed per client address per minute.
    pub sign_ins_per_minute: u32,
    pub workers: usize,
    pub db_max_connections: u32,
    /// The SMTP server survey emails go through.
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    /// The service desk's address (replies to tickets come from it).
    pub desk_address: Option<String>,
    /// The desk's mailbox, read for customers' emails, every `imap_poll_seconds`.
    pub imap_url: Option<String>,
    pub imap_poll_seconds: u64,
    /// When set, `/metrics` answers a request bearing this token from anywhere; otherwise only
    /// callers on this machine.
    pub metrics_token: Option<String>,
    /// Where nightly backups go; none: the server does not back up by itself.
    pub backup_dir: Option<PathBuf>,
    /// Backups kept in `backup_dir`.
    pub backup_keep: usize,
    /// Restore each backup into a scratch database to check it.
    pub backup_verify: bool,
}

/// Reads settings from a source of variables (the process environment, or a test's map).
struct Vars<F: Fn(&str) -> Option<String>>(F);

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    fn var(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    fn flag(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| {
            matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
        })
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.var(name) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| format!("{name}={v} is not a valid number")),
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The configuration these variables describe.
    ///
    /// Errors: a message naming the variable that could not be read.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let vars = Vars(lookup);
        let var = |name: &str| vars.var(name);
        let flag = |name: &str| vars.flag(name);
        let addr = var("GUANXI_ADDR")
            .or_else(|| var("LEPTOS_SITE_ADDR"))
            .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        let public_origin = var("GUANXI_PUBLIC_ORIGIN").map(|o| o.trim_end_matches('/').to_owned());
        let hops = var("GUANXI_PROXY_HOPS")
            // The older switch meant one proxy in front.
            .or_else(|| flag("GUANXI_TRUST_PROXY").then(|| "1".to_owned()));
        let proxy_trust =
            ProxyTrust::parse(var("GUANXI_TRUSTED_PROXIES").as_deref(), hops.as_deref())?;
        let config = Config {
            database_url: var("DATABASE_URL"),
            addr: addr.parse().map_err(|_| format!("GUANXI_ADDR={addr} is not host:port"))?,
            data_dir: var("GUANXI_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| ".guanxi".into()),
            local_pg_port: vars.number("GUANXI_LOCAL_PG_PORT", 5432)?,
            secure_cookies: flag("GUANXI_SECURE_COOKIES")
                || public_origin.as_deref().is_some_and(|o| o.starts_with("https://")),
            public_origin,
            proxy_trust,
            demo_data: flag("GUANXI_DEMO_DATA"),
            demo_data_anywhere: flag("GUANXI_DEMO_DATA_ANYWHERE"),
            session_idle: Duration::from_secs(
                60 * vars.number("GUANXI_SESSION_IDLE_MINUTES", 60u64)?,
            ),
            session_absolute: Duration::from_secs(
                3600 * vars.number("GUANXI_SESSION_MAX_HOURS", 12u64)?,
            ),
            password_checks: vars.number(
                "GUANXI_PASSWORD_CHECKS",
                app::state::Settings::default().concurrent_password_checks,
            )?,
            sign_ins_per_minute: vars.number("GUANXI_SIGN_INS_PER_MINUTE", 30)?,
            workers: vars.number("GUANXI_WORKERS", 2)?,
            db_max_connections: vars.number("GUANXI_DB_MAX_CONNECTIONS", 20)?,
            smtp_url: var("GUANXI_SMTP_URL"),
            mail_from: var("GUANXI_MAIL_FROM"),
            desk_address: var("GUANXI_DESK_ADDRESS"),
            imap_url: var("GUANXI_IMAP_URL"),
            imap_poll_seconds: vars.number("GUANXI_IMAP_POLL_SECONDS", 30u64)?.max(1),
            metrics_token: var("GUANXI_METRICS_TOKEN"),
            backup_dir: var("GUANXI_BACKUP_DIR").map(PathBuf::from),
            backup_keep: vars.number("GUANXI_BACKUP_KEEP", 14usize)?.max(1),
            backup_verify: !var("GUANXI_BACKUP_VERIFY").is_some_and(|v| {
                matches!(v.trim().to_ascii_lowercase().as_str(), "0" | "false" | "no" | "off")
            }),
        };
        // The demo accounts' password is published: demo data only where no one else can
        // reach it.
        if config.demo_data && !config.addr.ip().is_loopback() && !config.demo_data_anywhere {
            return Err(format!(
                "refusing demo data on {}: its accounts share a published password. Serve on \
                 127.0.0.1, or set GUANXI_DEMO_DATA_ANYWHERE=1 for a closed network",
                config.addr
            ));
        }
        Ok(config)
    }
}
