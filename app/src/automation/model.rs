//! Automation rules as both sides of the wire see them: when something happens to a customer, if
//! it matches the conditions, then act, once per occurrence.

use crate::{
    customers::model::{CustomerId, LifecycleStage},
    enums::text_enum,
    error::{AppError, FieldError, FieldErrors},
    i18n::Locale,
};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RuleId(pub i64);

/// What happened to the customer.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    /// Its last order left the active window (the occurrence is the first silent day).
    #[default]
    TurnedSilent,
    /// It was marked former (the occurrence is the day it was).
    TurnedFormer,
    /// Its tier in force moved up: to a tier placed before the one it left, or into a tier
    /// from none (the occurrence is the day of the move).
    TierUp,
    /// Its tier moved down: to a tier placed after, or out of every tier.
    TierDown,
    /// It answered a survey as a detractor (NPS 0 to 6).
    Detractor,
    /// It placed an order of at least `min_amount` (the occurrence is the order's day).
    OrderAbove,
    /// No interaction with it for `days` days (callback cadence; the occurrence is the day the
    /// gap reached `days`, so a new interaction starts a new gap).
    NoContact,
    /// Its birthday is `days` days away or less (the occurrence is the birthday).
    Birthday,
    /// The anniversary of its `anniversary` date, likewise.
    Anniversary,
}

text_enum!(TriggerKind {
    TurnedSilent => "turned_silent", TurnedFormer => "turned_former", TierUp => "tier_up",
    TierDown => "tier_down", Detractor => "detractor", OrderAbove => "order_above",
    NoContact => "no_contact", Birthday => "birthday", Anniversary => "anniversary",
});

impl TriggerKind {
    /// Whether the trigger looks ahead to a date (and `days` says how far).
    pub fn looks_ahead(self) -> bool {
        matches!(self, TriggerKind::Birthday | TriggerKind::Anniversary)
    }
}

/// What the rule does for each customer.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// A task for the customer's owner (the rule's author when it has none).
    #[default]
    Task,
    /// An email to the customer, in its language.
    Email,
}

text_enum!(ActionKind { Task => "task", Email => "email" });

/// What became of one customer's occurrence.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    TaskCreated,
    EmailQueued,
    EmailSent,
    EmailFailed,
    SkippedDoNotContact,
    SkippedNoEmail,
}

text_enum!(Outcome {
    TaskCreated => "task_created", EmailQueued => "email_queued", EmailSent => "email_sent",
    EmailFailed => "email_failed", SkippedDoNotContact => "skipped_do_not_contact",
    SkippedNoEmail => "skipped_no_email",
});

/// How many days back a trigger that happened on a past day is still acted on, so that a
/// night the evaluation did not run (a stopped server) is caught up, while switching a rule on
/// does not reach every customer that went silent years ago.
pub const CATCH_UP_DAYS: i64 = 7;

/// The merge fields a task title or email may use.
pub const MERGE_FIELDS: &[&str] = &["name", "owner", "tier", "points"];

/// A rule as the form edits it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInput {
    pub name: String,
    pub trigger: TriggerKind,
    pub days: String,
    /// For an order above an amount: the amount, as typed.
    #[serde(default)]
    pub min_amount: String,
    pub tier_id: Option<i64>,
    pub stage: Option<LifecycleStage>,
    pub segment_id: Option<i64>,
    pub action: ActionKind,
    pub task_title: String,
    pub task_due_days: String,
    pub email_subject_zh: String,
    pub email_body_zh: String,
    pub email_subject_en: String,
    pub email_body_en: String,
    pub active: bool,
}

/// A rule checked: numbers parsed, texts trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidRule {
    pub name: String,
    pub trigger: TriggerKind,
    pub days: i32,
    pub min_amount_minor: Option<i64>,
    pub tier_id: Option<i64>,
    pub stage: Option<LifecycleStage>,
    pub segment_id: Option<i64>,
    pub action: ActionKind,
    pub task_title: String,
    pub task_due_days: i32,
    pub email: [String; 4],
    pub active: bool,
}

fn day_count(errors: &mut FieldErrors, field: &str, text: &str, (min, max): (i32, i32)) -> i32 {
    let text = text.trim();
    if text.is_empty() && min == 0 {
        return 0;
    }
    if text.is_empty() {
        errors.add(field, FieldError::Required);
        return 0;
    }
    match text.parse::<i32>() {
        Ok(n) if (min..=max).contains(&n) => n,
        Ok(_) => {
            errors.add(field, FieldError::OutOfRange { min: i64::from(min), max: i64::from(max) });
            0
        }
        Err(_) => {
            errors.add(field, FieldError::InvalidNumber);
            0
        }
    }
}

/// Merge fields named in `text` that the rule cannot fill.
fn unknown_fields(text: &str) -> bool {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .any(|name| !MERGE_FIELDS.contains(&name))
}

impl RuleInput {
    /// Every field's error at once: a name, the action's texts in both languages, day counts
    /// of 0-60, merge fields the rule knows.
    pub fn validate(&self) -> Result<ValidRule, AppError> {
        let mut errors = FieldErrors::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.add("name", FieldError::Required);
        } else if name.chars().count() > 80 {
            errors.add("name", FieldError::TooLong { max: 80 });
        }
        let days = match self.trigger {
            trigger if trigger.looks_ahead() => day_count(&mut errors, "days", &self.days, (0, 60)),
            TriggerKind::NoContact => day_count(&mut errors, "days", &self.days, (1, 365)),
            _ => 0,
        };
        let task_due_days = day_count(&mut errors, "task_due_days", &self.task_due_days, (0, 60));
        let min_amount_minor = match self.trigger {
            // An amount of zero would be every order: refused as not a usable amount.
            TriggerKind::OrderAbove => match crate::money::parse_money(&self.min_amount) {
                Ok(amount) if amount > 0 => Some(amount),
                Ok(_) => {
                    errors.add("min_amount", FieldError::InvalidNumber);
                    None
                }
                Err(error) => {
                    errors.add("min_amount", error);
                    None
                }
            },
            _ => None,
        };
        let mut text = |field: &str, value: &str, max: u32| {
            let value = value.trim();
            if value.is_empty() {
                errors.add(field, FieldError::Required);
            } else if value.chars().count() > max as usize {
                errors.add(field, FieldError::TooLong { max });
            } else if unknown_fields(value) {
                errors.add(field, FieldError::UnknownMergeField);
            }
            value.to_owned()
        };
        let (task_title, email) = match self.action {
            ActionKind::Task => (text("task_title", &self.task_title, 200), Default::default()),
            ActionKind::Email => (
                String::new(),
                [
                    text("email_subject_zh", &self.email_subject_zh, 200),
                    text("email_body_zh", &self.email_body_zh, 10_000),
                    text("email_subject_en", &self.email_subject_en, 200),
                    text("email_body_en", &self.email_body_en, 10_000),
                ],
            ),
        };
        errors.into_result()?;
        Ok(ValidRule {
            name: name.to_owned(),
            trigger: self.trigger,
            days,
            min_amount_minor,
            tier_id: self.tier_id,
            stage: self.stage,
            segment_id: self.segment_id,
            action: self.action,
            task_title,
            task_due_days,
            email,
            active: self.active,
        })
    }
}

/// A saved rule, with what it did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: RuleId,
    pub input: RuleInput,
    pub version: i32,
    /// Occurrences acted on, and of those the ones skipped (do not contact, no address).
    pub runs: i64,
    pub skipped: i64,
    pub last_run_at: Option<DateTime<Utc>>,
}

/// One customer's occurrence acted on by a rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub id: i64,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub occurrence: NaiveDate,
    pub outcome: Outcome,
    pub task_id: Option<i64>,
    pub detail: Option<String>,
    pub acted_at: DateTime<Utc>,
}

/// The values a customer's merge fields take.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergeValues {
    pub name: String,
    pub owner: String,
    pub tier: String,
    pub points: i64,
}

/// `template` with its merge fields filled.
pub fn merge(template: &str, values: &MergeValues) -> String {
    crate::i18n::fill(
        template,
        &[
            ("name", &values.name),
            ("owner", &values.owner),
            ("tier", &values.tier),
            ("points", &values.points),
        ],
    )
}

/// The subject and body of a rule's email in `locale`.
pub fn email_in(email: &[String; 4], locale: Locale) -> (&str, &str) {
    match locale {
        Locale::ZhCn => (&email[0], &email[1]),
        Locale::En => (&email[2], &email[3]),
    }
}

/// The days a birthday-like date may fall on for an occurrence between `today` and `today +
/// days`: (month * 100 + day, the occurrence). A 29 February is kept on the 28th in years
/// without one.
pub fn days_of_year_ahead(today: NaiveDate, ahead: i32) -> Vec<(i32, NaiveDate)> {
    let mut days = Vec::new();
    for offset in 0..=ahead.max(0) as u64 {
        let Some(day) = today.checked_add_days(Days::new(offset)) else { continue };
        let key = |d: NaiveDate| d.month() as i32 * 100 + d.day() as i32;
        days.push((key(day), day));
        let leap = NaiveDate::from_ymd_opt(day.year(), 2, 29).is_some();
        if !leap && day.month() == 2 && day.day() == 28 {
            days.push((229, day));
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task_rule() -> RuleInput {
        RuleInput {
            name: "沉默客户挽回".into(),
            task_title: "给 {name} 打电话".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_rule_needs_a_name_and_its_actions_texts_with_known_merge_fields() {
        assert!(task_rule().validate().is_ok());
        let error = RuleInput { name: " ".into(), task_title: "{nickname}".into(), ..task_rule() }
            .validate()
            .unwrap_err();
        let AppError::Validation(errors) = error else { panic!("{error:?}") };
        assert_eq!(errors.get("name"), vec![FieldError::Required]);
        assert_eq!(errors.get("task_title"), vec![FieldError::UnknownMergeField]);

        let email = RuleInput {
            action: ActionKind::Email,
            email_subject_zh: "生日快乐".into(),
            email_body_zh: "{name}，生日快乐！".into(),
            days: "61".into(),
            trigger: TriggerKind::Birthday,
            ..task_rule()
        };
        let AppError::Validation(errors) = email.validate().unwrap_err() else { panic!() };
        assert_eq!(errors.get("email_subject_en"), vec![FieldError::Required]);
        assert_eq!(errors.get("email_body_en"), vec![FieldError::Required]);
        assert_eq!(errors.get("days"), vec![FieldError::OutOfRange { min: 0, max: 60 }]);
        assert!(errors.get("task_title").is_empty(), "an email rule has no task title");
    }

    #[test]
    fn a_cadence_needs_its_days_and_an_order_rule_its_amount() {
        let cadence = RuleInput { trigger: TriggerKind::NoContact, ..task_rule() };
        let AppError::Validation(errors) = cadence.validate().unwrap_err() else { panic!() };
        assert_eq!(errors.get("days"), vec![FieldError::Required]);
        let cadence = RuleInput { days: "30".into(), ..cadence };
        assert_eq!(cadence.validate().unwrap().days, 30);
        let orders = RuleInput { trigger: TriggerKind::OrderAbove, ..task_rule() };
        let AppError::Validation(errors) = orders.validate().unwrap_err() else { panic!() };
        assert_eq!(errors.get("min_amount"), vec![FieldError::Required]);
        let orders = RuleInput { min_amount: "0".into(), ..orders };
        assert!(orders.validate().is_err());
        let orders = RuleInput { min_amount: "¥5,000.5".into(), ..orders };
        assert_eq!(orders.validate().unwrap().min_amount_minor, Some(500_050));
    }

    #[test]
    fn days_ahead_apply_only_to_dates_that_come_round() {
        let rule = RuleInput { days: "5".into(), ..task_rule() }.validate().unwrap();
        assert_eq!(rule.days, 0);
        let rule = RuleInput { days: "5".into(), trigger: TriggerKind::Birthday, ..task_rule() };
        assert_eq!(rule.validate().unwrap().days, 5);
    }

    #[test]
    fn merge_fields_are_filled_and_the_email_follows_the_customers_language() {
        let values = MergeValues {
            name: "王芳".into(),
            owner: "李雷".into(),
            tier: "金".into(),
            points: 120,
        };
        assert_eq!(
            merge("{name}，您好：{owner} {tier} {points}", &values),
            "王芳，您好：李雷 金 120"
        );
        let email = ["主题".into(), "正文".into(), "Subject".into(), "Body".into()];
        assert_eq!(email_in(&email, Locale::En), ("Subject", "Body"));
        assert_eq!(email_in(&email, Locale::ZhCn), ("主题", "正文"));
    }

    #[test]
    fn the_days_ahead_wrap_the_year_and_keep_29_february_on_the_28th() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            days_of_year_ahead(day(2026, 12, 30), 2),
            vec![(1230, day(2026, 12, 30)), (1231, day(2026, 12, 31)), (101, day(2027, 1, 1))]
        );
        assert_eq!(
            days_of_year_ahead(day(2027, 2, 28), 0),
            vec![(228, day(2027, 2, 28)), (229, day(2027, 2, 28))]
        );
        assert_eq!(days_of_year_ahead(day(2028, 2, 28), 0), vec![(228, day(2028, 2, 28))]);
        assert_eq!(days_of_year_ahead(day(2028, 2, 29), 0), vec![(229, day(2028, 2, 29))]);
    }
}
