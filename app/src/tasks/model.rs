//! Tasks as both sides of the wire see them.

use crate::{
    auth::model::UserId,
    customers::model::CustomerId,
    enums::text_enum,
    error::{AppError, FieldError, FieldErrors},
    pipeline::model::OpportunityId,
    tickets::model::TicketId,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TaskId(pub i64);

#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
}

text_enum!(Priority { Low => "low", Normal => "normal", High => "high" });

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub title: String,
    pub notes: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub customer_name: Option<String>,
    pub lead_id: Option<i64>,
    pub opportunity_id: Option<OpportunityId>,
    pub opportunity_title: Option<String>,
    pub ticket_id: Option<TicketId>,
    pub ticket_subject: Option<String>,
    pub assignee_id: UserId,
    pub assignee_name: String,
    pub due_at: DateTime<Utc>,
    pub priority: Priority,
    pub repeat_days: Option<i32>,
    pub done_at: Option<DateTime<Utc>>,
    pub version: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInput {
    pub title: String,
    pub notes: String,
    pub customer_id: Option<CustomerId>,
    pub lead_id: Option<i64>,
    pub opportunity_id: Option<OpportunityId>,
    /// A ticket to follow up; its customer becomes the task's when none is given.
    pub ticket_id: Option<TicketId>,
    /// Empty: the caller.
    pub assignee_id: Option<UserId>,
    pub due_at: Option<DateTime<Utc>>,
    pub priority: Priority,
    /// Repeat this many days after each completion (customer care call-backs).
    pub repeat_days: String,
}

impl TaskInput {
    /// Title, due time, and a repeat of 1-365 days when given.
    pub fn validate(&self) -> Result<Option<i32>, AppError> {
        let mut errors = FieldErrors::new();
        let title = self.title.trim();
        if title.is_empty() {
            errors.add("title", FieldError::Required);
        } else if title.chars().count() > 200 {
            errors.add("title", FieldError::TooLong { max: 200 });
        }
        if self.due_at.is_none() {
            errors.add("due_at", FieldError::Required);
        }
        let repeat = match self.repeat_days.trim() {
            "" => None,
            text => match text.parse::<i32>() {
                Ok(days) if (1..=365).contains(&days) => Some(days),
                _ => {
                    errors.add("repeat_days", FieldError::OutOfRange { min: 1, max: 365 });
                    None
                }
            },
        };
        errors.into_result()?;
        Ok(repeat)
    }
}

/// The "my day" view: what is late, what is due today, what comes next.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyDay {
    pub overdue: Vec<Task>,
    pub today: Vec<Task>,
    pub upcoming: Vec<Task>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_needs_a_title_a_due_time_and_a_sane_repeat() {
        let error =
            TaskInput { repeat_days: "0".into(), ..Default::default() }.validate().unwrap_err();
        let errors = error.field_errors().unwrap();
        assert_eq!(errors.get("title"), &[FieldError::Required]);
        assert_eq!(errors.get("due_at"), &[FieldError::Required]);
        assert_eq!(errors.get("repeat_days"), &[FieldError::OutOfRange { min: 1, max: 365 }]);
        let ok = TaskInput {
            title: "回访".into(),
            due_at: Some(Utc::now()),
            repeat_days: "30".into(),
            ..Default::default()
        };
        assert_eq!(ok.validate().unwrap(), Some(30));
    }
}
