//! Notifications as both sides of the wire see them.

use crate::{
    enums::text_enum,
    i18n::{Locale, NotifyText, Text, fill},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    LeadAssigned,
    CustomerAssigned,
    OpportunityAssigned,
    TicketAssigned,
    TaskAssigned,
    TaskDue,
    TicketBreaching,
    TicketBreached,
    DetractorFollowUp,
    Mention,
}
text_enum!(NotificationKind {
    LeadAssigned => "lead_assigned", CustomerAssigned => "customer_assigned",
    OpportunityAssigned => "opportunity_assigned", TicketAssigned => "ticket_assigned",
    TaskAssigned => "task_assigned", TaskDue => "task_due", TicketBreaching => "ticket_breaching",
    TicketBreached => "ticket_breached", DetractorFollowUp => "detractor_follow_up",
    Mention => "mention",
});

impl NotificationKind {
    /// Where a user who never chose gets it: everything reaches them by email as well, since a
    /// notification matters most when no Guanxi tab is open.
    pub fn default_channel(self) -> Channel {
        Channel::Email
    }
}

/// How a user wants a kind of notification.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Under the bell only.
    InApp,
    /// Under the bell and by email.
    #[default]
    Email,
    Off,
}
text_enum!(Channel { InApp => "in_app", Email => "email", Off => "off" });

/// The record a notification opens.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    Customer,
    Lead,
    Opportunity,
    Ticket,
    Task,
}
text_enum!(EntityType {
    Customer => "customer", Lead => "lead", Opportunity => "opportunity", Ticket => "ticket",
    Task => "task",
});

impl EntityType {
    /// The page that shows the record.
    pub fn href(self, id: i64) -> String {
        match self {
            EntityType::Customer => format!("/customers/{id}"),
            EntityType::Lead => format!("/leads/{id}"),
            EntityType::Opportunity => format!("/opportunities/{id}"),
            EntityType::Ticket => format!("/tickets/{id}"),
            EntityType::Task => "/tasks".to_owned(),
        }
    }
}

/// A notification as the bell lists it. `title` is the record's name; `actor` who caused it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: i64,
    pub kind: NotificationKind,
    pub entity_type: EntityType,
    pub entity_id: i64,
    pub title: String,
    pub actor: Option<String>,
    /// A mention's words, a due time as text: what the kind's sentence shows besides the title.
    pub excerpt: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

impl Notification {
    /// The page that opens the record.
    pub fn href(&self) -> String {
        self.entity_type.href(self.entity_id)
    }

    /// The sentence that says what happened, in `locale`.
    pub fn sentence(&self, locale: Locale) -> String {
        let actor =
            self.actor.clone().unwrap_or_else(|| NotifyText::Someone.text(locale).to_owned());
        let excerpt = self.excerpt.clone().unwrap_or_default();
        fill(
            kind_sentence(self.kind).text(locale),
            &[("actor", &actor), ("title", &self.title), ("excerpt", &excerpt)],
        )
    }
}

fn kind_sentence(kind: NotificationKind) -> NotifyText {
    match kind {
        NotificationKind::LeadAssigned => NotifyText::LeadAssigned,
        NotificationKind::CustomerAssigned => NotifyText::CustomerAssigned,
        NotificationKind::OpportunityAssigned => NotifyText::OpportunityAssigned,
        NotificationKind::TicketAssigned => NotifyText::TicketAssigned,
        NotificationKind::TaskAssigned => NotifyText::TaskAssigned,
        NotificationKind::TaskDue => NotifyText::TaskDue,
        NotificationKind::TicketBreaching => NotifyText::TicketBreaching,
        NotificationKind::TicketBreached => NotifyText::TicketBreached,
        NotificationKind::DetractorFollowUp => NotifyText::DetractorFollowUp,
        NotificationKind::Mention => NotifyText::Mention,
    }
}

/// The name of a kind in the preferences table.
pub fn kind_label(kind: NotificationKind) -> NotifyText {
    match kind {
        NotificationKind::LeadAssigned => NotifyText::KindLeadAssigned,
        NotificationKind::CustomerAssigned => NotifyText::KindCustomerAssigned,
        NotificationKind::OpportunityAssigned => NotifyText::KindOpportunityAssigned,
        NotificationKind::TicketAssigned => NotifyText::KindTicketAssigned,
        NotificationKind::TaskAssigned => NotifyText::KindTaskAssigned,
        NotificationKind::TaskDue => NotifyText::KindTaskDue,
        NotificationKind::TicketBreaching => NotifyText::KindTicketBreaching,
        NotificationKind::TicketBreached => NotifyText::KindTicketBreached,
        NotificationKind::DetractorFollowUp => NotifyText::KindDetractorFollowUp,
        NotificationKind::Mention => NotifyText::KindMention,
    }
}

/// The bell's contents: the newest notifications and how many are unread in all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    pub items: Vec<Notification>,
    pub unread: i64,
    /// Where the next page starts (older notifications), if there are more.
    pub next: Option<i64>,
}

/// A user's choices: a channel per kind, and whether emails come as one daily digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    pub channels: Vec<(NotificationKind, Channel)>,
    pub digest: bool,
}

/// The `@name` mentions in `text` among `names` (display names of active users), each once.
/// Longer names are matched first, so `@王小明` does not also mention a user called 王小.
pub fn mentioned<'a>(text: &str, names: &'a [String]) -> Vec<&'a str> {
    let mut by_length: Vec<&String> = names.iter().filter(|n| !n.trim().is_empty()).collect();
    by_length.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    let mut rest = text.to_owned();
    let mut found = Vec::new();
    for name in by_length {
        let marker = format!("@{name}");
        if rest.contains(&marker) {
            found.push(name.as_str());
            rest = rest.replace(&marker, " ");
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_match_the_longest_name_and_each_person_once() {
        let names = vec!["王小".to_owned(), "王小明".to_owned(), "emily.chen".to_owned()];
        assert_eq!(mentioned("请 @王小明 看一下，@王小明 谢谢", &names), ["王小明"]);
        assert_eq!(mentioned("@王小 and @emily.chen", &names), ["emily.chen", "王小"]);
        assert!(mentioned("no one here, email@王 x", &names).is_empty());
    }

    #[test]
    fn a_lead_opens_its_own_page() {
        let lead = Notification {
            id: 1,
            kind: NotificationKind::LeadAssigned,
            entity_type: EntityType::Lead,
            entity_id: 7,
            title: "陈 & Co".to_owned(),
            actor: None,
            excerpt: None,
            created_at: Utc::now(),
            read: false,
        };
        assert_eq!(lead.href(), "/leads/7");
        assert_eq!(lead.sentence(Locale::En), "Guanxi assigned you the lead “陈 & Co”");
    }

    #[test]
    fn kinds_and_channels_round_trip_through_their_stored_names() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Ok(*kind));
        }
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Ok(*channel));
        }
    }
}
