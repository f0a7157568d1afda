//! Pipelines, opportunities and the board as both sides of the wire see them, and the pure
//! rules: validation, weighting, the forecast's arithmetic.

use crate::{
    auth::model::UserId,
    customers::model::{CustomerId, Money, parse_money},
    error::{AppError, FieldError, FieldErrors},
    i18n::Locale,
    orders::model::ProductId,
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PipelineId(pub i64);

#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct StageId(pub i64);

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OpportunityId(pub i64);

/// Open stages carry a win probability; won and lost end the opportunity.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    #[default]
    Open,
    Won,
    Lost,
}

crate::enums::text_enum!(StageKind { Open => "open", Won => "won", Lost => "lost" });

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub id: StageId,
    pub position: i32,
    pub name_zh: String,
    pub name_en: String,
    /// Percent.
    pub probability: i32,
    pub color: String,
    pub kind: StageKind,
}

impl Stage {
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.name_zh,
            Locale::En => &self.name_en,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    pub id: PipelineId,
    pub name_zh: String,
    pub name_en: String,
    pub is_default: bool,
    pub version: i32,
    /// In board order: open stages, then won, then lost.
    pub stages: Vec<Stage>,
}

impl Pipeline {
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.name_zh,
            Locale::En => &self.name_en,
        }
    }

    pub fn stage(&self, id: StageId) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }
}

/// A stage as the admin edits it; `id` is `None` for a new one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageInput {
    pub id: Option<StageId>,
    pub name_zh: String,
    pub name_en: String,
    pub probability: i32,
    pub color: String,
    pub kind: StageKind,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineInput {
    pub id: Option<PipelineId>,
    pub version: i32,
    pub name_zh: String,
    pub name_en: String,
    pub stages: Vec<StageInput>,
}

impl PipelineInput {
    /// Names present, probabilities 0-100, colours `#rrggbb`, at least one open stage, and
    /// exactly one won and one lost stage (won at 100 %, lost at 0 %).
    pub fn validate(&self) -> Result<(), AppError> {
        let mut errors = FieldErrors::new();
        for (field, value) in [("name_zh", &self.name_zh), ("name_en", &self.name_en)] {
            if value.trim().is_empty() {
                errors.add(field, FieldError::Required);
            } else if value.chars().count() > 60 {
                errors.add(field, FieldError::TooLong { max: 60 });
            }
        }
        for (n, stage) in self.stages.iter().enumerate() {
            for (field, value) in [("name_zh", &stage.name_zh), ("name_en", &stage.name_en)] {
                if value.trim().is_empty() {
                    errors.add(&format!("stages.{n}.{field}"), FieldError::Required);
                }
            }
            if !(0..=100).contains(&stage.probability) {
                errors.add(
                    &format!("stages.{n}.probability"),
                    FieldError::OutOfRange { min: 0, max: 100 },
                );
            }
            let hex = stage.color.len() == 7
                && stage.color.starts_with('#')
                && stage.color[1..].chars().all(|c| c.is_ascii_hexdigit());
            if !hex {
                errors.add(&format!("stages.{n}.color"), FieldError::InvalidChoice);
            }
            let fixed = match stage.kind {
                StageKind::Won => Some(100),
                StageKind::Lost => Some(0),
                StageKind::Open => None,
            };
            if fixed.is_some_and(|p| p != stage.probability) {
                errors.add(
                    &format!("stages.{n}.probability"),
                    FieldError::OutOfRange {
                        min: fixed.unwrap_or_default().into(),
                        max: fixed.unwrap_or_default().into(),
                    },
                );
            }
        }
        let count = |kind: StageKind| self.stages.iter().filter(|s| s.kind == kind).count();
        if count(StageKind::Open) == 0 {
            errors.add("stages", FieldError::TooFew { min: 1 });
        }
        if count(StageKind::Won) != 1 || count(StageKind::Lost) != 1 {
            errors.add("stages", FieldError::FinalStages);
        }
        if self.stages.len() > 20 {
            errors.add("stages", FieldError::TooMany { max: 20 });
        }
        errors.into_result()
    }
}

/// One card on the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub id: OpportunityId,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub title: String,
    pub amount_minor: i64,
    pub currency: String,
    pub expected_close: NaiveDate,
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    pub stage_id: StageId,
    pub stage_entered_at: DateTime<Utc>,
    pub version: i32,
}

impl Card {
    pub fn amount(&self) -> Money {
        Money { minor: self.amount_minor, currency: self.currency.clone() }
    }

    /// The key a column pages by: latest arrivals first (a moved card lands on top).
    pub fn column_key(&self) -> (DateTime<Utc>, i64) {
        (self.stage_entered_at, self.id.0)
    }
}

/// A column's figures over every card in it (not just the loaded ones).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSummary {
    pub stage_id: StageId,
    pub count: i64,
    pub total_minor: i64,
    pub weighted_minor: i64,
}

/// What the board shows: its pipeline, each column's figures and its first cards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub pipeline: Pipeline,
    pub columns: Vec<ColumnSummary>,
    /// The first page of each column, in column order.
    pub cards: Vec<Vec<Card>>,
    /// Where each column continues, when it has more cards.
    pub next: Vec<Option<(DateTime<Utc>, i64)>>,
}

/// The board's filters; the same filters drive the list view.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardFilter {
    #[serde(default)]
    pub pipeline_id: Option<PipelineId>,
    #[serde(default)]
    pub owner_id: Option<UserId>,
    /// Any day of the month the opportunity is expected to close in.
    #[serde(default)]
    pub close_month: Option<NaiveDate>,
    #[serde(default)]
    pub min_amount_minor: Option<i64>,
    /// Show won and lost opportunities closed in the last 30 days too.
    #[serde(default)]
    pub include_closed: bool,
    /// A fragment of the title or next step (the list view and its export).
    #[serde(default)]
    pub search: Option<String>,
}

impl BoardFilter {
    /// First and last day of the close month.
    pub fn close_range(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.close_month.map(month_range)
    }
}

/// The first and last day of `day`'s month.
pub fn month_range(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    (first, next.and_then(|n| n.pred_opt()).unwrap_or(first))
}

/// A product line on an opportunity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityLineInput {
    pub product_id: Option<ProductId>,
    pub quantity: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityInput {
    pub customer_id: Option<CustomerId>,
    pub title: String,
    /// Yuan, as typed; empty means the sum of the product lines.
    pub amount: String,
    pub expected_close: Option<NaiveDate>,
    pub owner_id: Option<UserId>,
    pub pipeline_id: Option<PipelineId>,
    pub stage_id: Option<StageId>,
    pub next_step: String,
    #[serde(default)]
    pub lines: Vec<OpportunityLineInput>,
}

/// An opportunity input that passed the checks that need no database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidOpportunity {
    pub customer_id: CustomerId,
    pub title: String,
    pub amount_minor: Option<i64>,
    pub expected_close: NaiveDate,
    pub owner_id: Option<UserId>,
    pub next_step: Option<String>,
    pub lines: Vec<(ProductId, i32)>,
}

impl OpportunityInput {
    pub fn validate(&self) -> Result<ValidOpportunity, AppError> {
        let mut errors = FieldErrors::new();
        if self.customer_id.is_none() {
            errors.add("customer_id", FieldError::Required);
        }
        let title = self.title.trim();
        if title.is_empty() {
            errors.add("title", FieldError::Required);
        } else if title.chars().count() > 200 {
            errors.add("title", FieldError::TooLong { max: 200 });
        }
        let amount = if self.amount.trim().is_empty() {
            None
        } else {
            errors.check("amount", parse_money(&self.amount))
        };
        if self.expected_close.is_none() {
            errors.add("expected_close", FieldError::Required);
        }
        let next_step = Some(self.next_step.trim().to_owned()).filter(|s| !s.is_empty());
        if next_step.as_ref().is_some_and(|s| s.chars().count() > 500) {
            errors.add("next_step", FieldError::TooLong { max: 500 });
        }
        let mut lines = Vec::new();
        for (n, line) in self.lines.iter().enumerate() {
            let Some(product) = line.product_id else {
                errors.add(&format!("lines.{n}.product_id"), FieldError::Required);
                continue;
            };
            match line.quantity.trim().parse::<i32>() {
                Ok(q) if (1..=100_000).contains(&q) => lines.push((product, q)),
                _ => errors.add(
                    &format!("lines.{n}.quantity"),
                    FieldError::OutOfRange { min: 1, max: 100_000 },
                ),
            }
        }
        errors.into_result()?;
        Ok(ValidOpportunity {
            customer_id: self.customer_id.unwrap_or(CustomerId(0)),
            title: title.to_owned(),
            amount_minor: amount,
            expected_close: self.expected_close.unwrap_or_default(),
            owner_id: self.owner_id,
            next_step,
            lines,
        })
    }
}

/// A stage move in an opportunity's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageChange {
    pub at: DateTime<Utc>,
    pub from_stage_id: Option<StageId>,
    pub to_stage_id: StageId,
    pub seconds_in_stage: Option<i64>,
    pub by_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityLine {
    pub product_id: ProductId,
    pub product_name: String,
    pub quantity: i32,
    pub unit_price_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityDetail {
    pub card: Card,
    pub pipeline: Pipeline,
    pub next_step: Option<String>,
    pub lost_reason: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub lines: Vec<OpportunityLine>,
    pub history: Vec<StageChange>,
}

/// Open stages at or above this probability count as committed in the forecast.
pub const COMMIT_PROBABILITY: i32 = 70;

/// `amount × probability %`, rounded down to the minor unit.
pub fn weighted(amount_minor: i64, probability_percent: i32) -> i64 {
    (i128::from(amount_minor) * i128::from(probability_percent) / 100) as i64
}

/// One owner's forecast for one month.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForecastCell {
    pub month: NaiveDate,
    pub owner_id: Option<UserId>,
    pub owner_name: String,
    /// Σ amount × stage probability of open opportunities closing that month.
    pub weighted_minor: i64,
    /// Σ amount × the owner's own historical win rate from each stage.
    pub historical_minor: i64,
    /// Σ amount of open opportunities at or beyond the commit probability.
    pub committed_minor: i64,
    /// Σ amount of every open opportunity.
    pub best_case_minor: i64,
    pub won_minor: i64,
    pub quota_minor: i64,
}

/// A past snapshot compared with what was won in its month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForecastAccuracy {
    pub taken_on: NaiveDate,
    pub month: NaiveDate,
    pub forecast_minor: i64,
    pub won_minor: i64,
}

impl ForecastAccuracy {
    /// 100 % when the forecast matched; lower by the relative miss, never below 0.
    pub fn percent(&self) -> Option<i64> {
        if self.won_minor == 0 && self.forecast_minor == 0 {
            return None;
        }
        let base = self.won_minor.max(self.forecast_minor).max(1);
        let miss = (self.forecast_minor - self.won_minor).abs();
        Some((100 - miss * 100 / base).max(0))
    }
}

/// An opportunity's part in a forecast cell, for "explain this number".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForecastLine {
    pub opportunity_id: OpportunityId,
    pub title: String,
    pub customer_name: String,
    pub stage_id: StageId,
    pub amount_minor: i64,
    /// Percent, from the stage.
    pub stage_probability: i32,
    /// Percent, from the owner's history in that stage (the stage's when there is none).
    pub historical_probability: i32,
    pub expected_close: NaiveDate,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forecast {
    pub months: Vec<NaiveDate>,
    pub cells: Vec<ForecastCell>,
    pub accuracy: Vec<ForecastAccuracy>,
    /// Open stages at or above this probability count as committed.
    pub commit_probability: i32,
}

/// Stage probability an owner actually achieved: of the opportunities that left `stage`
/// (to anywhere) and then closed, the share that was won. `None` with too little history.
pub fn historical_rate(won: i64, closed: i64) -> Option<i32> {
    (closed >= 3).then(|| (won * 100 / closed) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(kind: StageKind, probability: i32) -> StageInput {
        StageInput {
            id: None,
            name_zh: "阶段".into(),
            name_en: "Stage".into(),
            probability,
            color: "#123456".into(),
            kind,
        }
    }

    #[test]
    fn a_pipeline_needs_one_won_one_lost_and_an_open_stage() {
        let mut input = PipelineInput {
            name_zh: "流程".into(),
            name_en: "Flow".into(),
            stages: vec![
                stage(StageKind::Open, 20),
                stage(StageKind::Won, 100),
                stage(StageKind::Lost, 0),
            ],
            ..Default::default()
        };
        assert!(input.validate().is_ok());
        input.stages.push(stage(StageKind::Won, 100));
        let errors = input.validate().unwrap_err();
        assert_eq!(errors.field_errors().unwrap().get("stages"), &[FieldError::FinalStages]);
        input.stages.pop();
        input.stages[0].probability = 120;
        input.stages[1].probability = 90;
        let errors = input.validate().unwrap_err();
        let errors = errors.field_errors().unwrap();
        assert_eq!(
            errors.get("stages.0.probability"),
            &[FieldError::OutOfRange { min: 0, max: 100 }]
        );
        assert_eq!(
            errors.get("stages.1.probability"),
            &[FieldError::OutOfRange { min: 100, max: 100 }]
        );
    }

    #[test]
    fn months_and_weights() {
        let feb = NaiveDate::from_ymd_opt(2028, 2, 17).unwrap();
        assert_eq!(
            month_range(feb),
            (
                NaiveDate::from_ymd_opt(2028, 2, 1).unwrap(),
                NaiveDate::from_ymd_opt(2028, 2, 29).unwrap()
            )
        );
        let dec = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(month_range(dec).1, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        assert_eq!(weighted(1_000_001, 25), 250_000);
        assert_eq!(historical_rate(1, 2), None, "too little history");
        assert_eq!(historical_rate(2, 3), Some(66));
        let accuracy =
            ForecastAccuracy { taken_on: feb, month: feb, forecast_minor: 80, won_minor: 100 };
        assert_eq!(accuracy.percent(), Some(80));
    }

    #[test]
    fn opportunity_input_errors_name_their_field() {
        let input = OpportunityInput {
            title: " ".into(),
            amount: "12.345".into(),
            lines: vec![OpportunityLineInput {
                product_id: Some(ProductId(1)),
                quantity: "0".into(),
            }],
            ..Default::default()
        };
        let error = input.validate().unwrap_err();
        let errors = error.field_errors().unwrap();
        assert_eq!(errors.get("customer_id"), &[FieldError::Required]);
        assert_eq!(errors.get("title"), &[FieldError::Required]);
        assert_eq!(errors.get("amount"), &[FieldError::InvalidNumber]);
        assert_eq!(errors.get("expected_close"), &[FieldError::Required]);
        assert_eq!(
            errors.get("lines.0.quantity"),
            &[FieldError::OutOfRange { min: 1, max: 100_000 }]
        );
    }
}

/// A year of monthly quotas for everyone in the caller's scope, as the quotas page edits them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaGrid {
    pub year: i32,
    /// The first day of each of the year's twelve months.
    pub months: Vec<NaiveDate>,
    pub rows: Vec<QuotaRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaRow {
    pub owner_id: UserId,
    pub owner_name: String,
    pub team_name: Option<String>,
    /// One per month of the grid, in order.
    pub cells: Vec<QuotaCell>,
}

/// One owner's quota for one month. `version` 0: none set yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaCell {
    pub month: NaiveDate,
    pub amount_minor: Option<i64>,
    pub version: i32,
}
