//! Points, levels and a customer's membership as the pages see them.

use crate::error::{AppError, FieldError, FieldErrors};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How points are earned and how long they last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltySettings {
    /// Points per 100 of the currency spent.
    pub points_per_hundred: i32,
    /// Days until earned points expire; 0 for never.
    pub expiry_days: i32,
    pub version: i32,
}

impl LoyaltySettings {
    pub fn validate(&self) -> Result<(), AppError> {
        let mut errors = FieldErrors::new();
        if !(0..=10_000).contains(&self.points_per_hundred) {
            errors.add("points_per_hundred", FieldError::OutOfRange { min: 0, max: 10_000 });
        }
        if !(0..=3650).contains(&self.expiry_days) {
            errors.add("expiry_days", FieldError::OutOfRange { min: 0, max: 3650 });
        }
        errors.into_result()
    }

    /// Points an order of `total_minor` earns (whole points, rounded down).
    pub fn points_for(&self, total_minor: i64) -> i64 {
        total_minor.max(0) / 10_000 * i64::from(self.points_per_hundred)
    }
}

/// A membership level.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    pub id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub benefits_zh: String,
    pub benefits_en: String,
    /// Reached with this many points (0: points do not count for this level).
    pub min_points: i64,
    /// Reached with this lifetime spend in minor units (0: spend does not count).
    pub min_spend_minor: i64,
    pub active: bool,
    pub version: i32,
}

impl Level {
    /// Reached when either threshold in use is met; a level with neither is everyone's.
    pub fn reached(&self, points: i64, spend_minor: i64) -> bool {
        let by_points = self.min_points > 0 && points >= self.min_points;
        let by_spend = self.min_spend_minor > 0 && spend_minor >= self.min_spend_minor;
        (self.min_points == 0 && self.min_spend_minor == 0) || by_points || by_spend
    }
}

/// The highest level reached, levels being ordered by their thresholds.
pub fn level_for(levels: &[Level], points: i64, spend_minor: i64) -> Option<&Level> {
    let mut ordered: Vec<&Level> = levels.iter().filter(|l| l.active).collect();
    ordered.sort_by_key(|l| (l.min_points, l.min_spend_minor));
    ordered.into_iter().rev().find(|l| l.reached(points, spend_minor))
}

/// One line of the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub delta: i64,
    /// `earn`, `redeem`, `adjust` or `expire`.
    pub kind: String,
    pub reason: Option<String>,
    pub order_id: Option<i64>,
    pub expires_at: Option<DateTime<Utc>>,
    pub by_name: Option<String>,
}

/// A customer's points and level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The sum of the ledger.
    pub balance: i64,
    pub level: Option<Level>,
    /// The next level up and the points still needed for it.
    pub next: Option<(Level, i64)>,
    /// Points that expire within 30 days.
    pub expiring_soon: i64,
    pub entries: Vec<PointsEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(min_points: i64, min_spend_minor: i64) -> Level {
        Level { min_points, min_spend_minor, active: true, ..Default::default() }
    }

    #[test]
    fn levels_are_reached_by_points_or_spend() {
        let gold = level(1000, 5_000_000);
        assert!(gold.reached(1000, 0));
        assert!(gold.reached(0, 5_000_000));
        assert!(!gold.reached(999, 4_999_999));
        let levels = vec![level(100, 0), gold.clone(), level(5000, 0)];
        assert_eq!(level_for(&levels, 1200, 0), Some(&gold));
        assert_eq!(level_for(&levels, 50, 0), None);
    }

    #[test]
    fn orders_earn_whole_points_at_the_rate() {
        let settings = LoyaltySettings { points_per_hundred: 3, expiry_days: 365, version: 1 };
        assert_eq!(settings.points_for(99_999), 27, "¥999.99 is nine hundreds");
        assert_eq!(settings.points_for(-5), 0);
    }
}
