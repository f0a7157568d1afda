//! Value tiers, RFM scores, segments and their previews, as the pages see them.

use super::rule::{self, Facts, RuleError};
use crate::{
    auth::model::id_type,
    customers::model::{CustomerFilter, CustomerId},
    error::{AppError, FieldError, FieldErrors},
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

id_type!(
    /// A value tier.
    TierId
);

/// A tier as configured. `rule` is empty for the catch-all last tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub id: TierId,
    pub position: i32,
    pub name_zh: String,
    pub name_en: String,
    pub color: String,
    pub rule: String,
}

impl Tier {
    /// The editor's row for this tier.
    pub fn to_input(&self) -> TierInput {
        TierInput {
            id: Some(self.id),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            color: self.color.clone(),
            rule: self.rule.clone(),
        }
    }

    pub fn name(&self, locale: crate::i18n::Locale) -> &str {
        match locale {
            crate::i18n::Locale::ZhCn => &self.name_zh,
            crate::i18n::Locale::En => &self.name_en,
        }
    }
}

/// The tier editor's rows; an id of `None` is a new tier.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierInput {
    pub id: Option<TierId>,
    pub name_zh: String,
    pub name_en: String,
    pub color: String,
    pub rule: String,
}

/// Checks a whole tier list: names, colours, every rule parses, and only the last tier may be
/// (and must be) the catch-all. Errors are `tiers.N.field`.
pub fn validate_tiers(tiers: &[TierInput]) -> Result<Vec<Option<rule::Expr>>, AppError> {
    let mut errors = FieldErrors::new();
    if tiers.len() < 2 {
        errors.add("tiers", FieldError::TooFew { min: 2 });
    }
    if tiers.len() > 10 {
        errors.add("tiers", FieldError::TooMany { max: 10 });
    }
    let mut parsed = Vec::new();
    for (n, tier) in tiers.iter().enumerate() {
        let field = |name: &str| format!("tiers.{n}.{name}");
        for (name, value) in [("name_zh", &tier.name_zh), ("name_en", &tier.name_en)] {
            if value.trim().is_empty() {
                errors.add(&field(name), FieldError::Required);
            } else if value.chars().count() > 40 {
                errors.add(&field(name), FieldError::TooLong { max: 40 });
            }
        }
        let color_ok = tier.color.len() == 7
            && tier.color.starts_with('#')
            && tier.color[1..].chars().all(|c| c.is_ascii_hexdigit());
        if !color_ok {
            errors.add(&field("color"), FieldError::InvalidChoice);
        }
        match rule::parse(&tier.rule) {
            Ok(expr) => {
                let last = n + 1 == tiers.len();
                if expr.is_none() && !last {
                    errors.add(&field("rule"), FieldError::Required);
                }
                parsed.push(expr);
            }
            Err(RuleError { position, expected }) => {
                errors.add(
                    &field("rule"),
                    FieldError::BadRule {
                        position: position as u32,
                        expected: expected.to_owned(),
                    },
                );
                parsed.push(None);
            }
        }
    }
    errors.into_result()?;
    Ok(parsed)
}

/// The first tier whose rule matches; the last catches everyone else.
pub fn first_match<'a>(
    tiers: &'a [(Tier, Option<rule::Expr>)],
    facts: &Facts,
) -> Option<&'a (Tier, Option<rule::Expr>)> {
    tiers.iter().find(|(_, rule)| rule.as_ref().is_none_or(|r| r.eval(facts))).or(tiers.last())
}

/// R, F, M scored 1 to 5 (0: no orders to score), the raw values behind them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    pub recency_days: Option<i32>,
    pub frequency: i32,
    pub monetary_minor: i64,
    pub r: i16,
    pub f: i16,
    pub m: i16,
}

/// A manual tier, with why and until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub tier_id: TierId,
    pub reason: String,
    /// Last day it applies; `None`: until removed.
    pub until: Option<NaiveDate>,
    pub by_name: Option<String>,
}

impl Override {
    /// Whether it still applies on `today`.
    pub fn applies(&self, today: NaiveDate) -> bool {
        self.until.is_none_or(|until| today <= until)
    }
}

/// A customer's tier as the 360 page explains it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerTier {
    pub customer_id: CustomerId,
    /// The tier in force: the override while it applies, else the computed one.
    pub tier: Option<Tier>,
    pub computed: Option<Tier>,
    pub override_: Option<Override>,
    pub scores: Scores,
    /// "M=5, F=4": the values the computed tier's rule read.
    pub because: String,
    pub computed_at: Option<DateTime<Utc>>,
    /// The active tiers, in order: what a manager may choose from for an override.
    pub choices: Vec<Tier>,
}

/// What saving a rule change would do, before it is saved.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    /// (tier position, customers now, customers after).
    pub counts: Vec<(i32, i64, i64)>,
    pub moving_up: i64,
    pub moving_down: i64,
    pub samples: Vec<Mover>,
}

/// A customer whose tier a change would move.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mover {
    pub customer_id: CustomerId,
    pub name: String,
    pub from_position: Option<i32>,
    pub to_position: i32,
    pub because: String,
}

/// Customers per status, stage and tier, and tier moves per month.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub by_status: Vec<(String, i64)>,
    pub by_stage: Vec<(String, i64)>,
    /// (tier id, customers)
    pub by_tier: Vec<(Option<TierId>, i64)>,
    /// (month "2026-11", from tier, to tier, customers)
    pub moves: Vec<(String, Option<TierId>, Option<TierId>, i64)>,
}

/// A saved customer segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub filter: CustomerFilter,
    pub version: i32,
}

/// Recompute-time settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierSettings {
    pub window_days: i32,
    pub version: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(rule: &str) -> TierInput {
        TierInput {
            id: None,
            name_zh: "高".into(),
            name_en: "High".into(),
            color: "#b91c1c".into(),
            rule: rule.into(),
        }
    }

    #[test]
    fn only_the_last_tier_may_match_everyone() {
        assert!(validate_tiers(&[input("M >= 4"), input("")]).is_ok());
        let error = validate_tiers(&[input(""), input("")]).unwrap_err();
        assert_eq!(error.field_errors().unwrap().get("tiers.0.rule"), &[FieldError::Required]);
        let error = validate_tiers(&[input("M >="), input("")]).unwrap_err();
        assert_eq!(
            error.field_errors().unwrap().get("tiers.0.rule"),
            &[FieldError::BadRule { position: 4, expected: "number".into() }]
        );
        let error = validate_tiers(&[input("")]).unwrap_err();
        assert_eq!(error.field_errors().unwrap().get("tiers"), &[FieldError::TooFew { min: 2 }]);
    }

    #[test]
    fn the_first_matching_tier_wins() {
        let tier = |position: i32, rule: &str| {
            (
                Tier {
                    id: TierId(position.into()),
                    position,
                    name_zh: String::new(),
                    name_en: String::new(),
                    color: String::new(),
                    rule: rule.into(),
                },
                rule::parse(rule).unwrap(),
            )
        };
        let tiers = vec![tier(1, "M >= 4"), tier(2, "M >= 2"), tier(3, "")];
        let facts = |m| Facts { m, ..Default::default() };
        assert_eq!(
            first_match(&tiers, &facts(5)).unwrap().0.position,
            1,
            "matches 1 and 2: the first wins"
        );
        assert_eq!(first_match(&tiers, &facts(3)).unwrap().0.position, 2);
        assert_eq!(first_match(&tiers, &facts(0)).unwrap().0.position, 3);
    }

    #[test]
    fn overrides_apply_through_their_last_day() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let until = Override {
            tier_id: TierId(1),
            reason: "VIP".into(),
            until: Some(day(22)),
            by_name: None,
        };
        assert!(until.applies(day(22)));
        assert!(!until.applies(day(23)));
        assert!(Override { until: None, ..until }.applies(day(30)));
    }
}
