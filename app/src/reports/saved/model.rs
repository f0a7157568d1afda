//! What a saved report is: which report, the query its page carried, and which days it covers
//! when read (the saved dates, or a range that rolls with the company's today).

use crate::{
    error::FieldErrors,
    reports::{
        churn::model::ChurnReport,
        cohorts::model::{CohortQuery, CohortReport},
        deals::model::{DealQuery, DealReport},
        funnel::model::{FunnelQuery, FunnelReport},
        model::{Grouping, RangeQuery, SalesQuery, SalesReport, query_string},
        moves::model::MovesReport,
        statuses::model::{StatusReport, status_range},
    },
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The most reports one user keeps on their dashboard.
pub const MAX_SAVED_REPORTS: u32 = 24;
/// The longest title a saved report may have, in characters.
pub const MAX_TITLE_CHARS: u32 = 80;
/// The longest query kept (an address query is a few dozen characters; this bounds a forged one).
pub const MAX_QUERY_CHARS: usize = 2000;

/// The reports that can be saved.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SavedReportKind {
    #[default]
    Sales,
    Cohorts,
    Deals,
    Funnel,
    Churn,
    Moves,
    Statuses,
}

crate::enums::text_enum!(SavedReportKind {
    Sales => "sales", Cohorts => "cohorts", Deals => "deals", Funnel => "funnel", Churn => "churn",
    Moves => "tier_moves", Statuses => "statuses",
});

impl SavedReportKind {
    /// The report's page.
    pub fn path(self) -> &'static str {
        match self {
            SavedReportKind::Sales => "/reports/sales",
            SavedReportKind::Cohorts => "/reports/cohorts",
            SavedReportKind::Deals => "/reports/deals",
            SavedReportKind::Funnel => "/reports/funnel",
            SavedReportKind::Churn => "/reports/churn",
            SavedReportKind::Moves => "/reports/tiers",
            SavedReportKind::Statuses => "/reports/statuses",
        }
    }
}

/// Which days a saved report covers each time it is read: the dates it was saved with, or a
/// range counted from the company's today (so "this month" on the dashboard is always this month).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SavedDates {
    #[default]
    AsSaved,
    ThisMonth,
    LastMonth,
    ThisQuarter,
    ThisYear,
    Last12Months,
}

crate::enums::text_enum!(SavedDates {
    AsSaved => "as_saved",
    ThisMonth => "this_month",
    LastMonth => "last_month",
    ThisQuarter => "this_quarter",
    ThisYear => "this_year",
    Last12Months => "last_12_months",
});

impl SavedDates {
    /// The days a rolling range covers on `today`, both ends included (none for saved dates).
    pub fn days(self, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let this_month = Grouping::Month.period_start(today);
        match self {
            SavedDates::AsSaved => None,
            SavedDates::ThisMonth => Some((this_month, today)),
            SavedDates::LastMonth => {
                let last_day = this_month - Duration::days(1);
                Some((Grouping::Month.period_start(last_day), last_day))
            }
            SavedDates::ThisQuarter => Some((Grouping::Quarter.period_start(today), today)),
            SavedDates::ThisYear => {
                Some((NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today), today))
            }
            SavedDates::Last12Months => Some((
                this_month.checked_sub_months(chrono::Months::new(11)).unwrap_or(this_month),
                today,
            )),
        }
    }
}

/// A saved report's question, typed by report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportQuery {
    Sales(SalesQuery),
    Cohorts(CohortQuery),
    Deals(DealQuery),
    Funnel(FunnelQuery),
    Churn(RangeQuery),
    Moves(RangeQuery),
    Statuses(RangeQuery),
}

impl ReportQuery {
    /// The query an address names for `kind` (leniently, as the pages read their addresses).
    pub fn from_query(kind: SavedReportKind, get: impl Fn(&str) -> Option<String>) -> Self {
        match kind {
            SavedReportKind::Sales => ReportQuery::Sales(SalesQuery::from_query(get)),
            SavedReportKind::Cohorts => ReportQuery::Cohorts(CohortQuery::from_query(get)),
            SavedReportKind::Deals => ReportQuery::Deals(DealQuery::from_query(get)),
            SavedReportKind::Funnel => ReportQuery::Funnel(FunnelQuery::from_query(get)),
            SavedReportKind::Churn => ReportQuery::Churn(RangeQuery::from_query(get)),
            SavedReportKind::Moves => ReportQuery::Moves(RangeQuery::from_query(get)),
            SavedReportKind::Statuses => ReportQuery::Statuses(RangeQuery::from_query(get)),
        }
    }

    pub fn kind(&self) -> SavedReportKind {
        match self {
            ReportQuery::Sales(_) => SavedReportKind::Sales,
            ReportQuery::Cohorts(_) => SavedReportKind::Cohorts,
            ReportQuery::Deals(_) => SavedReportKind::Deals,
            ReportQuery::Funnel(_) => SavedReportKind::Funnel,
            ReportQuery::Churn(_) => SavedReportKind::Churn,
            ReportQuery::Moves(_) => SavedReportKind::Moves,
            ReportQuery::Statuses(_) => SavedReportKind::Statuses,
        }
    }

    /// The range the report covers on `today`, as its page would show it (days, or the first
    /// days of the first and last months for cohorts).
    pub fn range(&self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), FieldErrors> {
        match self {
            ReportQuery::Sales(query) => query.filter.range(today),
            ReportQuery::Cohorts(query) => query.range(today),
            ReportQuery::Deals(query) | ReportQuery::Churn(query) | ReportQuery::Moves(query) => {
                query.range(today)
            }
            ReportQuery::Funnel(query) => query.range(today),
            ReportQuery::Statuses(query) => status_range(query, today).range(today),
        }
    }

    /// The same question over other dates.
    pub fn with_dates(mut self, from: NaiveDate, to: NaiveDate) -> Self {
        match &mut self {
            ReportQuery::Sales(query) => {
                query.filter.from = Some(from);
                query.filter.to = Some(to);
            }
            ReportQuery::Cohorts(query) => {
                query.from = Some(from);
                query.to = Some(to);
            }
            ReportQuery::Deals(query)
            | ReportQuery::Churn(query)
            | ReportQuery::Moves(query)
            | ReportQuery::Statuses(query) => {
                query.from = Some(from);
                query.to = Some(to);
            }
            ReportQuery::Funnel(query) => {
                query.from = Some(from);
                query.to = Some(to);
            }
        }
        self
    }

    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        match self {
            ReportQuery::Sales(query) => query.query_pairs(),
            ReportQuery::Cohorts(query) => query.query_pairs(),
            ReportQuery::Deals(query)
            | ReportQuery::Churn(query)
            | ReportQuery::Moves(query)
            | ReportQuery::Statuses(query) => query.query_pairs(),
            ReportQuery::Funnel(query) => query.query_pairs(),
        }
    }

    /// The rolling range a page showing this query most likely meant: the page's own default
    /// when the query names no dates (the last twelve months for cohorts and customers over
    /// time, this month for the others), else the first range that shows the same days on
    /// `today` (a preset button's),
    /// else the dates as they are.
    pub fn rolling_dates(&self, today: NaiveDate) -> SavedDates {
        match self {
            ReportQuery::Sales(query)
                if query.filter.from.is_none() && query.filter.to.is_none() =>
            {
                return SavedDates::ThisMonth;
            }
            ReportQuery::Cohorts(query) if query.from.is_none() && query.to.is_none() => {
                return SavedDates::Last12Months;
            }
            ReportQuery::Statuses(query) if query.from.is_none() && query.to.is_none() => {
                return SavedDates::Last12Months;
            }
            ReportQuery::Deals(query) | ReportQuery::Churn(query) | ReportQuery::Moves(query)
                if query.from.is_none() && query.to.is_none() =>
            {
                return SavedDates::ThisMonth;
            }
            ReportQuery::Funnel(query) if query.from.is_none() && query.to.is_none() => {
                return SavedDates::ThisMonth;
            }
            _ => {}
        }
        SavedDates::ALL
            .iter()
            .copied()
            .find(|dates| self.shows(*dates, today))
            .unwrap_or(SavedDates::AsSaved)
    }

    /// Whether the rolling range `dates` shows the same days as this query on `today` (on the
    /// first of January, this month and this year do: only the page knows which was meant).
    pub fn shows(&self, dates: SavedDates, today: NaiveDate) -> bool {
        let Ok(shown) = self.range(today) else { return false };
        dates.days(today).is_some_and(|(from, to)| {
            self.clone().with_dates(from, to).range(today).ok() == Some(shown)
        })
    }

    /// The report's page showing this question.
    pub fn href(&self) -> String {
        format!("{}?{}", self.kind().path(), query_string(&self.query_pairs()))
    }
}

/// A report on a user's dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedReport {
    pub id: i64,
    pub report: SavedReportKind,
    pub title: String,
    /// The address query as saved (with dates; rolling ones are replaced when read).
    pub query: String,
    pub dates: SavedDates,
    pub saved_at: DateTime<Utc>,
}

/// A saved report read for its tile: the question as asked today (`query.href()` opens the full
/// report with it), and its figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportTile {
    pub saved: SavedReport,
    pub query: ReportQuery,
    pub figures: ReportFigures,
}

/// A saved report's figures, as its page computes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ReportFigures {
    Sales(SalesReport),
    Cohorts(CohortReport),
    Deals(DealReport),
    Funnel(FunnelReport),
    Churn(ChurnReport),
    Moves(MovesReport),
    Statuses(StatusReport),
}

impl ReportFigures {
    /// The days (or first days of months, for cohorts) the figures cover.
    pub fn range(&self) -> (NaiveDate, NaiveDate) {
        match self {
            ReportFigures::Sales(report) => (report.from, report.to),
            ReportFigures::Cohorts(report) => (report.from, report.to),
            ReportFigures::Deals(report) => (report.from, report.to),
            ReportFigures::Funnel(report) => (report.from, report.to),
            ReportFigures::Churn(report) => (report.from, report.to),
            ReportFigures::Moves(report) => (report.from, report.to),
            ReportFigures::Statuses(report) => (report.from, report.to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn rolling_dates_count_from_today() {
        let today = day(2026, 3, 5);
        assert_eq!(SavedDates::AsSaved.days(today), None);
        assert_eq!(SavedDates::ThisMonth.days(today), Some((day(2026, 3, 1), today)));
        assert_eq!(SavedDates::LastMonth.days(today), Some((day(2026, 2, 1), day(2026, 2, 28))));
        assert_eq!(SavedDates::ThisQuarter.days(today), Some((day(2026, 1, 1), today)));
        assert_eq!(SavedDates::ThisYear.days(today), Some((day(2026, 1, 1), today)));
        assert_eq!(SavedDates::Last12Months.days(today), Some((day(2025, 4, 1), today)));
        // Across a year end, last month is December.
        assert_eq!(
            SavedDates::LastMonth.days(day(2027, 1, 1)),
            Some((day(2026, 12, 1), day(2026, 12, 31)))
        );
    }

    #[test]
    fn a_preset_range_is_recognised_and_any_other_stays_as_saved() {
        let today = day(2026, 12, 6);
        let sales = |from: Option<&str>, to: Option<&str>| {
            let (from, to) = (from.map(str::to_owned), to.map(str::to_owned));
            ReportQuery::from_query(SavedReportKind::Sales, move |key| match key {
                "from" => from.clone(),
                "to" => to.clone(),
                _ => None,
            })
        };
        assert_eq!(sales(None, None).rolling_dates(today), SavedDates::ThisMonth);
        assert_eq!(
            sales(Some("2026-12-01"), Some("2026-12-06")).rolling_dates(today),
            SavedDates::ThisMonth
        );
        assert_eq!(
            sales(Some("2026-11-01"), Some("2026-11-30")).rolling_dates(today),
            SavedDates::LastMonth
        );
        assert_eq!(
            sales(Some("2026-01-01"), Some("2026-12-06")).rolling_dates(today),
            SavedDates::ThisYear
        );
        assert_eq!(
            sales(Some("2026-11-02"), Some("2026-11-30")).rolling_dates(today),
            SavedDates::AsSaved
        );
        assert_eq!(
            sales(Some("2026-12-06"), Some("2026-11-30")).rolling_dates(today),
            SavedDates::AsSaved
        );

        // In December this year and the last twelve months are the same days.
        let year = sales(Some("2026-01-01"), Some("2026-12-06"));
        assert!(
            year.shows(SavedDates::ThisYear, today) && year.shows(SavedDates::Last12Months, today)
        );
        assert!(!year.shows(SavedDates::ThisMonth, today));
        assert!(!year.shows(SavedDates::AsSaved, today));

        // Cohorts count whole months: January to this month is this year.
        let cohorts = |from: Option<&str>| {
            let from = from.map(str::to_owned);
            ReportQuery::from_query(SavedReportKind::Cohorts, move |key| match key {
                "from" => from.clone(),
                "to" => Some("2026-12".to_owned()),
                _ => None,
            })
        };
        assert_eq!(cohorts(Some("2026-01")).rolling_dates(today), SavedDates::ThisYear);
        assert_eq!(cohorts(Some("2026-12")).rolling_dates(today), SavedDates::ThisMonth);
        assert_eq!(cohorts(Some("2025-06")).rolling_dates(today), SavedDates::AsSaved);
        let undated = ReportQuery::from_query(SavedReportKind::Cohorts, |_| None);
        assert_eq!(undated.rolling_dates(today), SavedDates::Last12Months);
        // Customers over time shows the last twelve months when its address names no dates.
        let statuses = ReportQuery::from_query(SavedReportKind::Statuses, |_| None);
        assert_eq!(statuses.rolling_dates(today), SavedDates::Last12Months);
        assert_eq!(statuses.range(today).unwrap(), (day(2026, 1, 1), today));
        assert!(statuses.shows(SavedDates::Last12Months, today));
    }

    #[test]
    fn a_query_keeps_its_filters_and_takes_new_dates() {
        let address = |key: &str| match key {
            "from" => Some("2026-01-01".to_owned()),
            "to" => Some("2026-01-31".to_owned()),
            "by" => Some("owner".to_owned()),
            "team" => Some("4".to_owned()),
            _ => None,
        };
        let sales = ReportQuery::from_query(SavedReportKind::Sales, address);
        let moved = sales.clone().with_dates(day(2026, 12, 1), day(2026, 12, 6));
        assert_eq!(moved.href(), "/reports/sales?from=2026-12-01&to=2026-12-06&team=4&by=owner");
        assert_eq!(moved.range(day(2026, 12, 6)).unwrap(), (day(2026, 12, 1), day(2026, 12, 6)));

        let cohorts = ReportQuery::from_query(SavedReportKind::Cohorts, address)
            .with_dates(day(2026, 1, 1), day(2026, 12, 6));
        assert_eq!(cohorts.href(), "/reports/cohorts?from=2026-01&to=2026-12&team=4");
        assert_eq!(cohorts.kind(), SavedReportKind::Cohorts);
    }
}
