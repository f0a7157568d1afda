//! Backups an operator can trust: `pg_dump` in custom format plus a manifest of every table's
//! row count and checksum, taken from the same snapshot as the dump, and a restore that checks
//! the restored database against that manifest before anyone relies on it.

use serde::{Deserialize, Serialize};
use sqlx::{Connection, Executor, PgConnection, Row};
use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// What a backup holds, written beside its dump as `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The newest migration applied in the backed-up database.
    pub migration: Option<i64>,
    pub dump_file: String,
    pub dump_bytes: u64,
    pub dump_sha256: String,
    pub tables: Vec<TableSum>,
}

/// One table's size and contents, summarised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSum {
    pub name: String,
    pub rows: i64,
    /// Sum of a hash of every row's text: independent of row order, changed by any value.
    pub checksum: String,
}

pub const MANIFEST: &str = "manifest.json";
const DUMP: &str = "database.dump";
const PREFIX: &str = "guanxi-";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn failed(what: &str, detail: impl std::fmt::Display) -> BoxError {
    format!("{what}: {detail}").into()
}

/// A PostgreSQL client program (`pg_dump`, `pg_restore`) from `search_path`.
pub fn program(name: &str, search_path: &[PathBuf]) -> Result<PathBuf, BoxError> {
    search_path.iter().map(|dir| dir.join(name)).find(|p| p.is_file()).ok_or_else(|| {
        failed(
            name,
            "not found on PATH or in /usr/lib/postgresql/*/bin; install the PostgreSQL client \
             (Debian/Ubuntu: apt-get install postgresql-client)",
        )
    })
}

/// Settings under which a row's text is the same in every session.
async fn stable_text(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    conn.execute("set timezone = 'UTC'; set datestyle = 'ISO, YMD'; set extra_float_digits = 3; set intervalstyle = 'postgres'; set bytea_output = 'hex'")
        .await?;
    Ok(())
}

/// The newest migration applied, if the database has a migrations table.
async fn newest_migration(conn: &mut PgConnection) -> Result<Option<i64>, sqlx::Error> {
    let migrated: bool =
        sqlx::query_scalar("select to_regclass('public._sqlx_migrations') is not null")
            .fetch_one(&mut *conn)
            .await?;
    if !migrated {
        return Ok(None);
    }
    sqlx::query_scalar("select max(version) from _sqlx_migrations where success")
        .fetch_one(conn)
        .await
}

/// Every table's row count and checksum, as the connection's snapshot sees them.
async fn summarise(conn: &mut PgConnection) -> Result<Vec<TableSum>, BoxError> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select format('%I.%I', schemaname, tablename) from pg_tables
         where schemaname not in ('pg_catalog', 'information_schema')
         order by schemaname, tablename",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut sums = Vec::with_capacity(tables.len());
    for name in tables {
        // The name comes from the catalogue, quoted by format('%I').
        let row = sqlx::query(&format!(
            "select count(*)::bigint,
                    coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint::numeric), 0)::text
             from {name} t"
        ))
        .fetch_one(&mut *conn)
        .await?;
        sums.push(TableSum { name, rows: row.try_get(0)?, checksum: row.try_get(1)? });
    }
    Ok(sums)
}

fn sha256_of(path: &Path) -> Result<(String, u64), BoxError> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hasher)?;
    let digest = hasher.finalize();
    Ok((digest.iter().map(|b| format!("{b:02x}")).collect(), bytes))
}

/// `sha256_of` off the async runtime: a dump can be gigabytes.
async fn checksum(path: PathBuf) -> Result<(String, u64), BoxError> {
    tokio::task::spawn_blocking(move || sha256_of(&path))
        .await
        .map_err(|e| failed("checksum", e))?
}

/// Writes a backup of `database_url` into a new folder under `folder` and keeps the newest
/// `keep` backups there. Returns the new backup's folder.
///
/// The manifest and the dump read one snapshot: the manifest's transaction exports it and
/// `pg_dump --snapshot` uses it, so writes during the backup are in neither or both.
pub async fn backup(
    database_url: &str,
    folder: &Path,
    keep: usize,
    search_path: &[PathBuf],
) -> Result<(PathBuf, Manifest), BoxError> {
    let pg_dump = program("pg_dump", search_path)?;
    let created_at = chrono::Utc::now();
    let target = folder.join(format!("{PREFIX}{}", created_at.format("%Y%m%dT%H%M%S%.3fZ")));
    let partial = folder.join(format!(".partial-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&partial)?;

    let mut conn = PgConnection::connect(database_url).await?;
    conn.execute("begin isolation level repeatable read, read only").await?;
    let snapshot: String =
        sqlx::query_scalar("select pg_export_snapshot()").fetch_one(&mut conn).await?;
    let dump_path = partial.join(DUMP);
    let dump = {
        let pg_dump = pg_dump.clone();
        let dump_path = dump_path.clone();
        let url = database_url.to_owned();
        tokio::task::spawn_blocking(move || {
            Command::new(pg_dump)
                .args(["--format=custom", "--no-owner", "--no-privileges", "--snapshot"])
                .arg(&snapshot)
                .arg("--file")
                .arg(&dump_path)
                .arg("--dbname")
                .arg(&url)
                .output()
        })
    };
    stable_text(&mut conn).await?;
    let tables = summarise(&mut conn).await?;
    let migration = newest_migration(&mut conn).await?;
    let output = dump.await.map_err(|e| failed("pg_dump", e))??;
    conn.execute("commit").await?;
    conn.close().await?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(failed("pg_dump", String::from_utf8_lossy(&output.stderr).trim()));
    }
    let (dump_sha256, dump_bytes) = checksum(dump_path).await?;
    let manifest =
        Manifest { created_at, migration, dump_file: DUMP.into(), dump_bytes, dump_sha256, tables };
    std::fs::write(partial.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    // Complete or absent: the folder gets its name only once everything is written.
    std::fs::rename(&partial, &target)?;
    prune(folder, keep)?;
    Ok((target, manifest))
}

/// The backups in `folder`, oldest first.
pub fn backups_in(folder: &Path) -> Result<Vec<PathBuf>, BoxError> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(folder)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(PREFIX))
                && p.join(MANIFEST).is_file()
        })
        .collect();
    found.sort();
    Ok(found)
}

fn prune(folder: &Path, keep: usize) -> Result<(), BoxError> {
    let found = backups_in(folder)?;
    let excess = found.len().saturating_sub(keep.max(1));
    for old in &found[..excess] {
        std::fs::remove_dir_all(old)?;
    }
    Ok(())
}

/// What a restore found when it compared the restored database with the manifest.
#[derive(Debug)]
pub struct Verified {
    pub tables: usize,
    pub rows: i64,
}

/// Restores the backup in `backup_folder` into `target_url`, a database that must not exist
/// yet or be empty, then checks every table against the manifest.
///
/// Errors: a changed dump file (checksum), a non-empty target, `pg_restore` failing, or any
/// table whose row count or checksum differs (named in the message).
pub async fn restore(
    backup_folder: &Path,
    target_url: &str,
    search_path: &[PathBuf],
) -> Result<Verified, BoxError> {
    let pg_restore = program("pg_restore", search_path)?;
    let manifest: Manifest = serde_json::from_slice(&std::fs::read(backup_folder.join(MANIFEST))?)?;
    let dump_path = backup_folder.join(&manifest.dump_file);
    let (sha, _) = checksum(dump_path.clone()).await?;
    if sha != manifest.dump_sha256 {
        return Err(failed("restore", "the dump file does not match its manifest (damaged?)"));
    }
    create_if_missing(target_url).await?;
    let mut conn = PgConnection::connect(target_url).await?;
    let tables: i64 = sqlx::query_scalar(
        "select count(*) from pg_tables where schemaname not in ('pg_catalog', 'information_schema')",
    )
    .fetch_one(&mut conn)
    .await?;
    if tables > 0 {
        return Err(failed("restore", "the target database is not empty; restore into a new one"));
    }
    let output = {
        let url = target_url.to_owned();
        tokio::task::spawn_blocking(move || {
            Command::new(pg_restore)
                .args(["--no-owner", "--no-privileges", "--exit-on-error", "--dbname"])
                .arg(&url)
                .arg(&dump_path)
                .output()
        })
        .await
        .map_err(|e| failed("pg_restore", e))??
    };
    if !output.status.success() {
        return Err(failed("pg_restore", String::from_utf8_lossy(&output.stderr).trim()));
    }
    stable_text(&mut conn).await?;
    let restored = summarise(&mut conn).await?;
    conn.close().await?;
    let differences: Vec<String> = manifest
        .tables
        .iter()
        .filter(|expected| !restored.contains(expected))
        .map(|expected| match restored.iter().find(|t| t.name == expected.name) {
            Some(found) => {
                format!("{} ({} rows, expected {})", expected.name, found.rows, expected.rows)
            }
            None => format!("{} (missing)", expected.name),
        })
        .collect();
    if !differences.is_empty() || restored.len() != manifest.tables.len() {
        return Err(failed(
            "verification",
            format!("the restored database differs from the manifest: {}", differences.join(", ")),
        ));
    }
    Ok(Verified { tables: restored.len(), rows: restored.iter().map(|t| t.rows).sum() })
}

/// The server part of `url` and the database it names.
fn split_database_url(url: &str) -> Result<(&str, &str), BoxError> {
    let (base, name) = url
        .rsplit_once('/')
        .ok_or_else(|| failed("restore", "a database URL needs a database name"))?;
    Ok((base, name.split('?').next().unwrap_or(name)))
}

/// `url` with its database name replaced by `name` (same server, user and options).
pub fn sibling_database_url(url: &str, name: &str) -> Result<String, BoxError> {
    let (base, _) = split_database_url(url)?;
    let query = url.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
    Ok(format!("{base}/{name}{query}"))
}

/// A connection to the `postgres` database of the server `url` points at, to create or drop
/// databases.
async fn maintenance_connection(url: &str) -> Result<(PgConnection, String), BoxError> {
    let (_, name) = split_database_url(url)?;
    let admin = PgConnection::connect(&sibling_database_url(url, "postgres")?).await?;
    Ok((admin, name.to_owned()))
}

/// Creates the database `url` names when it does not exist.
async fn create_if_missing(url: &str) -> Result<(), BoxError> {
    let (mut admin, name) = maintenance_connection(url).await?;
    let exists: bool =
        sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        let quoted: String =
            sqlx::query_scalar("select quote_ident($1)").bind(&name).fetch_one(&mut admin).await?;
        admin.execute(format!("create database {quoted}").as_str()).await?;
    }
    admin.close().await?;
    Ok(())
}

/// Drops the database `url` names, if it exists, ending its connections (a verification's
/// scratch copy).
pub async fn drop_database(url: &str) -> Result<(), BoxError> {
    let (mut admin, name) = maintenance_connection(url).await?;
    let quoted: String =
        sqlx::query_scalar("select quote_ident($1)").bind(&name).fetch_one(&mut admin).await?;
    admin.execute(format!("drop database if exists {quoted} with (force)").as_str()).await?;
    admin.close().await?;
    Ok(())
}
