//! What the tier moves report asks and answers. The query is the reports' range and narrowing
//! (by the customer's owner and region), carried in the page's address.

use crate::reports::model::RangeQuery;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Which way a customer moved: up to a tier placed before its old one, or down to one after it
/// (or out of every tier).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
}

crate::enums::text_enum!(Direction { Up => "up", Down => "down" });

/// A tier as the report names it (`None` where a customer left every tier).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierName {
    pub id: i64,
    pub name_zh: String,
    pub name_en: String,
}

impl TierName {
    /// A tier from a row's nullable columns (`None` where any is null: no tier).
    pub fn of(id: Option<i64>, name_zh: Option<String>, name_en: Option<String>) -> Option<Self> {
        Some(TierName { id: id?, name_zh: name_zh?, name_en: name_en? })
    }

    pub fn name(&self, locale: crate::i18n::Locale) -> &str {
        match locale {
            crate::i18n::Locale::ZhCn => &self.name_zh,
            crate::i18n::Locale::En => &self.name_en,
        }
    }
}

/// The moves of one company month of the range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveMonth {
    /// The month's first day.
    pub month: NaiveDate,
    pub up: i64,
    pub down: i64,
}

/// Moves from one tier to another in the range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierPath {
    pub from: TierName,
    pub to: Option<TierName>,
    pub direction: Direction,
    pub moves: i64,
}

/// The report as asked. A customer that moved twice counts twice: these are moves, not people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovesReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub up: i64,
    pub down: i64,
    /// Every month of the range, empty ones too, oldest first.
    pub months: Vec<MoveMonth>,
    /// Most moves first.
    pub paths: Vec<TierPath>,
}

/// The moves behind a figure: the report's query, and a direction, a month, or a path (the
/// tier left and the tier reached, 0 for none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovesFilter {
    pub query: RangeQuery,
    pub direction: Option<Direction>,
    pub month: Option<NaiveDate>,
    pub from_tier: Option<i64>,
    pub to_tier: Option<i64>,
}

impl MovesFilter {
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = self.query.query_pairs();
        if let Some(direction) = self.direction {
            pairs.push(("direction", direction.as_str().to_owned()));
        }
        if let Some(month) = self.month {
            pairs.push(("month", month.format("%Y-%m").to_string()));
        }
        if let Some(tier) = self.from_tier {
            pairs.push(("from_tier", tier.to_string()));
        }
        if let Some(tier) = self.to_tier {
            pairs.push(("to_tier", tier.to_string()));
        }
        pairs
    }

    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let month = get("month")
            .and_then(|v| NaiveDate::parse_from_str(&format!("{v}-01"), "%Y-%m-%d").ok());
        let tier = |key: &str| get(key).and_then(|v| v.parse::<i64>().ok()).filter(|t| *t >= 0);
        MovesFilter {
            direction: get("direction").and_then(|v| Direction::parse(&v).ok()),
            month,
            from_tier: tier("from_tier"),
            to_tier: tier("to_tier"),
            query: RangeQuery::from_query(get),
        }
    }
}

/// One move, as the list behind a figure shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerMove {
    /// The move's own id (a customer may move more than once).
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub owner_name: Option<String>,
    pub region: Option<String>,
    pub at: DateTime<Utc>,
    pub from: TierName,
    pub to: Option<TierName>,
    pub direction: Direction,
}

/// Where the next page starts: after this move, latest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveCursor {
    pub at: DateTime<Utc>,
    pub id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::model::Narrowing;

    #[test]
    fn a_drill_down_reads_back_from_its_address() {
        let filter = MovesFilter {
            query: RangeQuery {
                from: NaiveDate::from_ymd_opt(2026, 1, 1),
                to: NaiveDate::from_ymd_opt(2026, 11, 30),
                narrowing: Narrowing {
                    owner: None,
                    team: Some(3),
                    region: Some("上海".into()),
                    tier: None,
                },
                ..Default::default()
            },
            direction: Some(Direction::Down),
            month: NaiveDate::from_ymd_opt(2026, 3, 1),
            from_tier: Some(2),
            to_tier: Some(0),
        };
        let pairs = filter.query_pairs();
        let read = MovesFilter::from_query(|key| {
            pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
        });
        assert_eq!(read, filter);
        assert_eq!(MovesFilter::from_query(|_| None), MovesFilter::default());
    }
}
