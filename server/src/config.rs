//! Settings from the environment. Every variable is optional; the README lists them.

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
    /// Believe `X-Forwarded-For` for the client address (only behind a trusted proxy).
    pub trust_proxy: bool,
    pub demo_data: bool,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub workers: usize,
    pub db_max_connections: u32,
    /// The SMTP server survey emails go through.
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn flag(name: &str) -> bool {
    var(name).is_some_and(|v| {
        matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
    })
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| format!("{name}={v} is not a valid number")),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let addr = var("GUANXI_ADDR")
            .or_else(|| var("LEPTOS_SITE_ADDR"))
            .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        Ok(Config {
            database_url: var("DATABASE_URL"),
            addr: addr.parse().map_err(|_| format!("GUANXI_ADDR={addr} is not host:port"))?,
            data_dir: var("GUANXI_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| ".guanxi".into()),
            local_pg_port: number("GUANXI_LOCAL_PG_PORT", 5432)?,
            secure_cookies: flag("GUANXI_SECURE_COOKIES"),
            public_origin: var("GUANXI_PUBLIC_ORIGIN").map(|o| o.trim_end_matches('/').to_owned()),
            trust_proxy: flag("GUANXI_TRUST_PROXY"),
            demo_data: flag("GUANXI_DEMO_DATA"),
            session_idle: Duration::from_secs(60 * number("GUANXI_SESSION_IDLE_MINUTES", 480u64)?),
            session_absolute: Duration::from_secs(
                3600 * number("GUANXI_SESSION_MAX_HOURS", 168u64)?,
            ),
            workers: number("GUANXI_WORKERS", 2)?,
            db_max_connections: number("GUANXI_DB_MAX_CONNECTIONS", 20)?,
            smtp_url: var("GUANXI_SMTP_URL"),
            mail_from: var("GUANXI_MAIL_FROM"),
        })
    }
}
