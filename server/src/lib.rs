//! The axum server as a library, so integration tests run the very router `main` serves.
// Release builds (no `erase_components`) nest view types deeply enough to need more than 128.
#![recursion_limit = "256"]

/// Backups and restores, shared with the server's nightly backup job.
pub use app::backups::archive as backup;
pub mod assets;
pub mod config;
pub mod database;
pub mod metrics;
pub mod middleware;
pub mod proxy;

use app::{App, shell, state::AppState};
use axum::{
    Extension, Router,
    extract::DefaultBodyLimit,
    response::Response,
    routing::{get, post},
};
use config::Config;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use middleware::MiddlewareState;
use sqlx::{PgPool, postgres::PgPoolOptions};
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};
use tower_sessions_sqlx_store::PostgresStore;

/// The cookie holding the session id.
pub const SESSION_COOKIE: &str = "guanxi_session";

/// The session cookie's name: over https with the `__Host-` prefix, which browsers accept only
/// from a secure origin, for the whole site and no other domain, so a sibling subdomain or a
/// plain-http page cannot plant or overwrite it.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-guanxi_session" } else { SESSION_COOKIE }
}

/// A pool that rides out a Postgres restart: connections are checked before use, acquiring
/// gives up after a few seconds (a request fails fast instead of hanging), and dead connections
/// are replaced on demand, so requests succeed again as soon as Postgres is back.
pub fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(3))
        .test_before_acquire(true)
        .idle_timeout(Duration::from_secs(300))
        .max_lifetime(Duration::from_secs(1800))
}

/// Limits every connection carries, so a runaway query or a transaction left open (a bug, a
/// client gone mid-request) cannot hold locks and connections for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    /// Longest single statement. Background jobs share the pool and stream whole tables (a
    /// company archive, a million-customer export), so this is a ceiling, not a request budget.
    pub statement: Duration,
    /// Longest time a transaction may wait on the server between statements.
    pub idle_in_transaction: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            statement: Duration::from_secs(15 * 60),
            idle_in_transaction: Duration::from_secs(5 * 60),
        }
    }
}

/// The connection settings for `url` with `limits` sent at connection start-up (no extra
/// round trip per connection).
pub fn connect_options(
    url: &str,
    limits: SessionLimits,
) -> Result<sqlx::postgres::PgConnectOptions, sqlx::Error> {
    let options: sqlx::postgres::PgConnectOptions = url.parse()?;
    Ok(options.options([
        ("statement_timeout", format!("{}ms", limits.statement.as_millis())),
        (
            "idle_in_transaction_session_timeout",
            format!("{}ms", limits.idle_in_transaction.as_millis()),
        ),
    ]))
}

/// Connects with the default limits, retrying for up to a minute while the database starts.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    connect_with(url, max_connections, SessionLimits::default()).await
}

/// Connects with `limits`, retrying for up to a minute while the database starts.
pub async fn connect_with(
    url: &str,
    max_connections: u32,
    limits: SessionLimits,
) -> Result<PgPool, sqlx::Error> {
    let options = connect_options(url, limits)?;
    let mut attempt = 0;
    loop {
        match pool_options(max_connections).connect_with(options.clone()).await {
            Ok(pool) => return Ok(pool),
            Err(error) if attempt < 30 => {
                attempt += 1;
                tracing::warn!(%error, attempt, "database not reachable yet");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Applies Guanxi's migrations and the session store's table.
pub async fn migrate(pool: &PgPool) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    app::db::MIGRATOR.run(pool).await?;
    PostgresStore::new(pool.clone()).migrate().await?;
    Ok(())
}

/// The shared state for `config` over `pool`, without the server's own backups.
pub fn app_state(pool: PgPool, config: &Config) -> AppState {
    AppState::new(pool, settings(config, None))
}

/// The settings `config` gives; with the database's `database_url` (as `pg_dump` reaches it)
/// the server also backs itself up when `GUANXI_BACKUP_DIR` is set.
pub fn settings(config: &Config, database_url: Option<&str>) -> app::state::Settings {
    let backups = config.backup_dir.clone().zip(database_url).map(|(folder, url)| {
        app::state::BackupSettings {
            folder,
            keep: config.backup_keep,
            verify: config.backup_verify,
            database_url: url.to_owned(),
            programs: database::DatabaseOptions::default_search_path(std::env::var_os("PATH")),
        }
    });
    app::state::Settings {
        session_absolute: chrono::Duration::from_std(config.session_absolute)
            .unwrap_or(chrono::Duration::hours(12)),
        session_idle: chrono::Duration::from_std(config.session_idle)
            .unwrap_or(chrono::Duration::hours(1)),
        concurrent_password_checks: config.password_checks,
        sign_ins_per_minute_per_address: config.sign_ins_per_minute,
        secure_cookies: config.secure_cookies,
        smtp_url: config.smtp_url.clone(),
        mail_from: config
            .mail_from
            .clone()
            .unwrap_or_else(|| app::state::Settings::default().mail_from),
        desk_address: config.desk_address.clone(),
        imap_url: config.imap_url.clone(),
        imap_poll_every: std::time::Duration::from_secs(config.imap_poll_seconds),
        // Links in emails point where customers reach the site.
        public_url: config
            .public_origin
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.addr)),
        backups,
        ..Default::default()
    }
}

/// The site's Leptos options. A binary built by cargo-leptos knows its output name; a plain
/// `cargo build` does not, so the name is filled in here.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    let mut options = get_configuration(None)
        .map(|c| c.leptos_options)
        .unwrap_or_else(|_| LeptosOptions::builder().output_name("guanxi").build());
    if options.output_name.is_empty() {
        options.output_name = "guanxi".into();
    }
    if options.site_root.as_ref() == "." {
        options.site_root = "target/site".into();
    }
    options.site_addr = config.addr;
    options.hash_files = options.hash_files || assets::hash_file_present(&options);
    options
}

/// Headers every response carries: no framing by other sites (clickjacking), no content-type
/// guessing, no full URLs (with record ids) leaked to other sites, and over https, HSTS.
async fn with_security_headers(https: bool, mut response: Response) -> Response {
    use axum::http::{HeaderValue, header};
    let headers = response.headers_mut();
    let mut set = |name, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(
        header::CONTENT_SECURITY_POLICY,
        "frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'",
    );
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    }
    response
}

/// The migrations a database has applied, oldest first; none when it was never migrated.
pub async fn applied_migrations(conn: &mut sqlx::PgConnection) -> Result<Vec<i64>, sqlx::Error> {
    let migrated: bool =
        sqlx::query_scalar("select to_regclass('public._sqlx_migrations') is not null")
            .fetch_one(&mut *conn)
            .await?;
    if !migrated {
        return Ok(Vec::new());
    }
    sqlx::query_scalar("select version from _sqlx_migrations where success order by version")
        .fetch_all(conn)
        .await
}

/// This build's migrations that `applied` lacks.
pub fn pending_migrations(applied: &[i64]) -> Vec<&'static sqlx::migrate::Migration> {
    app::db::MIGRATOR.iter().filter(|m| !applied.contains(&m.version)).collect()
}

/// `/readyz`: 200 when the database answers and every migration this build knows is applied,
/// else 503 with the reason (a load balancer sends no traffic until then).
async fn readiness(Extension(state): Extension<AppState>) -> (axum::http::StatusCode, String) {
    use axum::http::StatusCode;
    let applied = match state.pool.acquire().await {
        Ok(mut conn) => applied_migrations(&mut conn).await,
        Err(error) => Err(error),
    };
    match applied {
        Err(error) => (StatusCode::SERVICE_UNAVAILABLE, format!("database unavailable: {error}")),
        Ok(applied) => match pending_migrations(&applied).as_slice() {
            [] => (StatusCode::OK, "ready".to_owned()),
            pending => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "migrations pending: {}",
                    pending.iter().map(|m| m.version.to_string()).collect::<Vec<_>>().join(", ")
                ),
            ),
        },
    }
}

/// Every route, with sessions, the per-request user, cross-site refusal and compression; the
/// static files beside them, without sessions.
pub fn router(state: AppState, config: &Config, options: LeptosOptions) -> Router {
    // The cookie lives as long as a sign-in may (it is written at sign-in only); the idle limit
    // is the session row's, checked on every request.
    let sessions = SessionManagerLayer::new(PostgresStore::new(state.pool.clone()))
        .with_name(session_cookie_name(config.secure_cookies))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::try_from(config.session_absolute)
                .unwrap_or(tower_sessions::cookie::time::Duration::hours(12)),
        ));
    let middleware_state = MiddlewareState {
        pool: state.pool.clone(),
        clock: state.clock.clone(),
        proxy_trust: config.proxy_trust.clone(),
        public_origin: config.public_origin.clone(),
        session_idle: state.settings.session_idle,
    };
    let https = config.secure_cookies;
    let metrics = metrics::Metrics::new();
    let metrics_token = config.metrics_token.as_deref().map(std::sync::Arc::<str>::from);
    let routes = generate_route_list(App);
    let context_state = state.clone();
    let static_files = assets::routes(&options);
    Router::new()
        .route("/healthz", get(|| async { "alive" }))
        .route("/readyz", get(readiness))
        .route("/metrics", get(metrics::serve).with_state((metrics.clone(), metrics_token)))
        .route("/events", get(app::events::server::stream_events))
        .route(
            "/api/import-upload",
            post(app::imports::routes::upload)
                .layer(DefaultBodyLimit::max(app::imports::read::MAX_FILE_BYTES)),
        )
        .route("/files/imports/{id}/rejected", get(app::imports::routes::rejected))
        .route("/files/imports/{id}/rejected.csv", get(app::imports::routes::rejected))
        .route("/files/customers.csv", get(app::exports::routes::customers_csv))
        .route("/files/export/{file}", get(app::exports::routes::download))
        .route("/files/archives/{id}", get(app::exports::routes::archive))
        .route("/files/reports/{file}", get(app::reports::routes::download))
        .route("/files/ticket-attachments/{id}", get(app::tickets::routes::attachment))
        .route(
            "/api/lead-import",
            post(app::leads::routes::import)
                .layer(DefaultBodyLimit::max(app::leads::routes::MAX_FILE_BYTES)),
        )
        .route(
            "/forms/{key}/leads",
            post(app::leads::routes::submit)
                .options(app::leads::routes::preflight)
                .layer(DefaultBodyLimit::max(64 * 1024)),
        )
        .leptos_routes_with_context(
            &options,
            routes,
            move || provide_context(context_state.clone()),
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .layer(axum::middleware::from_fn_with_state(
            middleware_state.clone(),
            middleware::resolve_request,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn(middleware::error_status))
        .layer(axum::middleware::from_fn_with_state(
            middleware_state,
            middleware::refuse_cross_site,
        ))
        .layer(Extension(state.events.clone()))
        .layer(Extension(state.clone()))
        .layer(Extension(app::registry::EXPORTS))
        .layer(axum::middleware::map_response(assets::pages_revalidate))
        .merge(static_files)
        // Passes precompressed files through (they carry Content-Encoding already); compresses
        // pages, server function answers, and assets of a build that was not precompressed.
        .layer(CompressionLayer::new())
        .layer(axum::middleware::map_response(move |response| {
            with_security_headers(https, response)
        }))
        // Outermost, so refusals by the layers above are counted and logged too. Router layers
        // wrap each route, so the matched route is known here.
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
}
