//! Schema migrations, embedded in the binary so start-up needs nothing beside it.

use sqlx::migrate::Migrator;

/// Every migration in `migrations/`, applied in order at start-up and by the test harness.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Brings the planner's statistics up to date for each of `tables` that has none yet or has
/// changed by more than a tenth since it last had them; returns the tables analyzed.
///
/// Bulk work (an import, a recompute after one) cannot wait for autovacuum: without statistics
/// the planner takes a fresh table for empty and turns a join over every customer into a loop
/// (a recompute took 470 s instead of seconds on real data).
#[cfg(feature = "ssr")]
pub async fn analyze_if_stale(
    pool: &sqlx::PgPool,
    tables: &[&'static str],
) -> Result<Vec<&'static str>, sqlx::Error> {
    let mut analyzed = Vec::new();
    for &table in tables {
        let stale: Option<bool> = sqlx::query_scalar(
            "select (last_analyze is null and last_autoanalyze is null)
                    or n_mod_since_analyze > greatest(1000, n_live_tup / 10)
             from pg_stat_user_tables where relname = $1 and schemaname = current_schema()",
        )
        .bind(table)
        .fetch_optional(pool)
        .await?
        .flatten();
        if stale.unwrap_or(true) {
            // The names come from this crate, never from input.
            sqlx::query(&format!("analyze {table}")).execute(pool).await?;
            analyzed.push(table);
        }
    }
    Ok(analyzed)
}
