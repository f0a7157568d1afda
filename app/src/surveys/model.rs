//! Surveys, their questions, sendings and answers, as both sides of the wire see them.

use crate::{
    customers::model::CustomerId,
    enums::text_enum,
    error::{AppError, FieldError, FieldErrors},
    i18n::Locale,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// 1-5.
    #[default]
    Csat,
    /// 0-10.
    Nps,
    Single,
    Multiple,
    Text,
}
text_enum!(QuestionKind {
    Csat => "csat", Nps => "nps", Single => "single", Multiple => "multiple", Text => "text",
});

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub zh: String,
    pub en: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub kind: QuestionKind,
    pub text_zh: String,
    pub text_en: String,
    pub options: Vec<Choice>,
    pub required: bool,
}

impl Question {
    pub fn text(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.text_zh,
            Locale::En => &self.text_en,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    pub id: Option<i64>,
    pub name_zh: String,
    pub name_en: String,
    pub intro_zh: String,
    pub intro_en: String,
    pub send_on_ticket_resolved: bool,
    pub link_valid_days: i32,
    pub questions: Vec<Question>,
    pub version: i32,
}

impl Survey {
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.name_zh,
            Locale::En => &self.name_en,
        }
    }

    pub fn intro(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.intro_zh,
            Locale::En => &self.intro_en,
        }
    }

    /// Names in both languages, 1-30 questions each with both texts, choices for choice
    /// questions, and a link validity of 1-365 days.
    pub fn validate(&self) -> Result<(), AppError> {
        let mut errors = FieldErrors::new();
        for (field, value, max) in [
            ("name_zh", &self.name_zh, 120),
            ("name_en", &self.name_en, 120),
            ("intro_zh", &self.intro_zh, 2000),
            ("intro_en", &self.intro_en, 2000),
        ] {
            if max == 120 && value.trim().is_empty() {
                errors.add(field, FieldError::Required);
            } else if value.chars().count() > max {
                errors.add(field, FieldError::TooLong { max: max as u32 });
            }
        }
        if !(1..=365).contains(&self.link_valid_days) {
            errors.add("link_valid_days", FieldError::OutOfRange { min: 1, max: 365 });
        }
        if self.questions.is_empty() {
            errors.add("questions", FieldError::TooFew { min: 1 });
        } else if self.questions.len() > 30 {
            errors.add("questions", FieldError::TooMany { max: 30 });
        }
        for (n, q) in self.questions.iter().enumerate() {
            if q.text_zh.trim().is_empty() {
                errors.add(&format!("q{n}.text_zh"), FieldError::Required);
            }
            if q.text_en.trim().is_empty() {
                errors.add(&format!("q{n}.text_en"), FieldError::Required);
            }
            let choices = matches!(q.kind, QuestionKind::Single | QuestionKind::Multiple);
            if choices
                && (q.options.len() < 2
                    || q.options.iter().any(|o| o.zh.trim().is_empty() || o.en.trim().is_empty()))
            {
                errors.add(&format!("q{n}.options"), FieldError::TooFew { min: 2 });
            }
        }
        errors.into_result()
    }
}

/// A survey in the list, with its counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveySummary {
    pub id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub send_on_ticket_resolved: bool,
    pub sent: i64,
    pub answered: i64,
}

/// Whom to send a survey to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SendTarget {
    Customer(CustomerId),
    Segment(i64),
}

/// One answer to one question, in question order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AnswerValue {
    #[default]
    Skipped,
    Score(i32),
    Choice(usize),
    Choices(Vec<usize>),
    Text(String),
}

/// What the public answer page shows: the survey in the recipient's language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicSurvey {
    pub locale: Locale,
    pub survey: Survey,
}

/// Checks answers against the questions; errors are keyed `q{n}`.
pub fn validate_answers(questions: &[Question], answers: &[AnswerValue]) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    for (n, question) in questions.iter().enumerate() {
        let field = format!("q{n}");
        let answer = answers.get(n).unwrap_or(&AnswerValue::Skipped);
        let valid = match (question.kind, answer) {
            (_, AnswerValue::Skipped) => {
                if question.required {
                    errors.add(&field, FieldError::Required);
                }
                continue;
            }
            (QuestionKind::Csat, AnswerValue::Score(s)) => (1..=5).contains(s),
            (QuestionKind::Nps, AnswerValue::Score(s)) => (0..=10).contains(s),
            (QuestionKind::Single, AnswerValue::Choice(c)) => *c < question.options.len(),
            (QuestionKind::Multiple, AnswerValue::Choices(c)) => {
                if c.is_empty() && question.required {
                    errors.add(&field, FieldError::Required);
                    continue;
                }
                c.iter().all(|c| *c < question.options.len())
            }
            (QuestionKind::Text, AnswerValue::Text(t)) => {
                if t.trim().is_empty() && question.required {
                    errors.add(&field, FieldError::Required);
                    continue;
                }
                if t.chars().count() > 5000 {
                    errors.add(&field, FieldError::TooLong { max: 5000 });
                    continue;
                }
                true
            }
            _ => false,
        };
        if !valid {
            errors.add(&field, FieldError::InvalidChoice);
        }
    }
    if answers.len() > questions.len() {
        errors.add("answers", FieldError::TooMany { max: questions.len() as u32 });
    }
    errors.into_result()
}

/// The first CSAT and NPS scores among the answers (the ones results are computed from).
pub fn headline_scores(
    questions: &[Question],
    answers: &[AnswerValue],
) -> (Option<i32>, Option<i32>) {
    let score_of = |kind: QuestionKind| {
        questions.iter().zip(answers).find_map(|(q, a)| match (q.kind == kind, a) {
            (true, AnswerValue::Score(s)) => Some(*s),
            _ => None,
        })
    };
    (score_of(QuestionKind::Csat), score_of(QuestionKind::Nps))
}

/// A detractor: NPS 0-6 or CSAT 1-2. Their answer opens a follow-up ticket.
pub fn is_detractor(csat: Option<i32>, nps: Option<i32>) -> bool {
    csat.is_some_and(|c| c <= 2) || nps.is_some_and(|n| n <= 6)
}

/// NPS from counts: promoters (9-10) minus detractors (0-6), in percent of all answers.
pub fn net_promoter_score(promoters: i64, passives: i64, detractors: i64) -> Option<f64> {
    let total = promoters + passives + detractors;
    (total > 0).then(|| (promoters - detractors) as f64 * 100.0 / total as f64)
}

/// CSAT: satisfied answers (4-5) in percent of all CSAT answers.
pub fn csat_percent(satisfied: i64, total: i64) -> Option<f64> {
    (total > 0).then(|| satisfied as f64 * 100.0 / total as f64)
}

/// Results of one group of answers (a week, an agent, a tier).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreGroup {
    pub label: String,
    pub week: Option<NaiveDate>,
    pub answers: i64,
    pub csat_percent: Option<f64>,
    pub nps: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextAnswer {
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub question: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientRow {
    pub id: i64,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub email: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub followup_ticket_id: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SurveyResults {
    pub survey: Survey,
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
    pub answered: i64,
    pub response_rate_percent: Option<f64>,
    pub csat_answers: i64,
    pub csat_percent: Option<f64>,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
    pub nps: Option<f64>,
    pub by_week: Vec<ScoreGroup>,
    pub by_agent: Vec<ScoreGroup>,
    pub by_tier: Vec<ScoreGroup>,
    pub texts: Vec<TextAnswer>,
    pub recipients: Vec<RecipientRow>,
}

/// The outcome of queuing a sending.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendOutcome {
    pub recipients: i32,
    pub skipped_without_email: i32,
    pub job_id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questions() -> Vec<Question> {
        vec![
            Question { kind: QuestionKind::Csat, required: true, ..Default::default() },
            Question { kind: QuestionKind::Nps, required: false, ..Default::default() },
            Question {
                kind: QuestionKind::Single,
                options: vec![Choice::default(), Choice::default()],
                required: false,
                ..Default::default()
            },
            Question { kind: QuestionKind::Text, required: false, ..Default::default() },
        ]
    }

    #[test]
    fn answers_are_checked_against_their_questions() {
        let qs = questions();
        assert!(validate_answers(&qs, &[AnswerValue::Score(1)]).is_ok());
        let error = validate_answers(
            &qs,
            &[
                AnswerValue::Skipped,
                AnswerValue::Score(11),
                AnswerValue::Choice(2),
                AnswerValue::Score(3),
            ],
        )
        .unwrap_err();
        let errors = error.field_errors().unwrap();
        assert_eq!(errors.get("q0"), &[FieldError::Required]);
        assert_eq!(errors.get("q1"), &[FieldError::InvalidChoice]);
        assert_eq!(errors.get("q2"), &[FieldError::InvalidChoice]);
        assert_eq!(errors.get("q3"), &[FieldError::InvalidChoice]);
    }

    #[test]
    fn detractors_and_scores() {
        let qs = questions();
        let answers = [AnswerValue::Score(4), AnswerValue::Score(6)];
        assert_eq!(headline_scores(&qs, &answers), (Some(4), Some(6)));
        assert!(is_detractor(Some(4), Some(6)));
        assert!(is_detractor(Some(2), None));
        assert!(!is_detractor(Some(3), Some(7)));
        assert!(!is_detractor(None, None));
        assert_eq!(net_promoter_score(5, 3, 2), Some(30.0));
        assert_eq!(net_promoter_score(0, 0, 0), None);
        assert_eq!(csat_percent(3, 4), Some(75.0));
    }

    #[test]
    fn a_choice_question_needs_two_choices() {
        let survey = Survey {
            name_zh: "调查".into(),
            name_en: "Survey".into(),
            link_valid_days: 14,
            questions: vec![Question {
                kind: QuestionKind::Single,
                text_zh: "问".into(),
                text_en: "Q".into(),
                options: vec![Choice { zh: "是".into(), en: "Yes".into() }],
                required: true,
            }],
            ..Default::default()
        };
        let error = survey.validate().unwrap_err();
        assert_eq!(
            error.field_errors().unwrap().get("q0.options"),
            &[FieldError::TooFew { min: 2 }]
        );
    }
}
