//! Interactions as logged and shown.

use crate::{
    customers::model::{ContactId, CustomerId},
    enums::text_enum,
    error::{AppError, FieldError, FieldErrors},
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionKind {
    #[default]
    Call,
    Email,
    Meeting,
    Visit,
    Wechat,
    Note,
}

text_enum!(InteractionKind {
    Call => "call", Email => "email", Meeting => "meeting", Visit => "visit",
    Wechat => "wechat", Note => "note",
});

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    #[default]
    Outbound,
    Internal,
}

text_enum!(Direction { Inbound => "inbound", Outbound => "outbound", Internal => "internal" });

/// The log-an-interaction form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionInput {
    pub customer_id: CustomerId,
    pub contact_id: Option<ContactId>,
    pub kind: InteractionKind,
    pub direction: Direction,
    /// Blank: now.
    pub occurred_at: Option<DateTime<Utc>>,
    pub subject: String,
    pub outcome: String,
    pub next_step: String,
    pub next_step_due: Option<NaiveDate>,
}

impl InteractionInput {
    /// Checks the texts; returns (subject, outcome, next step) trimmed.
    pub fn validate(&self) -> Result<(String, Option<String>, Option<String>), AppError> {
        let mut errors = FieldErrors::new();
        let subject = self.subject.trim();
        if subject.is_empty() {
            errors.add("subject", FieldError::Required);
        } else if subject.chars().count() > 200 {
            errors.add("subject", FieldError::TooLong { max: 200 });
        }
        let text = |field: &str, value: &str, errors: &mut FieldErrors| {
            let value = value.trim();
            if value.chars().count() > 2000 {
                errors.add(field, FieldError::TooLong { max: 2000 });
            }
            Some(value.to_owned()).filter(|v| !v.is_empty())
        };
        let outcome = text("outcome", &self.outcome, &mut errors);
        let next_step = text("next_step", &self.next_step, &mut errors);
        if self.next_step_due.is_some() && next_step.is_none() {
            errors.add("next_step", FieldError::Required);
        }
        errors.into_result()?;
        Ok((subject.to_owned(), outcome, next_step))
    }
}

/// An interaction as shown on the 360 page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    pub id: i64,
    pub customer_id: CustomerId,
    pub contact_name: Option<String>,
    pub kind: InteractionKind,
    pub direction: Direction,
    pub occurred_at: DateTime<Utc>,
    pub subject: String,
    pub outcome: Option<String>,
    pub next_step: Option<String>,
    pub next_step_due: Option<NaiveDate>,
    pub created_by_name: Option<String>,
    pub contact_id: Option<ContactId>,
    /// The version an edit is checked against.
    pub version: i32,
}

impl Interaction {
    /// The interaction as its edit form starts.
    pub fn edit_input(&self) -> InteractionInput {
        InteractionInput {
            customer_id: self.customer_id,
            contact_id: self.contact_id,
            kind: self.kind,
            direction: self.direction,
            occurred_at: Some(self.occurred_at),
            subject: self.subject.clone(),
            outcome: self.outcome.clone().unwrap_or_default(),
            next_step: self.next_step.clone().unwrap_or_default(),
            next_step_due: self.next_step_due,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_next_step_date_needs_a_next_step() {
        let input = InteractionInput {
            subject: "  ".into(),
            next_step_due: NaiveDate::from_ymd_opt(2026, 12, 1),
            ..Default::default()
        };
        let error = input.validate().unwrap_err();
        let fields = error.field_errors().unwrap();
        assert_eq!(fields.get("subject"), &[FieldError::Required]);
        assert_eq!(fields.get("next_step"), &[FieldError::Required]);
    }
}
