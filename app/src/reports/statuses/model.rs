//! What the customers-over-time report asks and answers. The query is the reports' range and
//! narrowing (by the customer's owner and region), carried in the page's address.

use crate::reports::{
    cohorts::model::{month_start, months_after},
    model::RangeQuery,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Months shown when no start is asked for: this month and the eleven before.
pub const DEFAULT_MONTHS: u32 = 12;

/// A customer's status on a day, as its timeline holds it: active within the window after an
/// order, silent after that, former from being marked former until an order wins it back.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineStatus {
    Active,
    Silent,
    Former,
}

crate::enums::text_enum!(TimelineStatus {
    Active => "active", Silent => "silent", Former => "former",
});

/// One month of the range: the customers in each status at its end (for the current month,
/// today), and how many turned to each during it (up to today).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMonth {
    /// The month's first day.
    pub month: NaiveDate,
    /// Customers whose first order fell in the month.
    pub new: i64,
    pub active: i64,
    pub silent: i64,
    pub former: i64,
    pub turned_active: i64,
    pub turned_silent: i64,
    pub turned_former: i64,
    /// The current month: its figures stand as of today.
    pub to_date: bool,
}

impl StatusMonth {
    /// Customers in `status` at the month's end.
    pub fn in_status(&self, status: TimelineStatus) -> i64 {
        match status {
            TimelineStatus::Active => self.active,
            TimelineStatus::Silent => self.silent,
            TimelineStatus::Former => self.former,
        }
    }

    /// Customers that turned to `status` during the month.
    pub fn turned(&self, status: TimelineStatus) -> i64 {
        match status {
            TimelineStatus::Active => self.turned_active,
            TimelineStatus::Silent => self.turned_silent,
            TimelineStatus::Former => self.turned_former,
        }
    }
}

/// The report as asked: every month of the range up to the current one, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The company's today: the current month's figures stand as of it.
    pub today: NaiveDate,
    /// The admin's window: a customer with an order in the last this-many days is active.
    pub window_days: i32,
    pub months: Vec<StatusMonth>,
}

impl StatusReport {
    /// New customers over the range.
    pub fn new_customers(&self) -> i64 {
        self.months.iter().map(|m| m.new).sum()
    }
}

/// The range a query covers: as the other reports count it, except that without a start it
/// begins [`DEFAULT_MONTHS`] months back, since one month says little about change over time.
pub fn status_range(query: &RangeQuery, today: NaiveDate) -> RangeQuery {
    let mut query = query.clone();
    if query.from.is_none() {
        let this_month = month_start(query.to.unwrap_or(today).min(today));
        let back = this_month
            .checked_sub_months(chrono::Months::new(DEFAULT_MONTHS - 1))
            .unwrap_or(this_month);
        query.from = Some(back);
    }
    query
}

/// Which customers a figure counts.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusFigure {
    /// Their first order fell in the month.
    #[default]
    New,
    /// In the status at the month's end (today for the current month).
    In(TimelineStatus),
    /// Turned to the status during the month.
    Turned(TimelineStatus),
}

impl StatusFigure {
    fn as_text(self) -> String {
        match self {
            StatusFigure::New => "new".into(),
            StatusFigure::In(status) => status.as_str().into(),
            StatusFigure::Turned(status) => format!("turned_{}", status.as_str()),
        }
    }

    fn from_text(text: &str) -> Option<Self> {
        if text == "new" {
            return Some(StatusFigure::New);
        }
        match text.strip_prefix("turned_") {
            Some(status) => TimelineStatus::parse(status).ok().map(StatusFigure::Turned),
            None => TimelineStatus::parse(text).ok().map(StatusFigure::In),
        }
    }
}

/// The customers behind a figure: the report's query, a month of it and the figure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusFilter {
    pub query: RangeQuery,
    /// The month's first day; none: the range's last month.
    pub month: Option<NaiveDate>,
    pub figure: StatusFigure,
}

impl StatusFilter {
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = self.query.query_pairs();
        if let Some(month) = self.month {
            pairs.push(("month", month.format("%Y-%m").to_string()));
        }
        pairs.push(("figure", self.figure.as_text()));
        pairs
    }

    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let month = get("month")
            .and_then(|v| NaiveDate::parse_from_str(&format!("{v}-01"), "%Y-%m-%d").ok());
        let figure = get("figure").and_then(|v| StatusFigure::from_text(&v)).unwrap_or_default();
        StatusFilter { query: RangeQuery::from_query(get), month, figure }
    }

    /// The days the figure covers: the month's first day (the first order's, or a turn's) to
    /// its last or today, whichever comes first.
    pub fn days(&self, range_to: NaiveDate, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let first = self.month.unwrap_or_else(|| month_start(range_to.min(today)));
        let last = months_after(first, 1).pred_opt().unwrap_or(first).min(today);
        (first, last.max(first))
    }
}

/// A customer behind a figure: when it turned to the status (for new customers, its first
/// order's day).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCustomer {
    pub id: i64,
    pub name: String,
    pub owner_name: Option<String>,
    pub region: Option<String>,
    pub since: NaiveDate,
    pub order_count: i32,
    pub spent_minor: i64,
    pub currency: String,
    pub last_order_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Where the next page starts: after this customer, latest turned first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCursor {
    pub since: NaiveDate,
    pub id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::model::Narrowing;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_drill_down_reads_back_from_its_address() {
        for figure in [
            StatusFigure::New,
            StatusFigure::In(TimelineStatus::Silent),
            StatusFigure::Turned(TimelineStatus::Former),
        ] {
            let filter = StatusFilter {
                query: RangeQuery {
                    from: Some(day(2026, 1, 1)),
                    to: Some(day(2026, 11, 30)),
                    narrowing: Narrowing {
                        owner: Some(3),
                        team: None,
                        region: Some("华东".into()),
                        tier: None,
                    },
                    ..Default::default()
                },
                month: Some(day(2026, 3, 1)),
                figure,
            };
            let pairs = filter.query_pairs();
            let read = StatusFilter::from_query(|key| {
                pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
            });
            assert_eq!(read, filter);
        }
        assert_eq!(StatusFilter::from_query(|_| None), StatusFilter::default());
    }

    #[test]
    fn without_a_start_the_range_begins_eleven_months_before_this_one() {
        let today = day(2026, 12, 7);
        let range = status_range(&RangeQuery::default(), today);
        assert_eq!(range.from, Some(day(2026, 1, 1)));
        assert_eq!(range.to, None);
        let asked = RangeQuery { from: Some(day(2026, 6, 15)), ..Default::default() };
        assert_eq!(status_range(&asked, today), asked);
        let ending = RangeQuery { to: Some(day(2026, 3, 10)), ..Default::default() };
        assert_eq!(status_range(&ending, today).from, Some(day(2025, 4, 1)));
    }

    #[test]
    fn a_figure_covers_its_month_up_to_today() {
        let today = day(2026, 12, 7);
        let march = StatusFilter { month: Some(day(2026, 3, 1)), ..Default::default() };
        assert_eq!(march.days(today, today), (day(2026, 3, 1), day(2026, 3, 31)));
        let this_month = StatusFilter { month: Some(day(2026, 12, 1)), ..Default::default() };
        assert_eq!(this_month.days(today, today), (day(2026, 12, 1), today));
        let unnamed = StatusFilter::default();
        assert_eq!(unnamed.days(day(2026, 2, 10), today), (day(2026, 2, 1), day(2026, 2, 28)));
    }
}
