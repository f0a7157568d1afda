//! The care calendar as both sides of the wire see it: what is due each day (tasks, with the
//! care rule that made them, and customers' birthdays and anniversaries), per person or for the
//! team, and how much of what the care rules asked for was done.

use crate::{
    auth::model::UserId, customers::model::CustomerId, enums::text_enum, tasks::model::TaskId,
};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How much the calendar shows at once.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Span {
    /// The weeks (Monday to Sunday) that hold a month's days.
    #[default]
    Month,
    /// One week, Monday to Sunday.
    Week,
}

text_enum!(Span { Month => "month", Week => "week" });

impl Span {
    /// How many of each kind a day shows; the rest are counted ("and 12 more").
    pub fn shown_per_day(self) -> i64 {
        match self {
            Span::Month => 4,
            Span::Week => 30,
        }
    }
}

/// The days a span shows around `day`: the first of the month (or the week's Monday) it is
/// named by, the first and last day shown, and the anchors of the spans before and after.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub span: Span,
    pub anchor: NaiveDate,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub previous: NaiveDate,
    pub next: NaiveDate,
}

fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

impl Period {
    pub fn around(span: Span, day: NaiveDate) -> Period {
        match span {
            Span::Month => {
                let anchor = day.with_day(1).unwrap_or(day);
                let next = anchor + Months::new(1);
                let month_end = next - Duration::days(1);
                Period {
                    span,
                    anchor,
                    first: monday_of(anchor),
                    last: monday_of(month_end) + Duration::days(6),
                    previous: anchor - Months::new(1),
                    next,
                }
            }
            Span::Week => {
                let anchor = monday_of(day);
                Period {
                    span,
                    anchor,
                    first: anchor,
                    last: anchor + Duration::days(6),
                    previous: anchor - Duration::days(7),
                    next: anchor + Duration::days(7),
                }
            }
        }
    }

    /// Every day shown, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let (first, last) = (self.first, self.last);
        first.iter_days().take_while(move |day| *day <= last)
    }

    /// Whether `day` belongs to the month shown (days of the weeks around it are dimmed).
    pub fn in_focus(&self, day: NaiveDate) -> bool {
        self.span == Span::Week || day.month() == self.anchor.month()
    }
}

/// A task due on a day of the calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueTask {
    pub id: TaskId,
    pub title: String,
    pub customer_id: Option<CustomerId>,
    pub customer_name: Option<String>,
    pub assignee_name: String,
    pub due_at: DateTime<Utc>,
    pub done: bool,
    /// The care rule that created it, when one did.
    pub rule: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OccasionKind {
    Birthday,
    Anniversary,
}

text_enum!(OccasionKind { Birthday => "birthday", Anniversary => "anniversary" });

/// A customer's birthday or anniversary falling on a day of the calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occasion {
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub kind: OccasionKind,
    /// How many years it is (age, years as a customer).
    pub years: i32,
    pub do_not_contact: bool,
}

/// One day: the first tasks and occasions of it, and how many there are in all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareDay {
    pub day: NaiveDate,
    pub tasks: Vec<DueTask>,
    pub task_count: i64,
    pub occasions: Vec<Occasion>,
    pub occasion_count: i64,
}

/// How the tasks a care rule made, due in the period, were done: per rule or per person.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    pub name: String,
    pub due: i64,
    pub done: i64,
    /// Done no later than due.
    pub on_time: i64,
    /// Not done and past due.
    pub overdue: i64,
}

impl Completion {
    /// Done as a whole percentage of due (none due: none to show).
    pub fn rate(&self) -> Option<i64> {
        (self.due > 0).then(|| (self.done * 100 + self.due / 2) / self.due)
    }
}

/// The calendar of a period for everyone the caller may see, or one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareCalendar {
    pub period: Period,
    pub today: NaiveDate,
    pub days: Vec<CareDay>,
    /// The one person shown, or everyone visible.
    pub person: Option<UserId>,
    /// Whom the caller may pick (empty when they see only their own).
    pub people: Vec<(UserId, String)>,
    pub by_rule: Vec<Completion>,
    pub by_person: Vec<Completion>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_month_shows_whole_weeks_from_monday_and_leads_to_its_neighbours() {
        // December 2026 starts on a Tuesday and ends on a Thursday.
        let period = Period::around(Span::Month, day("2026-12-17"));
        assert_eq!(period.anchor, day("2026-12-01"));
        assert_eq!((period.first, period.last), (day("2026-11-30"), day("2027-01-03")));
        assert_eq!((period.previous, period.next), (day("2026-11-01"), day("2027-01-01")));
        assert_eq!(period.days().count(), 35);
        assert!(!period.in_focus(day("2026-11-30")) && period.in_focus(day("2026-12-31")));
        // February 2021 starts on a Monday and ends on a Sunday: exactly four weeks.
        let february = Period::around(Span::Month, day("2021-02-28"));
        assert_eq!((february.first, february.last), (day("2021-02-01"), day("2021-02-28")));
        assert_eq!(february.days().count(), 28);
    }

    #[test]
    fn a_week_runs_monday_to_sunday() {
        let period = Period::around(Span::Week, day("2026-12-06"));
        assert_eq!((period.first, period.last), (day("2026-11-30"), day("2026-12-06")));
        assert_eq!((period.previous, period.next), (day("2026-11-23"), day("2026-12-07")));
        assert_eq!(period.days().count(), 7);
        assert_eq!(Span::parse(Span::Week.as_str()), Ok(Span::Week));
    }

    #[test]
    fn completion_rounds_to_whole_percent_and_has_none_without_tasks() {
        let done = |due, done| Completion { due, done, ..Default::default() }.rate();
        assert_eq!(done(3, 2), Some(67));
        assert_eq!(done(8, 8), Some(100));
        assert_eq!(done(0, 0), None);
    }
}
