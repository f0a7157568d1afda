//! What the win/loss report asks and answers. The query travels in the page's address, so the
//! report is bookmarked, refreshed and opened directly.

pub use crate::reports::model::LostReason;
use crate::reports::model::{Compared, RangeQuery};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Which closed deals the report covers: closed on company days `from..=to` (this month so far
/// when empty), owned within the narrowing (the caller's scope still applies), by the rep who
/// owns the deal and the region of its customer.
pub type DealQuery = RangeQuery;

/// How a deal closed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Won,
    Lost,
}

crate::enums::text_enum!(Outcome { Won => "won", Lost => "lost" });

/// Deals of one outcome: how many, their amount (minor units), and the median days from
/// creation to close.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DealFigures {
    pub count: i64,
    pub amount_minor: i64,
    pub median_days: Option<f64>,
}

/// Won against lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WinLoss {
    pub won: DealFigures,
    pub lost: DealFigures,
}

impl WinLoss {
    /// Won deals as a share of closed ones, in percent (none without closed deals).
    pub fn win_rate(&self) -> Option<f64> {
        let closed = self.won.count + self.lost.count;
        (closed > 0).then(|| self.won.count as f64 * 100.0 / closed as f64)
    }

    /// Won amount as a share of the closed amount, in percent.
    pub fn amount_win_rate(&self) -> Option<f64> {
        let closed = self.won.amount_minor + self.lost.amount_minor;
        (closed > 0).then(|| self.won.amount_minor as f64 * 100.0 / closed as f64)
    }
}

/// One rep's record (`owner` none: deals without an owner).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RepRecord {
    pub owner: Option<i64>,
    pub name: Option<String>,
    pub record: WinLoss,
}

/// The report as asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DealReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: WinLoss,
    /// Won against lost over the compared range, when asked.
    pub compared: Option<Compared<WinLoss>>,
    /// Most frequent first, at most `REASONS_LISTED`, then the rest as one row.
    pub reasons: Vec<LostReason>,
    /// Most deals closed first.
    pub reps: Vec<RepRecord>,
}

/// The deals behind a figure: the report's query, an outcome, and for lost deals a reason
/// (`Some("")`: closed without one).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealFilter {
    pub query: DealQuery,
    pub outcome: Option<Outcome>,
    pub reason: Option<String>,
}

impl DealFilter {
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = self.query.query_pairs();
        if let Some(outcome) = self.outcome {
            pairs.push(("outcome", outcome.as_str().to_owned()));
        }
        if let Some(reason) = &self.reason {
            pairs.push(("reason", reason.clone()));
        }
        pairs
    }

    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        DealFilter {
            outcome: get("outcome").and_then(|v| Outcome::parse(&v).ok()),
            reason: get("reason"),
            query: DealQuery::from_query(get),
        }
    }
}

/// A closed deal, as the list behind a figure shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedDeal {
    pub id: i64,
    pub title: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub owner_name: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub outcome: Outcome,
    pub lost_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: DateTime<Utc>,
}

/// Where the next page of deals starts: after this deal, latest closed first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealCursor {
    pub at: DateTime<Utc>,
    pub id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::model::Narrowing;

    #[test]
    fn rates_are_shares_of_closed_deals() {
        let figures = |count, amount_minor| DealFigures { count, amount_minor, median_days: None };
        let record = WinLoss { won: figures(3, 30_000), lost: figures(1, 90_000) };
        assert_eq!(record.win_rate(), Some(75.0));
        assert_eq!(record.amount_win_rate(), Some(25.0));
        assert_eq!(WinLoss::default().win_rate(), None);
        assert_eq!(WinLoss::default().amount_win_rate(), None);
    }

    #[test]
    fn a_drill_down_reads_back_from_its_address() {
        let filter = DealFilter {
            query: DealQuery {
                from: NaiveDate::from_ymd_opt(2026, 11, 1),
                to: NaiveDate::from_ymd_opt(2026, 11, 30),
                narrowing: Narrowing {
                    owner: Some(4),
                    team: None,
                    region: Some(String::new()),
                    tier: Some(2),
                },
                comparison: crate::reports::model::Comparison::PreviousPeriod,
            },
            outcome: Some(Outcome::Lost),
            reason: Some("价格太高 & 预算".into()),
        };
        let pairs = filter.query_pairs();
        let read = DealFilter::from_query(|key| {
            pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
        });
        assert_eq!(read, filter);
        assert_eq!(DealFilter::from_query(|_| None), DealFilter::default());
    }
}
