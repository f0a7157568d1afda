//! What the customer value report asks and answers: the graded customers as they stand (an R by F
//! grid coloured by M, revenue in the scoring window by tier, the top spenders), narrowed by
//! rep, team, region and tier in force, carried in the page's address.

use crate::reports::{model::Narrowing, moves::model::TierName};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The scores run 1 (worst) to 5 (best); 0 where there is nothing to score (never ordered, or
/// no order in the window).
pub const SCORES: [i16; 6] = [5, 4, 3, 2, 1, 0];

/// A score as the grid and the workbook head it: "5" ... "1", and "—" for nothing to score.
pub fn score_label(score: i16) -> String {
    if score == 0 { "—".into() } else { score.to_string() }
}

/// Customers the top list names.
pub const TOP_CUSTOMERS: i64 = 20;

/// The report's query: the narrowing (rep, team, region and tier in force, 0 for customers in
/// none), the graded customers as they stand.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueQuery {
    pub narrowing: Narrowing,
}

impl ValueQuery {
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        self.narrowing.query_pairs()
    }

    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        ValueQuery { narrowing: Narrowing::from_query(get) }
    }
}

/// One cell of the grid: the customers scored `r` for recency and `f` for frequency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmCell {
    pub r: i16,
    pub f: i16,
    pub customers: i64,
    /// The sum of their M scores, for the cell's mean.
    pub m_total: i64,
    /// Their spend in the scoring window.
    pub monetary_minor: i64,
}

impl RfmCell {
    /// The cell's mean M score, to one decimal.
    pub fn mean_m(&self) -> f64 {
        if self.customers == 0 {
            return 0.0;
        }
        (self.m_total as f64 / self.customers as f64 * 10.0).round() / 10.0
    }
}

/// A tier in force (`None` for customers in none) and what its customers spent in the window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierRevenue {
    pub tier: Option<TierName>,
    /// The tier's colour (`#rrggbb`), as the tier list shows it.
    pub color: Option<String>,
    pub customers: i64,
    pub monetary_minor: i64,
}

/// One of the customers who spent most, all time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopCustomer {
    pub id: i64,
    pub name: String,
    pub owner_name: Option<String>,
    pub tier: Option<TierName>,
    pub total_spend_minor: i64,
    pub order_count: i32,
    pub last_order_at: Option<DateTime<Utc>>,
    /// Their scores, where graded.
    pub scores: Option<(i16, i16, i16)>,
}

/// The report as asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueReport {
    /// The scoring window: F and M count the orders of its last so many days.
    pub window_days: i32,
    /// The graded customers counted, and their spend in the window.
    pub customers: i64,
    pub monetary_minor: i64,
    /// Cells with customers, best recency first, then best frequency.
    pub cells: Vec<RfmCell>,
    /// Tiers in tier order, "no tier" last.
    pub tiers: Vec<TierRevenue>,
    /// Most spent first.
    pub top: Vec<TopCustomer>,
}

impl ValueReport {
    pub fn cell(&self, r: i16, f: i16) -> Option<&RfmCell> {
        self.cells.iter().find(|c| c.r == r && c.f == f)
    }
}

/// The customers behind a figure: the report's query, and a cell's R and F.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueFilter {
    pub query: ValueQuery,
    pub r: Option<i16>,
    pub f: Option<i16>,
}

impl ValueFilter {
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = self.query.query_pairs();
        if let Some(r) = self.r {
            pairs.push(("r", r.to_string()));
        }
        if let Some(f) = self.f {
            pairs.push(("f", f.to_string()));
        }
        pairs
    }

    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let score =
            |key: &str| get(key).and_then(|v| v.parse::<i16>().ok()).filter(|s| SCORES.contains(s));
        ValueFilter { r: score("r"), f: score("f"), query: ValueQuery::from_query(get) }
    }
}

/// A graded customer, as the list behind a figure shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCustomer {
    pub id: i64,
    pub name: String,
    pub owner_name: Option<String>,
    pub region: Option<String>,
    pub tier: Option<TierName>,
    pub r: i16,
    pub f: i16,
    pub m: i16,
    pub monetary_minor: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drill_down_reads_back_from_its_address() {
        let filter = ValueFilter {
            query: ValueQuery {
                narrowing: Narrowing {
                    owner: Some(4),
                    team: None,
                    region: Some("".into()),
                    tier: Some(0),
                },
            },
            r: Some(5),
            f: Some(0),
        };
        let pairs = filter.query_pairs();
        let read = ValueFilter::from_query(|key| {
            pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
        });
        assert_eq!(read, filter);
        assert_eq!(ValueFilter::from_query(|_| None), ValueFilter::default());
        // A score outside the scale is ignored rather than matching nothing.
        assert_eq!(ValueFilter::from_query(|k| (k == "r").then(|| "9".into())).r, None);
    }

    #[test]
    fn a_cells_mean_m_is_rounded_to_one_decimal() {
        let cell = RfmCell { r: 5, f: 5, customers: 3, m_total: 13, monetary_minor: 0 };
        assert_eq!(cell.mean_m(), 4.3);
        assert_eq!(RfmCell { customers: 0, m_total: 0, ..cell }.mean_m(), 0.0);
    }
}
