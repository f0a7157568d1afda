//! Tickets, SLA policies and the business-hours clock, as both sides of the wire see them.

use crate::{
    auth::model::{TeamId, UserId, id_type},
    customers::model::CustomerId,
    enums::text_enum,
    error::{AppError, FieldError, FieldErrors},
};
#[cfg(feature = "ssr")]
use chrono::Duration;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

id_type!(
    /// A service ticket.
    TicketId
);

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[default]
    Phone,
    Email,
    WebForm,
    Wechat,
    WalkIn,
    /// Opened by the system for a detractor's survey answer.
    Survey,
}
text_enum!(Channel {
    Phone => "phone", Email => "email", WebForm => "web_form", Wechat => "wechat",
    WalkIn => "walk_in", Survey => "survey",
});

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    #[default]
    Question,
    Fault,
    Complaint,
    Suggestion,
}
text_enum!(Category {
    Question => "question", Fault => "fault", Complaint => "complaint", Suggestion => "suggestion",
});

#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TicketPriority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}
text_enum!(TicketPriority { Low => "low", Normal => "normal", High => "high", Urgent => "urgent" });

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    #[default]
    New,
    Open,
    /// Waiting on the customer: the resolution clock is paused.
    Waiting,
    Resolved,
    Closed,
    Reopened,
}
text_enum!(TicketStatus {
    New => "new", Open => "open", Waiting => "waiting", Resolved => "resolved",
    Closed => "closed", Reopened => "reopened",
});

impl TicketStatus {
    pub fn is_done(self) -> bool {
        matches!(self, TicketStatus::Resolved | TicketStatus::Closed)
    }

    /// The statuses an agent may move a ticket to from this one.
    pub fn next_choices(self) -> &'static [TicketStatus] {
        use TicketStatus::*;
        match self {
            New | Open | Reopened => &[Waiting, Resolved, Closed],
            Waiting => &[Open, Resolved, Closed],
            Resolved => &[Reopened, Closed],
            Closed => &[Reopened],
        }
    }
}

/// The queues of the service desk.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// Assigned to me, running clocks.
    #[default]
    Mine,
    Unassigned,
    /// My team's, running clocks.
    Team,
    /// Due within the hour or already late, anyone's in my scope.
    BreachingSoon,
    /// Waiting on the customer (clock paused), mine.
    Waiting,
    /// Every running ticket in my scope.
    AllOpen,
    /// Resolved and closed tickets in my scope, newest first.
    Done,
}
text_enum!(Queue {
    Mine => "mine", Unassigned => "unassigned", Team => "team", BreachingSoon => "breaching",
    Waiting => "waiting", AllOpen => "all", Done => "done",
});

/// A ticket number as typed: `#123`, `123` or `T-123`.
pub fn ticket_number(raw: &str) -> Option<i64> {
    let trimmed = raw.trim();
    let digits = trimmed
        .strip_prefix('#')
        .or_else(|| trimmed.strip_prefix("T-"))
        .or_else(|| trimmed.strip_prefix("t-"))
        .unwrap_or(trimmed);
    (!digits.is_empty() && digits.len() <= 18 && digits.chars().all(|c| c.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// Where the next page of a queue starts: the sort time (deadline, or pause time) and the id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCursor {
    pub at: DateTime<Utc>,
    pub id: TicketId,
}

/// How a clock stands, for the colours: green, amber when under a quarter of the time is left,
/// red once late.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlaState {
    OnTrack,
    AtRisk,
    Breached,
    Met,
    Paused,
}

/// The state of a clock that started at `started` and is due at `due`, at `now`.
pub fn sla_state(started: DateTime<Utc>, due: DateTime<Utc>, now: DateTime<Utc>) -> SlaState {
    if now >= due {
        return SlaState::Breached;
    }
    let total = (due - started).num_seconds().max(1);
    let left = (due - now).num_seconds();
    if left * 4 < total { SlaState::AtRisk } else { SlaState::OnTrack }
}

/// A ticket as a queue row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRow {
    pub id: TicketId,
    pub subject: String,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub category: Category,
    pub priority: TicketPriority,
    pub status: TicketStatus,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub tier_name_zh: Option<String>,
    pub tier_name_en: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sla_due_at: Option<DateTime<Utc>>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    pub paused_at: Option<DateTime<Utc>>,
    pub version: i32,
}

impl TicketRow {
    /// The clock that matters now and its state.
    pub fn sla(&self, now: DateTime<Utc>) -> SlaState {
        match self.sla_due_at {
            Some(due) => sla_state(self.created_at, due, now),
            None if self.paused_at.is_some() => SlaState::Paused,
            None => SlaState::Met,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketMessage {
    pub id: i64,
    pub kind: MessageKind,
    pub author_name: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// A reply's email: queued, sent or failed (with why); none when not emailed.
    #[serde(default)]
    pub email_status: Option<EmailStatus>,
    #[serde(default)]
    pub email_error: Option<String>,
    /// The sender of a customer's email.
    #[serde(default)]
    pub email_from: Option<String>,
    /// Files that came with a customer's email.
    #[serde(default)]
    pub attachments: Vec<AttachmentInfo>,
}

/// A file kept with a message, as the conversation lists it (downloaded from `href`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i32,
}

impl AttachmentInfo {
    pub fn href(&self) -> String {
        format!("/files/ticket-attachments/{}", self.id)
    }
}

/// Where a reply's email stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    Queued,
    Sent,
    Failed,
}
text_enum!(EmailStatus { Queued => "queued", Sent => "sent", Failed => "failed" });

/// The health line of the desk's mailbox, for admins.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxHealth {
    /// Whether a mailbox is configured (`GUANXI_IMAP_URL`).
    pub configured: bool,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub fetched: i64,
    pub imported: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Emails from unknown senders waiting for an agent.
    pub awaiting_triage: i64,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// To the customer: it is the first response.
    #[default]
    Reply,
    /// Internal only.
    Note,
    /// From the customer.
    Customer,
    /// A change to the ticket itself (priority, category, customer, assignee), written by the
    /// server: the body is the change as JSON ([`TicketChange`]), shown in the reader's language.
    Change,
}
text_enum!(MessageKind {
    Reply => "reply",
    Note => "note",
    Customer => "customer",
    Change => "change",
});

/// What an edit changed, as the conversation shows it: each field's value before and after
/// (priority and category as their stored text, customer and assignee as names).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketChange {
    pub priority: Option<(String, String)>,
    pub category: Option<(String, String)>,
    pub customer: Option<(String, String)>,
    pub assignee: Option<(Option<String>, Option<String>)>,
    /// Whether the SLA deadlines moved with the new policy.
    #[serde(default)]
    pub deadlines_moved: bool,
}

/// A ticket's own fields as an agent edits them after opening it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketEdit {
    pub customer_id: CustomerId,
    pub category: Category,
    pub priority: TicketPriority,
    /// `None`: unassigned.
    pub assignee_id: Option<UserId>,
}

/// One ticket with its conversation and SLA details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub row: TicketRow,
    pub channel: Channel,
    pub contact_name: Option<String>,
    pub team_name: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub reopen_count: i32,
    pub first_response_breached: bool,
    pub resolution_breached: bool,
    /// The policy's targets in minutes and whether they count business hours only.
    pub first_response_minutes: Option<i32>,
    pub resolution_minutes: Option<i32>,
    pub business_hours: bool,
    pub survey_answer_id: Option<i64>,
    pub messages: Vec<TicketMessage>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketInput {
    pub customer_id: Option<CustomerId>,
    pub contact_id: Option<i64>,
    pub channel: Channel,
    pub category: Category,
    pub priority: TicketPriority,
    pub subject: String,
    /// The customer's words, as the first message.
    pub description: String,
    /// Empty: unassigned (it lands in the unassigned queue).
    pub assignee_id: Option<UserId>,
}

impl TicketInput {
    pub fn validate(&self) -> Result<(), AppError> {
        let mut errors = FieldErrors::new();
        if self.customer_id.is_none() {
            errors.add("customer_id", FieldError::Required);
        }
        let subject = self.subject.trim();
        if subject.is_empty() {
            errors.add("subject", FieldError::Required);
        } else if subject.chars().count() > 200 {
            errors.add("subject", FieldError::TooLong { max: 200 });
        }
        if self.description.chars().count() > 20_000 {
            errors.add("description", FieldError::TooLong { max: 20_000 });
        }
        errors.into_result()
    }
}

/// A ticket on the customer 360 page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerService {
    pub open_tickets: i64,
    pub recent: Vec<TicketRow>,
    /// The latest CSAT (1-5) or NPS (0-10) answer, with which it was.
    pub last_csat: Option<i32>,
    pub last_nps: Option<i32>,
    pub last_answer_at: Option<DateTime<Utc>>,
}

/// An SLA target row as the admin edits it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub id: Option<i64>,
    pub priority: TicketPriority,
    /// `None`: every tier without a row of its own.
    pub tier_id: Option<i64>,
    pub first_response_minutes: i32,
    pub resolution_minutes: i32,
    pub business_hours: bool,
}

/// When the desk works: the SLA clock counts only these minutes, on the company's calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessCalendar {
    /// The company's zone (set on the company page): opening hours are its wall-clock hours,
    /// daylight saving included.
    pub time_zone: String,
    /// ISO weekdays, 1 = Monday.
    pub work_days: Vec<u32>,
    pub day_start_minute: i32,
    pub day_end_minute: i32,
    pub holidays: Vec<NaiveDate>,
    pub version: i32,
}

impl Default for BusinessCalendar {
    fn default() -> Self {
        Self {
            time_zone: crate::company::model::DEFAULT_TIME_ZONE.to_owned(),
            work_days: vec![1, 2, 3, 4, 5],
            day_start_minute: 9 * 60,
            day_end_minute: 18 * 60,
            holidays: Vec::new(),
            version: 1,
        }
    }
}

/// Far enough to cover any target an admin can set, short enough to stop on a broken calendar.
#[cfg(feature = "ssr")]
const MAX_DAYS_AHEAD: i64 = 3 * 366;

impl BusinessCalendar {
    pub fn validate(&self) -> Result<(), AppError> {
        let mut errors = FieldErrors::new();
        if self.work_days.is_empty() || self.work_days.iter().any(|d| !(1..=7).contains(d)) {
            errors.add("work_days", FieldError::TooFew { min: 1 });
        }
        if !(0..1440).contains(&self.day_start_minute)
            || self.day_end_minute <= self.day_start_minute
            || self.day_end_minute > 1440
        {
            errors.add("day_end_minute", FieldError::OutOfRange { min: 1, max: 1440 });
        }
        errors.into_result()
    }
}

#[cfg(feature = "ssr")]
impl BusinessCalendar {
    fn is_work_day(&self, day: NaiveDate) -> bool {
        self.work_days.contains(&chrono::Datelike::weekday(&day).number_from_monday())
            && !self.holidays.contains(&day)
    }

    /// A day's opening hours as instants: computed through the zone for each day, so a day on
    /// which daylight saving starts or ends still opens at 09:00 on the wall clock.
    fn open_hours(&self, day: NaiveDate, zone: chrono_tz::Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |minute: i32| {
            let local = day.and_time(chrono::NaiveTime::MIN) + Duration::minutes(minute as i64);
            crate::clock::local_to_utc(local, zone)
        };
        (at(self.day_start_minute), at(self.day_end_minute))
    }

    fn zone(&self) -> chrono_tz::Tz {
        crate::clock::parse_zone(&self.time_zone)
    }

    /// The moment `minutes` of business time after `start`. A start outside business hours
    /// counts from the next opening.
    pub fn add_business_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        let zone = self.zone();
        let mut remaining = Duration::minutes(minutes.max(0));
        let mut day = crate::clock::local_date(start, zone);
        for _ in 0..MAX_DAYS_AHEAD {
            if self.is_work_day(day) {
                let (open, close) = self.open_hours(day, zone);
                let from = start.max(open);
                if from < close {
                    let available = close - from;
                    if remaining <= available {
                        return from + remaining;
                    }
                    remaining -= available;
                }
            }
            day = day.succ_opt().unwrap_or(day);
        }
        start + Duration::minutes(minutes)
    }

    /// Business minutes between two moments (zero when `to` is not after `from`).
    pub fn business_minutes_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let zone = self.zone();
        let last = crate::clock::local_date(to, zone);
        let mut total = Duration::zero();
        let mut day = crate::clock::local_date(from, zone);
        while day <= last {
            if self.is_work_day(day) {
                let (open, close) = self.open_hours(day, zone);
                let (open, close) = (open.max(from), close.min(to));
                if close > open {
                    total += close - open;
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        total.num_minutes()
    }

    /// A deadline that ran under one policy (`old_minutes` after `start`, plus whatever pauses
    /// and reopening added since) moved to another policy's target: the time the clock was
    /// given beyond its old target carries over, so a change of priority neither forgives nor
    /// repeats a pause.
    pub fn moved_deadline(
        &self,
        start: DateTime<Utc>,
        old_due: DateTime<Utc>,
        (old_minutes, old_business): (i64, bool),
        (new_minutes, new_business): (i64, bool),
    ) -> DateTime<Utc> {
        let given = if old_business {
            self.business_minutes_between(start, old_due)
        } else {
            (old_due - start).num_minutes()
        };
        let total = (new_minutes + (given - old_minutes)).max(0);
        self.deadline(start, total, new_business)
    }

    /// The deadline `minutes` after `start`, in business time or calendar time.
    pub fn deadline(
        &self,
        start: DateTime<Utc>,
        minutes: i64,
        business_hours: bool,
    ) -> DateTime<Utc> {
        if business_hours {
            self.add_business_minutes(start, minutes)
        } else {
            start + Duration::minutes(minutes)
        }
    }
}

/// Service quality over a period.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceReport {
    pub days: i32,
    pub created: i64,
    pub resolved: i64,
    /// Median and mean minutes from opening to the first public reply.
    pub first_response_median_minutes: Option<f64>,
    pub first_response_mean_minutes: Option<f64>,
    pub resolution_median_minutes: Option<f64>,
    pub resolution_mean_minutes: Option<f64>,
    /// Share of tickets whose clocks came due in the period that met them, in percent.
    pub sla_attainment_percent: Option<f64>,
    pub breaches: i64,
    /// Reopened among resolved, in percent.
    pub reopen_rate_percent: Option<f64>,
    pub backlog: Vec<AgentBacklog>,
    pub by_category: Vec<CategoryWeek>,
    /// The latest complaints and suggestions.
    pub feedback: Vec<TicketRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentBacklog {
    pub agent_id: Option<UserId>,
    pub agent_name: Option<String>,
    pub open: i64,
    pub breaching: i64,
    pub waiting: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryWeek {
    pub week: NaiveDate,
    pub category: Category,
    pub count: i64,
}

/// The service desk's admin settings page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSettings {
    pub calendar: BusinessCalendar,
    pub policies: Vec<SlaPolicy>,
    /// (tier id, zh name, en name) for the policy table.
    pub tiers: Vec<(i64, String, String)>,
}

/// People a ticket can be assigned to (the bulk assign menu).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub id: UserId,
    pub name: String,
    pub team_id: Option<TeamId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Shanghai wall-clock time, as UTC.
    fn cst(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono::FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn ticket_numbers_are_read_with_or_without_their_mark() {
        assert_eq!(ticket_number("#42"), Some(42));
        assert_eq!(ticket_number(" 42 "), Some(42));
        assert_eq!(ticket_number("T-42"), Some(42));
        assert_eq!(ticket_number("#"), None);
        assert_eq!(ticket_number("42a"), None);
        assert_eq!(ticket_number("99999999999999999999"), None);
    }

    #[test]
    fn a_moved_deadline_keeps_the_time_pauses_added() {
        let calendar = BusinessCalendar::default();
        let opened = cst(2026, 11, 24, 9, 0);
        // Normal (8 business hours) became urgent (1 hour) with no pause: 10:00 the same day.
        let due = calendar.add_business_minutes(opened, 480);
        assert_eq!(
            calendar.moved_deadline(opened, due, (480, true), (60, true)),
            cst(2026, 11, 24, 10, 0)
        );
        // The same after a two-hour pause had pushed the old deadline: the two hours stay.
        let paused = calendar.add_business_minutes(opened, 600);
        assert_eq!(
            calendar.moved_deadline(opened, paused, (480, true), (60, true)),
            cst(2026, 11, 24, 12, 0)
        );
        // Calendar-time policies move by wall-clock minutes.
        let wall = opened + Duration::minutes(240);
        assert_eq!(
            calendar.moved_deadline(opened, wall, (240, false), (1440, false)),
            opened + Duration::minutes(1440)
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn business_minutes_skip_nights_weekends_and_holidays() {
        let calendar = BusinessCalendar::default();
        // Friday 2026-11-20 17:00 + 2 h: one hour on Friday, one on Monday morning.
        assert_eq!(
            calendar.add_business_minutes(cst(2026, 11, 20, 17, 0), 120),
            cst(2026, 11, 23, 10, 0)
        );
        // Saturday counts from Monday's opening.
        assert_eq!(
            calendar.add_business_minutes(cst(2026, 11, 21, 12, 0), 30),
            cst(2026, 11, 23, 9, 30)
        );
        // Before opening on a weekday.
        assert_eq!(
            calendar.add_business_minutes(cst(2026, 11, 24, 7, 0), 60),
            cst(2026, 11, 24, 10, 0)
        );
        // Exactly filling the day ends at closing, not the next morning.
        assert_eq!(
            calendar.add_business_minutes(cst(2026, 11, 24, 9, 0), 540),
            cst(2026, 11, 24, 18, 0)
        );
        // A holiday Monday pushes to Tuesday.
        let holiday = BusinessCalendar {
            holidays: vec![NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()],
            ..BusinessCalendar::default()
        };
        assert_eq!(
            holiday.add_business_minutes(cst(2026, 11, 20, 17, 0), 120),
            cst(2026, 11, 24, 10, 0)
        );
        // A three-day target (24 business hours) spans a weekend.
        assert_eq!(
            calendar.add_business_minutes(cst(2026, 11, 19, 9, 0), 24 * 60),
            cst(2026, 11, 23, 15, 0)
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn business_minutes_between_counts_only_open_hours() {
        let calendar = BusinessCalendar::default();
        assert_eq!(
            calendar.business_minutes_between(cst(2026, 11, 20, 17, 0), cst(2026, 11, 23, 10, 0)),
            120
        );
        assert_eq!(
            calendar.business_minutes_between(cst(2026, 11, 21, 8, 0), cst(2026, 11, 22, 20, 0)),
            0
        );
        assert_eq!(
            calendar.business_minutes_between(cst(2026, 11, 23, 10, 0), cst(2026, 11, 23, 9, 0)),
            0
        );
        // Adding then measuring gives back the minutes.
        let start = cst(2026, 11, 18, 16, 45);
        for minutes in [1, 59, 540, 1000, 5000] {
            let due = calendar.add_business_minutes(start, minutes);
            assert_eq!(calendar.business_minutes_between(start, due), minutes, "{minutes}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn calendar_time_policies_ignore_business_hours() {
        let calendar = BusinessCalendar::default();
        let start = cst(2026, 11, 21, 23, 0);
        assert_eq!(calendar.deadline(start, 60, false), cst(2026, 11, 22, 0, 0));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn opening_hours_follow_daylight_saving() {
        let berlin = BusinessCalendar { time_zone: "Europe/Berlin".into(), ..Default::default() };
        let utc = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc);
        // Friday 2026-03-27 17:00 CET (16:00 UTC) + 2 h: one hour on Friday, then Monday
        // 2026-03-30 opens at 09:00 summer time, 07:00 UTC.
        assert_eq!(
            berlin.add_business_minutes(utc("2026-03-27T16:00:00Z"), 120),
            utc("2026-03-30T08:00:00Z")
        );
        // A full Monday after the change is still nine hours.
        assert_eq!(
            berlin
                .business_minutes_between(utc("2026-03-30T00:00:00Z"), utc("2026-03-31T00:00:00Z")),
            540
        );
    }

    #[test]
    fn clocks_turn_amber_in_the_last_quarter_and_red_when_late() {
        let start = cst(2026, 11, 23, 9, 0);
        let due = cst(2026, 11, 23, 13, 0);
        assert_eq!(sla_state(start, due, cst(2026, 11, 23, 11, 0)), SlaState::OnTrack);
        assert_eq!(sla_state(start, due, cst(2026, 11, 23, 12, 30)), SlaState::AtRisk);
        assert_eq!(sla_state(start, due, due), SlaState::Breached);
    }

    #[test]
    fn a_ticket_needs_a_customer_and_a_subject() {
        let error = TicketInput::default().validate().unwrap_err();
        let errors = error.field_errors().unwrap();
        assert_eq!(errors.get("customer_id"), &[FieldError::Required]);
        assert_eq!(errors.get("subject"), &[FieldError::Required]);
        let calendar = BusinessCalendar { work_days: vec![], ..Default::default() };
        assert!(calendar.validate().is_err());
    }
}

/// An email from an address that is no customer's, waiting for an agent to triage it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundEmail {
    pub id: i64,
    pub from_address: String,
    pub from_name: Option<String>,
    pub subject: String,
    pub body: String,
    pub received_at: DateTime<Utc>,
    /// The files it came with, which the ticket opened from it keeps.
    pub file_names: Vec<String>,
}
