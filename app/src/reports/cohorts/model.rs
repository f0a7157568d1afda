//! What the cohort retention report asks and answers: customers grouped by the month of their
//! first order (their cohort), and how many of each cohort ordered again in every later month.
//! The query travels in the page's address, so the report is bookmarked and opened directly.

use crate::error::{FieldError, FieldErrors};
use crate::reports::model::Narrowing;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The most cohorts (months) one report shows.
pub const MAX_COHORTS: u32 = 36;
/// Cohorts shown when none are asked for: this month and the eleven before.
pub const DEFAULT_COHORTS: u32 = 12;

/// Which cohorts the report covers, and whose customers. `from` and `to` are the first and last
/// cohort months (any day of a month stands for the month); the caller's data scope still
/// applies under the narrowing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub narrowing: Narrowing,
}

/// The first day of `day`'s month.
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The month `months` after the one starting at `start`.
pub fn months_after(start: NaiveDate, months: u32) -> NaiveDate {
    start.checked_add_months(chrono::Months::new(months)).unwrap_or(start)
}

/// The first day of every month from the month of `from` to the month of `to`, oldest first:
/// a report's months, empty ones too.
pub fn month_starts(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut months = vec![];
    let mut month = month_start(from);
    while month <= to {
        months.push(month);
        month = months_after(month, 1);
    }
    months
}

/// The first and last day of the month holding `day`.
pub fn month_days(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = month_start(day);
    (first, months_after(first, 1) - chrono::Duration::days(1))
}

/// Whole months from the month of `from` to the month of `to`.
pub fn months_between(from: NaiveDate, to: NaiveDate) -> i32 {
    (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32
}

/// `2026-03` or `2026-03-15` (an `<input type="month">` gives the first).
fn parse_month(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .or_else(|_| text.parse::<NaiveDate>())
        .ok()
        .map(month_start)
}

impl CohortQuery {
    /// The cohort months to report, as first days: the ones asked, or the twelve months up to
    /// this one. Refuses a range that ends before it starts, or longer than `MAX_COHORTS`.
    pub fn range(&self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), FieldErrors> {
        let this_month = month_start(today);
        let to = self.to.map(month_start).unwrap_or(this_month);
        let from = self.from.map(month_start).unwrap_or_else(|| {
            to.checked_sub_months(chrono::Months::new(DEFAULT_COHORTS - 1)).unwrap_or(to)
        });
        if to < from {
            return Err(FieldErrors::single("to", FieldError::InvalidDate));
        }
        if months_between(from, to) >= MAX_COHORTS as i32 {
            return Err(FieldErrors::single(
                "to",
                FieldError::OutOfRange { min: 1, max: MAX_COHORTS as i64 },
            ));
        }
        Ok((from, to))
    }

    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![];
        if let Some(from) = self.from {
            pairs.push(("from", from.format("%Y-%m").to_string()));
        }
        if let Some(to) = self.to {
            pairs.push(("to", to.format("%Y-%m").to_string()));
        }
        pairs.extend(self.narrowing.query_pairs());
        pairs
    }

    /// The query a URL names; what does not parse is left out.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        CohortQuery {
            from: get("from").as_deref().and_then(parse_month),
            to: get("to").as_deref().and_then(parse_month),
            narrowing: Narrowing::from_query(get),
        }
    }
}

/// One cohort: its month, how many customers placed their first order in it, and how many of
/// them ordered in each month after it (`returning[0]` the month after), up to this month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortRow {
    pub cohort: NaiveDate,
    pub size: i64,
    pub returning: Vec<i64>,
}

impl CohortRow {
    /// The share of the cohort that ordered `offset` months after its first (1 = the month
    /// after), in percent; none for an empty cohort or a month still to come.
    pub fn retention_percent(&self, offset: usize) -> Option<f64> {
        let returning = *self.returning.get(offset.checked_sub(1)?)?;
        (self.size > 0).then(|| returning as f64 * 100.0 / self.size as f64)
    }
}

/// The report: cohorts oldest first, and the columns (months after the first) it shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<CohortRow>,
    /// The most months after a cohort's first that any cohort has reached (this month counts).
    pub offsets: usize,
}

impl CohortReport {
    /// Retention `offset` months on, over every cohort that has reached it, weighted by cohort
    /// size (the share of all those customers, not an average of shares).
    pub fn overall_percent(&self, offset: usize) -> Option<f64> {
        let (returning, size) = self
            .rows
            .iter()
            .filter_map(|row| Some((*row.returning.get(offset.checked_sub(1)?)?, row.size)))
            .fold((0, 0), |(r, s), (returning, size)| (r + returning, s + size));
        (size > 0).then(|| returning as f64 * 100.0 / size as f64)
    }

    pub fn customers(&self) -> i64 {
        self.rows.iter().map(|row| row.size).sum()
    }
}

/// The customers behind one cell: a cohort, a month they ordered in, and the report's narrowing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortCell {
    pub cohort: NaiveDate,
    pub month: NaiveDate,
    pub narrowing: Narrowing,
}

impl CohortCell {
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("cohort", self.cohort.format("%Y-%m").to_string()),
            ("month", self.month.format("%Y-%m").to_string()),
        ];
        pairs.extend(self.narrowing.query_pairs());
        pairs
    }

    /// The cell a URL names (none without its cohort and month).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Option<Self> {
        Some(CohortCell {
            cohort: get("cohort").as_deref().and_then(parse_month)?,
            month: get("month").as_deref().and_then(parse_month)?,
            narrowing: Narrowing::from_query(get),
        })
    }

    /// The cell of `query`'s narrowing at `cohort`, `offset` months on.
    pub fn of(query: &CohortQuery, cohort: NaiveDate, offset: usize) -> Self {
        CohortCell {
            cohort,
            month: months_after(cohort, offset as u32),
            narrowing: query.narrowing.clone(),
        }
    }
}

/// A customer behind a cell: who, and what they ordered in the cell's month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortCustomer {
    pub id: i64,
    pub name: String,
    pub owner_name: Option<String>,
    pub region: Option<String>,
    /// Placed orders in the cell's month.
    pub orders: i64,
    /// Placed orders in all.
    pub order_count: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_ranges_months_run_from_its_first_month_to_its_last() {
        let months = month_starts(day("2025-11-15"), day("2026-02-01"));
        let expected = ["2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01"].map(day).to_vec();
        assert_eq!(months, expected);
        assert_eq!(month_starts(day("2026-03-31"), day("2026-03-31")), vec![day("2026-03-01")]);
        assert_eq!(month_days(day("2024-02-10")), (day("2024-02-01"), day("2024-02-29")));
    }

    #[test]
    fn the_default_is_twelve_months_to_this_one_and_long_ranges_are_refused() {
        let today = day("2026-12-06");
        assert_eq!(CohortQuery::default().range(today), Ok((day("2026-01-01"), day("2026-12-01"))));
        let reversed = CohortQuery {
            from: Some(day("2026-05-01")),
            to: Some(day("2026-03-31")),
            ..Default::default()
        };
        assert_eq!(reversed.range(today).unwrap_err().get("to"), &[FieldError::InvalidDate]);
        let long = CohortQuery {
            from: Some(day("2023-12-01")),
            to: Some(day("2026-12-01")),
            ..Default::default()
        };
        assert!(long.range(today).is_err());
        let widest = CohortQuery { from: Some(day("2024-01-31")), ..long };
        assert_eq!(widest.range(today), Ok((day("2024-01-01"), day("2026-12-01"))));
    }

    #[test]
    fn queries_and_cells_survive_their_urls() {
        let query = CohortQuery {
            from: Some(day("2026-01-01")),
            to: Some(day("2026-06-01")),
            narrowing: Narrowing {
                owner: Some(4),
                team: Some(0),
                region: Some("华东".into()),
                tier: Some(2),
            },
        };
        let pairs = query.query_pairs();
        let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone());
        assert_eq!(get("from").as_deref(), Some("2026-01"));
        assert_eq!(CohortQuery::from_query(get), query);
        let cell = CohortCell::of(&query, day("2026-02-01"), 3);
        assert_eq!(cell.month, day("2026-05-01"));
        let pairs = cell.query_pairs();
        let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone());
        assert_eq!(CohortCell::from_query(get), Some(cell));
        assert_eq!(CohortCell::from_query(|_| None), None);
    }

    #[test]
    fn overall_retention_weighs_cohorts_by_size_and_skips_months_to_come() {
        let report = CohortReport {
            from: day("2026-10-01"),
            to: day("2026-12-01"),
            rows: vec![
                CohortRow { cohort: day("2026-10-01"), size: 10, returning: vec![5, 2] },
                CohortRow { cohort: day("2026-11-01"), size: 30, returning: vec![3] },
                CohortRow { cohort: day("2026-12-01"), size: 4, returning: vec![] },
            ],
            offsets: 2,
        };
        assert_eq!(report.rows[0].retention_percent(1), Some(50.0));
        assert_eq!(report.rows[2].retention_percent(1), None);
        assert_eq!(report.rows[0].retention_percent(0), None);
        // (5 + 3) of (10 + 30), not the mean of 50% and 10%.
        assert_eq!(report.overall_percent(1), Some(20.0));
        assert_eq!(report.overall_percent(2), Some(20.0));
        assert_eq!(report.overall_percent(3), None);
        assert_eq!(report.customers(), 44);
        assert_eq!(months_between(day("2025-11-01"), day("2026-02-01")), 3);
    }
}
