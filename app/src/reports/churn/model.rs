//! What the churn report asks and answers. The query is the reports' range and narrowing (by
//! the customer's owner and region), carried in the page's address.

use crate::reports::model::{Compared, LostReason, RangeQuery};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Customers that churned in one company month of the range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChurnMonth {
    /// The month's first day.
    pub month: NaiveDate,
    pub customers: i64,
    /// What they had spent with the company in all, in minor units.
    pub spent_minor: i64,
}

/// Customers lost and what they had spent in all (minor units).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChurnTotal {
    pub customers: i64,
    pub spent_minor: i64,
}

/// The report as asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChurnReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub customers: i64,
    pub spent_minor: i64,
    /// Customers lost over the compared range and what they had spent, when asked.
    pub compared: Option<Compared<ChurnTotal>>,
    /// Every month of the range, empty ones too, oldest first.
    pub months: Vec<ChurnMonth>,
    /// Most frequent first, the rest summed as one row (`amount_minor`: their spend).
    pub reasons: Vec<LostReason>,
}

/// The customers behind a figure: the report's query, and a reason (`Some("")`: none given)
/// or a month.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChurnFilter {
    pub query: RangeQuery,
    pub reason: Option<String>,
    pub month: Option<NaiveDate>,
}

impl ChurnFilter {
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = self.query.query_pairs();
        if let Some(reason) = &self.reason {
            pairs.push(("reason", reason.clone()));
        }
        if let Some(month) = self.month {
            pairs.push(("month", month.format("%Y-%m").to_string()));
        }
        pairs
    }

    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let month = get("month")
            .and_then(|v| NaiveDate::parse_from_str(&format!("{v}-01"), "%Y-%m-%d").ok());
        ChurnFilter { reason: get("reason"), month, query: RangeQuery::from_query(get) }
    }
}

/// A customer that churned, as the list behind a figure shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChurnedCustomer {
    pub id: i64,
    pub name: String,
    pub owner_name: Option<String>,
    pub region: Option<String>,
    pub reason: Option<String>,
    pub churned_at: DateTime<Utc>,
    pub order_count: i32,
    pub spent_minor: i64,
    pub currency: String,
    pub last_order_at: Option<DateTime<Utc>>,
}

/// Where the next page starts: after this customer, latest churned first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChurnCursor {
    pub at: DateTime<Utc>,
    pub id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::model::Narrowing;

    #[test]
    fn a_drill_down_reads_back_from_its_address() {
        let filter = ChurnFilter {
            query: RangeQuery {
                from: NaiveDate::from_ymd_opt(2026, 1, 1),
                to: NaiveDate::from_ymd_opt(2026, 11, 30),
                narrowing: Narrowing { owner: Some(0), team: None, region: None, tier: Some(0) },
                comparison: crate::reports::model::Comparison::PreviousYear,
            },
            reason: Some("服务 & 价格".into()),
            month: NaiveDate::from_ymd_opt(2026, 3, 1),
        };
        let pairs = filter.query_pairs();
        let read = ChurnFilter::from_query(|key| {
            pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
        });
        assert_eq!(read, filter);
        assert_eq!(ChurnFilter::from_query(|_| None), ChurnFilter::default());
    }
}
