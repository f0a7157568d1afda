//! SQL of the company settings.

use super::model::{CompanySettings, MAX_RECYCLE_BIN_DAYS, SLA_WARNING_PERCENT_RANGE};
use crate::{
    audit::repo::{Change, record},
    auth::server::Authenticated,
    error::{AppError, FieldError, FieldErrors},
    state::AppState,
};
use chrono_tz::Tz;
use sqlx::PgExecutor;

pub async fn settings(executor: impl PgExecutor<'_>) -> Result<CompanySettings, AppError> {
    let row = sqlx::query!(
        "select time_zone, recycle_bin_days, sla_warning_percent, version from company_settings"
    )
    .fetch_one(executor)
    .await?;
    Ok(CompanySettings {
        time_zone: row.time_zone,
        recycle_bin_days: row.recycle_bin_days,
        sla_warning_percent: row.sla_warning_percent,
        version: row.version,
    })
}

/// Saves the settings if `version` is current.
///
/// Errors: `Validation` (`time_zone`), `Conflict`.
pub async fn save(
    state: &AppState,
    caller: &Authenticated,
    settings: &CompanySettings,
) -> Result<(), AppError> {
    let zone = settings.time_zone.trim();
    // Both sides count days in this zone: Rust (imports, calendars) and SQL (reports).
    let known_to_postgres: bool = sqlx::query_scalar!(
        r#"select exists(select 1 from pg_timezone_names where name = $1) as "e!""#,
        zone
    )
    .fetch_one(&state.pool)
    .await?;
    let mut errors = FieldErrors::new();
    if zone.parse::<Tz>().is_err() || !known_to_postgres {
        errors.add("time_zone", FieldError::InvalidChoice);
    }
    if !(1..=MAX_RECYCLE_BIN_DAYS).contains(&settings.recycle_bin_days) {
        errors.add(
            "recycle_bin_days",
            FieldError::OutOfRange { min: 1, max: MAX_RECYCLE_BIN_DAYS.into() },
        );
    }
    let (low, high) = SLA_WARNING_PERCENT_RANGE;
    if !(low..=high).contains(&settings.sla_warning_percent) {
        errors.add(
            "sla_warning_percent",
            FieldError::OutOfRange { min: low.into(), max: high.into() },
        );
    }
    errors.into_result()?;
    let mut tx = state.pool.begin().await?;
    let before = settings_for_update(&mut tx).await?;
    if before.version != settings.version {
        return Err(AppError::Conflict);
    }
    sqlx::query!(
        "update company_settings set time_zone = $1, recycle_bin_days = $3,
                sla_warning_percent = $4, version = version + 1, updated_at = now(), updated_by = $2",
        zone,
        caller.id().0,
        settings.recycle_bin_days,
        settings.sla_warning_percent,
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut *tx,
        caller.actor(),
        Change::new("update", "company_settings", "company")
            .before(&serde_json::json!({
                "time_zone": before.time_zone, "recycle_bin_days": before.recycle_bin_days,
                "sla_warning_percent": before.sla_warning_percent,
            }))
            .after(&serde_json::json!({
                "time_zone": zone, "recycle_bin_days": settings.recycle_bin_days,
                "sla_warning_percent": settings.sla_warning_percent,
            })),
    )
    .await?;
    tx.commit().await?;
    state.clock.set(zone);
    Ok(())
}

async fn settings_for_update(conn: &mut sqlx::PgConnection) -> Result<CompanySettings, AppError> {
    let row = sqlx::query!(
        "select time_zone, recycle_bin_days, sla_warning_percent, version from company_settings for update"
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(CompanySettings {
        time_zone: row.time_zone,
        recycle_bin_days: row.recycle_bin_days,
        sla_warning_percent: row.sla_warning_percent,
        version: row.version,
    })
}
