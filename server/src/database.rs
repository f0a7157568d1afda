//! Where the database comes from: `DATABASE_URL` when set; otherwise a local Postgres if one
//! answers; otherwise a private cluster this process starts under the data folder and stops on
//! shutdown. A newcomer needs no database set-up at all.

use sqlx::{Connection, Executor, PgConnection};
use std::{
    ffi::OsString,
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::Command,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

/// Why no database could be had; the message says what to do.
#[derive(Debug)]
pub struct SetupError(pub String);

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

fn setup_error(message: impl Into<String>) -> SetupError {
    SetupError(message.into())
}

/// The name of the database Guanxi uses on a Postgres it manages.
pub const DATABASE_NAME: &str = "guanxi";

/// Where the database came from.
pub enum DatabaseSource {
    /// `DATABASE_URL`, used as given.
    Configured(String),
    /// A Postgres already listening on the local port, with a `guanxi` database in it.
    LocalServer(String),
    /// A cluster this process started and will stop.
    Private(PrivateCluster),
}

impl DatabaseSource {
    pub fn url(&self) -> &str {
        match self {
            DatabaseSource::Configured(url) | DatabaseSource::LocalServer(url) => url,
            DatabaseSource::Private(cluster) => &cluster.url,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            DatabaseSource::Configured(_) => "DATABASE_URL".to_owned(),
            DatabaseSource::LocalServer(url) => format!("local Postgres ({})", redact(url)),
            DatabaseSource::Private(cluster) => {
                format!(
                    "private cluster in {} on port {}",
                    cluster.data_dir.display(),
                    cluster.port
                )
            }
        }
    }
}

/// A URL with any password hidden, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// What the resolution needs to know, from the environment in production, explicit in tests.
pub struct DatabaseOptions {
    pub database_url: Option<String>,
    /// The port probed for an already running Postgres (5432).
    pub local_port: u16,
    /// The folder the private cluster lives in.
    pub data_dir: PathBuf,
    /// Directories to search for `initdb` and `pg_ctl` (`PATH` plus distribution folders).
    pub search_path: Vec<PathBuf>,
}

impl DatabaseOptions {
    /// `PATH`, then Debian's and Homebrew's versioned folders, newest version first.
    pub fn default_search_path(path_env: Option<OsString>) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> =
            path_env.map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
        for root in ["/usr/lib/postgresql", "/opt/homebrew/opt", "/usr/local/opt"] {
            let Ok(entries) = std::fs::read_dir(root) else { continue };
            let mut versioned: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                        root == "/usr/lib/postgresql" || n.starts_with("postgresql")
                    })
                })
                .map(|p| p.join("bin"))
                .collect();
            versioned.sort_by_key(|p| std::cmp::Reverse(version_of(p)));
            dirs.extend(versioned);
        }
        dirs
    }
}

fn version_of(bin: &Path) -> u32 {
    bin.parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .map(|n| n.chars().filter(char::is_ascii_digit).collect::<String>())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0)
}

/// Resolves the database, starting a private cluster when nothing else is available.
pub async fn resolve(options: &DatabaseOptions) -> Result<DatabaseSource, SetupError> {
    if let Some(url) = options.database_url.clone().filter(|u| !u.trim().is_empty()) {
        return Ok(DatabaseSource::Configured(url));
    }
    let local = SocketAddr::from((Ipv4Addr::LOCALHOST, options.local_port));
    if TcpStream::connect_timeout(&local, Duration::from_secs(1)).is_ok() {
        return use_local_server(options.local_port).await.map(DatabaseSource::LocalServer);
    }
    start_private_cluster(options).await.map(DatabaseSource::Private)
}

async fn use_local_server(port: u16) -> Result<String, SetupError> {
    let mut users: Vec<String> = ["PGUSER", "USER"]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .filter(|u| !u.is_empty())
        .collect();
    users.push("postgres".to_owned());
    users.dedup();
    let mut refusals = Vec::new();
    for user in &users {
        let server = format!("postgres://{user}@127.0.0.1:{port}");
        match PgConnection::connect(&format!("{server}/postgres")).await {
            Ok(mut connection) => {
                create_database_if_missing(&mut connection).await?;
                return Ok(format!("{server}/{DATABASE_NAME}"));
            }
            Err(error) => refusals.push(format!("{user}: {error}")),
        }
    }
    Err(setup_error(format!(
        "A PostgreSQL server answers on 127.0.0.1:{port} but would not let Guanxi in ({}). \
         Set DATABASE_URL=postgres://user:password@host:port/guanxi to a database Guanxi may use.",
        refusals.join("; ")
    )))
}

async fn create_database_if_missing(connection: &mut PgConnection) -> Result<(), SetupError> {
    let exists: bool =
        sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
            .bind(DATABASE_NAME)
            .fetch_one(&mut *connection)
            .await
            .map_err(|e| setup_error(format!("checking for the {DATABASE_NAME} database: {e}")))?;
    if !exists {
        connection
            .execute(format!("create database {DATABASE_NAME} encoding 'UTF8'").as_str())
            .await
            .map_err(|e| setup_error(format!("creating the {DATABASE_NAME} database: {e}")))?;
    }
    Ok(())
}

/// `initdb` and `pg_ctl`, found together in one directory.
#[derive(Clone, Debug)]
pub struct PostgresBinaries {
    pub initdb: PathBuf,
    pub pg_ctl: PathBuf,
}

impl PostgresBinaries {
    /// The first directory of `search_path` holding both programs.
    pub fn find(search_path: &[PathBuf]) -> Result<Self, SetupError> {
        search_path
            .iter()
            .map(|dir| (dir.join("initdb"), dir.join("pg_ctl")))
            .find(|(initdb, pg_ctl)| initdb.is_file() && pg_ctl.is_file())
            .map(|(initdb, pg_ctl)| PostgresBinaries { initdb, pg_ctl })
            .ok_or_else(|| {
                setup_error(
                    "No database: DATABASE_URL is not set, nothing answers on the local Postgres \
                     port, and no PostgreSQL programs (initdb, pg_ctl) were found on PATH or in \
                     /usr/lib/postgresql/*/bin. Install PostgreSQL (Debian/Ubuntu: \
                     `apt-get install postgresql`; macOS: `brew install postgresql@16`) or set \
                     DATABASE_URL=postgres://user:password@host:port/guanxi.",
                )
            })
    }
}

/// A Postgres cluster owned by this process.
pub struct PrivateCluster {
    pub data_dir: PathBuf,
    pub port: u16,
    pub url: String,
    binaries: PostgresBinaries,
    run_as: Option<String>,
    stopped: AtomicBool,
}

/// Postgres refuses to run as root; as root we run it as this account.
fn unprivileged_user() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return None;
    }
    let exists = |user: &str| {
        Command::new("id").arg("-u").arg(user).output().is_ok_and(|o| o.status.success())
    };
    ["postgres", "nobody"].into_iter().find(|u| exists(u)).map(str::to_owned)
}

/// Runs `program args` as `user` (or as ourselves), returning stdout or the failure's output.
fn run(program: &Path, args: &[&str], user: Option<&str>) -> Result<String, SetupError> {
    let mut command = match user {
        None => {
            let mut c = Command::new(program);
            c.args(args);
            c
        }
        Some(user) => {
            // runuser (util-linux) where present; otherwise su, whose `-c 'exec "$0" "$@"'`
            // passes the arguments through untouched by shell quoting.
            let mut c;
            if Path::new("/usr/sbin/runuser").exists() || Path::new("/sbin/runuser").exists() {
                c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program).args(args);
            } else {
                c = Command::new("su");
                c.args(["-s", "/bin/sh", "-c", "exec \"$0\" \"$@\"", user, "--"])
                    .arg(program)
                    .args(args);
            }
            c
        }
    };
    let output =
        command.output().map_err(|e| setup_error(format!("running {}: {e}", program.display())))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(setup_error(format!(
            "{} {} failed: {}{}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

/// Settings for a cluster this process owns. Postgres' defaults (128 MB of buffers, 1 GB of
/// WAL between checkpoints) suit a small shared server: at a million customers, the customer
/// table's fourteen indexes no longer fit in 128 MB and every imported row's index entries go
/// through evictions and full-page WAL images. A 100,000-row import into 1.1-1.4 M customers on
/// 2 cores (`cargo bench -p server --bench customers`): 19.4 s with the defaults, 15.5 s with
/// 4 GB of buffers; with 8 GB of WAL (and lz4 WAL compression) 16.9-18.3 s on 128 MB of
/// buffers, 14.8-15.1 s on 4 GB.
fn memory_settings(total_memory: Option<u64>) -> String {
    const MB: u64 = 1024 * 1024;
    // A quarter of the machine, the usual starting point, never below Postgres' default and
    // capped where more stops paying for a CRM's working set.
    let buffers_mb = total_memory.map_or(128, |bytes| (bytes / 4 / MB).clamp(128, 4096));
    format!("-c shared_buffers={buffers_mb}MB -c max_wal_size=8GB")
}

/// The machine's memory, where the system says (Linux).
fn total_memory_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn free_port() -> Result<u16, SetupError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| setup_error(format!("finding a free port: {e}")))
}

/// Writes a file only its owner can read or write.
fn write_private(path: &Path, contents: &str) -> Result<(), SetupError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options
        .open(path)
        .and_then(|mut file| file.write_all(contents.as_bytes()))
        .map_err(|e| setup_error(format!("writing {}: {e}", path.display())))
}

fn chown(path: &Path, user: &str) -> Result<(), SetupError> {
    run(Path::new("chown"), &["-R", user, &path.to_string_lossy()], None).map(|_| ())
}

/// Starts (initialising on first use) the cluster under `options.data_dir`.
pub async fn start_private_cluster(
    options: &DatabaseOptions,
) -> Result<PrivateCluster, SetupError> {
    let binaries = PostgresBinaries::find(&options.search_path)?;
    let run_as = unprivileged_user();
    std::fs::create_dir_all(&options.data_dir)
        .map_err(|e| setup_error(format!("creating {}: {e}", options.data_dir.display())))?;
    let root = options
        .data_dir
        .canonicalize()
        .map_err(|e| setup_error(format!("resolving {}: {e}", options.data_dir.display())))?;
    let data_dir = root.join("postgres");
    let log_file = root.join("postgres.log");
    let data = data_dir.to_string_lossy().into_owned();

    // Any local user could connect as the superuser of a `trust` cluster: it gets a generated
    // password, kept readable by its owner only.
    let password_file = root.join("password");
    if !data_dir.join("PG_VERSION").is_file() {
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| setup_error(format!("creating {data}: {e}")))?;
        if let Some(user) = &run_as {
            chown(&data_dir, user)?;
        }
        let password =
            format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        write_private(&password_file, &password)?;
        if let Some(user) = &run_as {
            chown(&password_file, user)?;
        }
        let pwfile = format!("--pwfile={}", password_file.to_string_lossy());
        run(
            &binaries.initdb,
            &[
                "-D",
                &data,
                "-U",
                "guanxi",
                "--auth-local=scram-sha-256",
                "--auth-host=scram-sha-256",
                &pwfile,
                "-E",
                "UTF8",
                "--locale=C",
                "--no-instructions",
            ],
            run_as.as_deref(),
        )?;
    }
    // Clusters made before passwords were introduced have none (and `trust`).
    let credentials = match std::fs::read_to_string(&password_file) {
        Ok(password) => format!("guanxi:{}", password.trim()),
        Err(_) => {
            tracing::warn!(
                "the private cluster in {data} has no password file and trusts local users; \
                 delete the folder to re-create it with a password"
            );
            "guanxi".to_owned()
        }
    };
    if !log_file.exists() {
        std::fs::write(&log_file, b"")
            .map_err(|e| setup_error(format!("creating {}: {e}", log_file.display())))?;
    }
    if let Some(user) = &run_as {
        chown(&log_file, user)?;
    }
    // A previous run that was killed may have left its server running: stop it, then start ours.
    if run(&binaries.pg_ctl, &["-D", &data, "status"], run_as.as_deref()).is_ok() {
        let _ =
            run(&binaries.pg_ctl, &["-D", &data, "-m", "fast", "-w", "stop"], run_as.as_deref());
    }
    let port = free_port()?;
    let server_options = format!(
        "-p {port} -k {data} -c listen_addresses=127.0.0.1 {}",
        memory_settings(total_memory_bytes())
    );
    run(
        &binaries.pg_ctl,
        &[
            "-D",
            &data,
            "-l",
            &log_file.to_string_lossy(),
            "-w",
            "-t",
            "60",
            "-o",
            &server_options,
            "start",
        ],
        run_as.as_deref(),
    )?;
    let server = format!("postgres://{credentials}@127.0.0.1:{port}");
    let cluster = PrivateCluster {
        data_dir: data_dir.clone(),
        port,
        url: format!("{server}/{DATABASE_NAME}"),
        binaries,
        run_as,
        stopped: AtomicBool::new(false),
    };
    let mut connection = PgConnection::connect(&format!("{server}/postgres"))
        .await
        .map_err(|e| setup_error(format!("connecting to the private cluster: {e}")))?;
    create_database_if_missing(&mut connection).await?;
    let _ = connection.close().await;
    Ok(cluster)
}

impl PrivateCluster {
    /// Stops the cluster (fast shutdown: open connections are closed, data is safe).
    pub fn stop(&self) -> Result<(), SetupError> {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let data = self.data_dir.to_string_lossy();
        run(
            &self.binaries.pg_ctl,
            &["-D", &data, "-m", "fast", "-w", "stop"],
            self.run_as.as_deref(),
        )
        .map(|_| ())
    }

    /// Stops the cluster as a crash or power loss would (immediate shutdown: no checkpoint;
    /// the next start recovers from the WAL). For fault tests.
    pub fn crash(&self) -> Result<(), SetupError> {
        self.stopped.store(true, Ordering::SeqCst);
        let data = self.data_dir.to_string_lossy();
        run(
            &self.binaries.pg_ctl,
            &["-D", &data, "-m", "immediate", "-w", "stop"],
            self.run_as.as_deref(),
        )
        .map(|_| ())
    }

    /// Starts the cluster again on the same port after `stop` (used to test reconnection).
    pub fn restart(&self) -> Result<(), SetupError> {
        let data = self.data_dir.to_string_lossy().into_owned();
        let log = self.data_dir.with_file_name("postgres.log");
        let server_options = format!("-p {} -k {data} -c listen_addresses=127.0.0.1", self.port);
        run(
            &self.binaries.pg_ctl,
            &[
                "-D",
                &data,
                "-l",
                &log.to_string_lossy(),
                "-w",
                "-t",
                "60",
                "-o",
                &server_options,
                "start",
            ],
            self.run_as.as_deref(),
        )?;
        self.stopped.store(false, Ordering::SeqCst);
        Ok(())
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            eprintln!("stopping the private Postgres cluster: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_cluster_takes_a_quarter_of_memory_for_buffers_within_bounds() {
        const GB: u64 = 1024 * 1024 * 1024;
        assert_eq!(
            memory_settings(Some(24 * GB)),
            "-c shared_buffers=4096MB -c max_wal_size=8GB",
            "capped"
        );
        assert!(memory_settings(Some(8 * GB)).contains("shared_buffers=2048MB"));
        assert!(memory_settings(Some(GB / 4)).contains("shared_buffers=128MB"), "never below");
        assert!(memory_settings(None).contains("shared_buffers=128MB"), "unknown: the default");
    }

    #[test]
    fn missing_binaries_explain_what_to_do() {
        let error = PostgresBinaries::find(&[PathBuf::from("/nonexistent")]).unwrap_err();
        assert!(error.0.contains("DATABASE_URL"), "{error}");
        assert!(error.0.contains("apt-get install postgresql"), "{error}");
    }

    #[test]
    fn passwords_are_redacted_from_logged_urls() {
        assert_eq!(
            redact("postgres://app:secret@db:5432/guanxi"),
            "postgres://app:***@db:5432/guanxi"
        );
        assert_eq!(redact("postgres://app@db/guanxi"), "postgres://app@db/guanxi");
    }

    #[test]
    fn versioned_folders_sort_newest_first() {
        assert_eq!(version_of(Path::new("/usr/lib/postgresql/15/bin")), 15);
        assert_eq!(version_of(Path::new("/opt/homebrew/opt/postgresql@16/bin")), 16);
    }
}
