//! `server`: runs Guanxi, and the operator's commands around it (see `server --help`).

use clap::{Parser, Subcommand};
use server::{
    config::Config,
    database::{self, DatabaseOptions, DatabaseSource},
};
use std::{path::PathBuf, process::ExitCode};

/// Guanxi CRM server. Settings come from the environment (see the README's configuration).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the CRM (the default).
    Serve,
    /// Apply pending database migrations, or with --dry-run list them.
    Migrate {
        /// List pending migrations without applying them.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write a backup (pg_dump custom format and a manifest of row counts and checksums).
    Backup {
        /// Folder holding the backups.
        #[arg(long, default_value = ".guanxi/backups")]
        to: PathBuf,
        /// How many backups to keep in that folder.
        #[arg(long, default_value_t = 7)]
        keep: usize,
        /// Also restore the backup into a scratch database and compare it with its manifest.
        #[arg(long)]
        verify: bool,
    },
    /// Restore a backup into a new, empty database and verify it against its manifest.
    Restore {
        /// The backup's folder (guanxi-<time>).
        backup: PathBuf,
        /// The database to restore into (created when missing; must be empty).
        #[arg(long)]
        into: String,
    },
    /// Create the first admin of a database without one (set up without demo data). The
    /// password is read from GUANXI_ADMIN_PASSWORD, or else from the first line of standard input.
    CreateAdmin {
        /// The admin's sign-in email.
        #[arg(long)]
        email: String,
        /// The name shown in the CRM.
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
    /// Read the configuration and report what is wrong with it, without starting anything.
    CheckConfig,
    /// Run only the private database until interrupted, printing its URL (tests on machines
    /// without Postgres).
    EmbeddedPostgres,
}

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_sessions=warn".into());
    // One JSON object per line for a log collector; readable text otherwise.
    if std::env::var("GUANXI_LOG_FORMAT").is_ok_and(|format| format == "json") {
        tracing_subscriber::fmt().json().flatten_event(true).with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Migrate { dry_run } => migrate(dry_run).await,
        Command::Backup { to, keep, verify } => backup(to, keep, verify).await,
        Command::Restore { backup, into } => restore(&backup, &into).await,
        Command::CreateAdmin { email, name } => create_admin(&email, &name).await,
        Command::CheckConfig => check_config(),
        Command::EmbeddedPostgres => embedded_postgres().await,
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

    let state =
        app::state::AppState::new(pool.clone(), server::settings(&config, Some(source.url())));
    if let Some(backups) = &state.settings.backups {
        tracing::info!(folder = %backups.folder.display(), keep = backups.keep, "nightly backups on");
    }
    let listener_task = app::events::server::spawn_listener(pool.clone(), state.events.clone());
    let process = format!("{}-{}", hostname(), std::process::id());
    let mut workers =
        app::jobs::worker::spawn(state.clone(), &process, config.workers, app::registry::JOBS);

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

/// Runs `work` on the database `serve` would use, stopping a private cluster it started.
async fn on_database<T>(
    config: &Config,
    work: impl AsyncFnOnce(&str) -> Result<T, BoxError>,
) -> Result<T, BoxError> {
    let source = database::resolve(&database_options(config)).await?;
    let outcome = work(source.url()).await;
    if let DatabaseSource::Private(cluster) = &source {
        cluster.stop()?;
    }
    outcome
}

async fn create_admin(email: &str, name: &str) -> Result<(), BoxError> {
    let password = match std::env::var("GUANXI_ADMIN_PASSWORD") {
        Ok(password) => password,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let config = Config::from_env()?;
    on_database(&config, async |url| {
        let pool = server::connect(url, 2).await?;
        server::migrate(&pool).await?;
        let outcome = app::users::service::create_first_admin(&pool, email, name, password).await;
        pool.close().await;
        match outcome {
            Ok(Some(admin)) => {
                println!("created admin {} (id {})", admin.email, admin.id.0);
                Ok(())
            }
            Ok(None) => {
                Err("an active admin already exists: add accounts on the users page".into())
            }
            Err(app::error::AppError::Validation(errors)) => {
                let fields: Vec<String> = errors
                    .0
                    .iter()
                    .flat_map(|(field, errors)| {
                        errors.iter().map(move |error| {
                            format!(
                                "{field}: {}",
                                app::i18n::field_error_text(error, app::i18n::Locale::En)
                            )
                        })
                    })
                    .collect();
                Err(fields.join("; ").into())
            }
            Err(error) => Err(error.to_string().into()),
        }
    })
    .await
}

async fn migrate(dry_run: bool) -> Result<(), BoxError> {
    let config = Config::from_env()?;
    on_database(&config, async |url| {
        let pool = server::connect(url, 2).await?;
        let applied = server::applied_migrations(&mut *pool.acquire().await?).await?;
        let pending = server::pending_migrations(&applied);
        for migration in &pending {
            println!("pending {} {}", migration.version, migration.description);
        }
        if pending.is_empty() {
            println!("the database is up to date");
        } else if !dry_run {
            server::migrate(&pool).await?;
            println!("applied {} migrations", pending.len());
        }
        pool.close().await;
        Ok(())
    })
    .await
}

/// Writes a backup and records it where the admin page shows it.
async fn backup(folder: PathBuf, keep: usize, verify: bool) -> Result<(), BoxError> {
    use app::backups::{model::BackupOrigin, service};
    let config = Config::from_env()?;
    on_database(&config, async |url| {
        let settings = app::state::BackupSettings {
            folder,
            keep,
            verify,
            database_url: url.to_owned(),
            programs: DatabaseOptions::default_search_path(std::env::var_os("PATH")),
        };
        let pool = server::connect(url, 2).await?;
        let applied = server::applied_migrations(&mut *pool.acquire().await?).await?;
        if !server::pending_migrations(&applied).is_empty() {
            return Err(
                "the database is not migrated to this version: run `server migrate` first".into()
            );
        }
        let run = service::start(&pool, BackupOrigin::Command, None, None).await?;
        let path = service::write(&pool, &settings, run).await?;
        // Restores and compares when asked; otherwise records the run as unverified.
        service::verify(&pool, &settings, run, &path).await?;
        let summary = service::list(&pool, Some(run + 1), 1).await?.items.into_iter().next();
        pool.close().await;
        let summary = summary.ok_or("the backup's record vanished")?;
        println!(
            "backup written to {} ({} bytes, {} tables, {} rows){}",
            path.display(),
            summary.dump_bytes.unwrap_or(0),
            summary.table_count.unwrap_or(0),
            summary.row_count.unwrap_or(0),
            if verify { "; restored into a scratch database and verified" } else { "" },
        );
        Ok(())
    })
    .await
}

async fn restore(backup: &std::path::Path, into: &str) -> Result<(), BoxError> {
    let search_path = DatabaseOptions::default_search_path(std::env::var_os("PATH"));
    let verified = server::backup::restore(backup, into, &search_path).await?;
    println!(
        "restored and verified: {} tables, {} rows match the manifest",
        verified.tables, verified.rows
    );
    Ok(())
}

fn check_config() -> Result<(), BoxError> {
    let config = Config::from_env()?;
    println!("address: {}", config.addr);
    println!(
        "database: {}",
        if config.database_url.is_some() { "DATABASE_URL" } else { "local or private Postgres" }
    );
    println!("public origin: {}", config.public_origin.as_deref().unwrap_or("(same as address)"));
    println!("secure cookies: {}", config.secure_cookies);
    println!("proxies trusted: {:?}", config.proxy_trust);
    println!(
        "sessions: {} min idle, {} h at most",
        config.session_idle.as_secs() / 60,
        config.session_absolute.as_secs() / 3600
    );
    println!("configuration is valid");
    Ok(())
}
