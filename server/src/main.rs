//! `server`: runs Guanxi. `server embedded-postgres` only runs the private database (for tests
//! on machines without Postgres).

use server::{
    config::Config,
    database::{self, DatabaseOptions, DatabaseSource},
};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_sessions=warn".into()),
        )
        .init();
    let command = std::env::args().nth(1);
    let result = match command.as_deref() {
        None | Some("serve") => serve().await,
        Some("embedded-postgres") => embedded_postgres().await,
        Some(other) => {
            Err(format!("unknown command {other:?}; use `serve` or `embedded-postgres`").into())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn database_options(config: &Config) -> DatabaseOptions {
    DatabaseOptions {
        database_url: config.database_url.clone(),
        local_port: config.local_pg_port,
        data_dir: config.data_dir.clone(),
        search_path: DatabaseOptions::default_search_path(std::env::var_os("PATH")),
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}

async fn serve() -> Result<(), BoxError> {
    let config = Config::from_env()?;
    // The demo accounts' password is published: demo data only where no one else can reach it.
    if config.demo_data && !config.addr.ip().is_loopback() && !config.demo_data_anywhere {
        return Err(format!(
            "refusing demo data on {}: its accounts share a published password. Serve on \
             127.0.0.1, or set GUANXI_DEMO_DATA_ANYWHERE=1 for a closed network",
            config.addr
        )
        .into());
    }
    let source = database::resolve(&database_options(&config)).await?;
    tracing::info!(database = %source.describe(), "database resolved");
    let pool = server::connect(source.url(), config.db_max_connections).await?;
    server::migrate(&pool).await?;
    if config.demo_data && app::demo::seed_if_empty(&pool).await? {
        tracing::info!(
            "demo data created; sign in as admin@guanxi.demo / {}",
            app::demo::DEMO_PASSWORD
        );
    }

    let state = server::app_state(pool.clone(), &config);
    let listener_task = app::events::server::spawn_listener(pool.clone(), state.events.clone());
    let process = format!("{}-{}", hostname(), std::process::id());
    let mut workers = app::jobs::worker::spawn(state.clone(), &process, config.workers);

    let options = server::leptos_options(&config);
    let router = server::router(state.clone(), &config, options);
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    tracing::info!("listening on http://{}", config.addr);
    let events = state.events.clone();
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            events.close();
        })
        .await?;

    // Workers stop claiming at once; a running job gets the grace period, then is handed
    // back to the queue. Only what is still running after that is cut off.
    let drain = futures::future::join_all(workers.iter_mut());
    let limit = state.settings.shutdown_grace + std::time::Duration::from_secs(10);
    if tokio::time::timeout(limit, drain).await.is_err() {
        tracing::warn!("background work did not stop in time; ending it");
    }
    for worker in &workers {
        worker.abort();
    }
    listener_task.abort();
    pool.close().await;
    if let DatabaseSource::Private(cluster) = &source {
        cluster.stop()?;
        tracing::info!("private database stopped");
    }
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "guanxi".to_owned())
}

/// Runs only the private cluster until interrupted, printing its URL, so a test run on a
/// machine without Postgres has one to create its databases on.
async fn embedded_postgres() -> Result<(), BoxError> {
    let config = Config::from_env()?;
    let cluster = database::start_private_cluster(&database_options(&config)).await?;
    println!("ready {}", cluster.url);
    shutdown_signal().await;
    cluster.stop()?;
    Ok(())
}
