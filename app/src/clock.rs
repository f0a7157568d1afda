//! The company's time zone as each server process knows it, and the conversions between
//! instants and the company's calendar.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use sqlx::{PgExecutor, PgPool};
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// How long a process trusts the zone it read: a change saved in another process reaches this
/// one within this time (a change saved here applies at once).
const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// The zone Guanxi uses when the stored name is unknown to chrono.
pub const FALLBACK: Tz = Tz::Asia__Shanghai;

/// The company's zone, read from the database at most every few seconds per process, so that
/// rendering a page costs no query for it.
#[derive(Clone, Default)]
pub struct CompanyClock {
    known: Arc<RwLock<Option<(Tz, Instant)>>>,
}

impl CompanyClock {
    /// The zone now in force.
    pub async fn zone(&self, pool: &PgPool) -> Tz {
        let cached = self.known.read().ok().and_then(|known| *known);
        if let Some((zone, read_at)) = cached
            && read_at.elapsed() < FRESH_FOR
        {
            return zone;
        }
        match time_zone(pool).await {
            Ok(zone) => {
                self.remember(zone);
                zone
            }
            Err(error) => {
                // A page still renders while the database is away, in the last zone known.
                tracing::warn!(%error, "reading the company time zone failed");
                cached.map(|(zone, _)| zone).unwrap_or(FALLBACK)
            }
        }
    }

    /// Records a zone just saved by this process.
    pub fn set(&self, name: &str) {
        self.remember(parse_zone(name));
    }

    fn remember(&self, zone: Tz) {
        if let Ok(mut known) = self.known.write() {
            *known = Some((zone, Instant::now()));
        }
    }
}

/// A stored zone name as chrono's zone. Names are checked against chrono when saved; one it
/// does not know (set by hand in SQL) falls back to Shanghai rather than failing every page.
pub fn parse_zone(name: &str) -> Tz {
    name.parse().unwrap_or_else(|_| {
        tracing::warn!(zone = name, "unknown company time zone; using {FALLBACK}");
        FALLBACK
    })
}

/// The company's zone, read now (jobs and services that run outside a request). A name chrono
/// does not know (the database's tz data is newer) falls back to the default with a warning.
pub async fn time_zone(executor: impl PgExecutor<'_>) -> Result<Tz, crate::error::AppError> {
    let name =
        sqlx::query_scalar!("select time_zone from company_settings").fetch_one(executor).await?;
    Ok(parse_zone(&name))
}

/// The instant a wall-clock time in `zone` names. A time skipped by a daylight-saving change
/// (02:30 on a spring-forward night) is read as the moment the clock resumes; a time that
/// happens twice (the autumn hour) as its first occurrence.
pub fn local_to_utc(local: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // No zone skips more than a few hours: step forward until the clock exists again.
            (1..=24)
                .find_map(|quarter| {
                    zone.from_local_datetime(&(local + Duration::minutes(15 * quarter))).earliest()
                })
                .map(|at| at.with_timezone(&Utc))
                .unwrap_or_else(|| local.and_utc())
        }
    }
}

/// The instant a day begins in `zone`.
pub fn start_of_day(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    local_to_utc(day.and_time(chrono::NaiveTime::MIN), zone)
}

/// The day an instant falls on in `zone`.
pub fn local_date(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// Today in `zone`.
pub fn today(zone: Tz) -> NaiveDate {
    local_date(Utc::now(), zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn shanghai_midnight_is_the_previous_utc_evening() {
        let zone = Tz::Asia__Shanghai;
        assert_eq!(local_to_utc(local("2026-03-01 00:30"), zone), at("2026-02-28T16:30:00Z"));
        assert_eq!(
            local_date(at("2026-02-28T16:30:00Z"), zone),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
        );
        assert_eq!(
            start_of_day(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), zone),
            at("2026-02-28T16:00:00Z")
        );
    }

    #[test]
    fn daylight_saving_gaps_and_repeats_resolve_to_a_real_instant() {
        let zone = Tz::Europe__Berlin;
        // 2026-03-29 02:30 does not exist in Berlin: the clock jumps from 02:00 to 03:00 (UTC+2).
        assert_eq!(local_to_utc(local("2026-03-29 02:30"), zone), at("2026-03-29T01:00:00Z"));
        // 2026-10-25 02:30 happens twice; the first is still summer time (UTC+2).
        assert_eq!(local_to_utc(local("2026-10-25 02:30"), zone), at("2026-10-25T00:30:00Z"));
        // Summer and winter offsets differ by an hour.
        assert_eq!(local_to_utc(local("2026-07-01 12:00"), zone), at("2026-07-01T10:00:00Z"));
        assert_eq!(local_to_utc(local("2026-12-01 12:00"), zone), at("2026-12-01T11:00:00Z"));
    }
}
