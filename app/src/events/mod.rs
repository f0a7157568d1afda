//! Change events other users must see, carried between server processes by Postgres
//! LISTEN/NOTIFY and to browsers by server-sent events.
//!
//! A write publishes a small event (topic and id, never the record) inside its transaction, so it
//! is delivered only if the write commits. Every server process listens and forwards events to
//! its connected browsers whose user may see them; the page then refetches what changed through
//! its ordinary, permission-checked server functions.

#[cfg(feature = "hydrate")]
mod client;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
pub use client::connect_server_events;
#[cfg(feature = "ssr")]
pub use server::{EventBus, publish};

use crate::auth::model::{CurrentUser, Role, ScopeKind, TeamId, UserId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What changed. Domains add their topics here.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// A job was queued, progressed or finished.
    Job,
    /// A user account changed (role, team, active).
    User,
    /// A customer or something on its 360 page changed (orders, interactions, merges).
    Customer,
    /// An import progressed or finished.
    Import,
    /// An opportunity was created, edited or moved (the board moves its card).
    Opportunity,
    /// A lead arrived or changed.
    Lead,
    /// A task was created, changed or fell due (its assignee is reminded).
    Task,
    /// A ticket was opened, claimed, assigned, answered or changed status.
    Ticket,
    /// A survey changed, was sent, or got an answer.
    Survey,
    /// A user's notifications changed (a new one, some read): their bell recounts.
    Notification,
    /// Events may have been missed (a reconnect): every view should refetch.
    Resync,
}

/// Who may receive an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audience {
    /// Users whose role includes this one.
    RoleAtLeast(Role),
    /// These users, and anyone whose role includes `or_role`.
    Users { ids: Vec<UserId>, or_role: Role },
    /// These users and no one else, whatever their role (their own notifications).
    Only(Vec<UserId>),
    /// Whoever may see a record with this owner under their data scope.
    OwnedBy { owner: Option<UserId>, owner_team: Option<TeamId> },
}

impl Audience {
    pub fn admits(&self, user: &CurrentUser) -> bool {
        match self {
            Audience::RoleAtLeast(role) => user.role.includes(*role),
            Audience::Users { ids, or_role } => {
                ids.contains(&user.id) || user.role.includes(*or_role)
            }
            Audience::Only(ids) => ids.contains(&user.id),
            Audience::OwnedBy { owner, owner_team } => match user.scope {
                ScopeKind::All => true,
                ScopeKind::Own => *owner == Some(user.id),
                ScopeKind::Team => {
                    *owner == Some(user.id) || (owner_team.is_some() && *owner_team == user.team_id)
                }
            },
        }
    }
}

/// An event as published between processes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerEvent {
    pub topic: Topic,
    pub id: i64,
    pub audience: Audience,
}

/// An event as a browser receives it: no audience, plus a local sequence number so that two
/// events with the same topic and id still count as two changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientEvent {
    pub topic: Topic,
    pub id: i64,
    #[serde(default)]
    pub seq: u64,
}

/// The least time between two refreshes one topic causes on a page. Under a stream of writes by
/// others a list refetches at most once per interval instead of once per event, so it settles
/// instead of staying on "loading" while identical requests pile up.
pub const REFRESH_INTERVAL_MS: f64 = 1000.0;

/// How long a refresh waits for the rest of a burst: one write publishes several events at its
/// commit (an interaction is also a timeline entry and a customer change), which must make one
/// refresh, not one now and another a second later under a form the user has started filling.
pub const SETTLE_MS: f64 = 150.0;

/// Turns one topic's events into refreshes: an event after a quiet interval refreshes once the
/// burst has settled; events that follow within the interval are merged into one refresh at its
/// end, so nothing is missed and nothing is fetched twice.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Coalescer {
    last_refresh: Option<f64>,
    pending: bool,
}

/// What to do about an event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Refresh {
    /// Refresh after this many milliseconds (then call `Coalescer::refreshed`).
    After(f64),
    /// A refresh is already scheduled and will include this event.
    AlreadyScheduled,
}

impl Coalescer {
    pub fn on_event(&mut self, now_ms: f64) -> Refresh {
        if self.pending {
            return Refresh::AlreadyScheduled;
        }
        self.pending = true;
        let interval_left = self.last_refresh.map_or(0.0, |at| at + REFRESH_INTERVAL_MS - now_ms);
        Refresh::After(interval_left.max(SETTLE_MS))
    }

    /// A scheduled refresh happened.
    pub fn refreshed(&mut self, now_ms: f64) {
        self.pending = false;
        self.last_refresh = Some(now_ms);
    }
}

/// The page's feed of server events, provided by the app shell.
#[derive(Copy, Clone)]
pub struct ServerEvents {
    last: RwSignal<Option<ClientEvent>>,
    /// How many refreshes each topic has caused.
    refreshes: RwSignal<HashMap<Topic, u64>>,
    coalescers: StoredValue<HashMap<Topic, Coalescer>>,
}

impl ServerEvents {
    fn new() -> Self {
        ServerEvents {
            last: RwSignal::new(None),
            refreshes: RwSignal::new(HashMap::new()),
            coalescers: StoredValue::new(HashMap::new()),
        }
    }

    pub fn provide() -> Self {
        let events = ServerEvents::new();
        provide_context(events);
        events
    }

    /// The most recent event, as it arrived, for views that care about ids.
    pub fn last(self) -> ReadSignal<Option<ClientEvent>> {
        self.last.read_only()
    }

    /// A value that changes when `topic` (or a resync) calls for a refresh: use it as a resource
    /// source to refetch on change. Bursts of events are coalesced (see `Coalescer`).
    pub fn changes(self, topic: Topic) -> Memo<u64> {
        let refreshes = self.refreshes;
        Memo::new(move |_| {
            refreshes.with(|counts| {
                let count = |t| counts.get(&t).copied().unwrap_or(0);
                if topic == Topic::Resync {
                    count(Topic::Resync)
                } else {
                    count(topic) + count(Topic::Resync)
                }
            })
        })
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub(crate) fn push(self, event: ClientEvent) {
        let topic = event.topic;
        self.last.set(Some(event));
        let now = now_ms();
        match self.coalescers.try_update_value(|c| c.entry(topic).or_default().on_event(now)) {
            Some(Refresh::After(wait)) => set_timeout(
                move || {
                    self.coalescers
                        .try_update_value(|c| c.entry(topic).or_default().refreshed(now_ms()));
                    self.refresh(topic);
                },
                std::time::Duration::from_millis(wait.ceil() as u64),
            ),
            Some(Refresh::AlreadyScheduled) | None => {}
        }
    }

    fn refresh(self, topic: Topic) {
        self.refreshes.try_update(|counts| *counts.entry(topic).or_default() += 1);
    }
}

#[cfg(feature = "hydrate")]
fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[cfg(not(feature = "hydrate"))]
fn now_ms() -> f64 {
    0.0
}

/// The feed provided by the shell; outside it, a feed that never fires.
pub fn use_server_events() -> ServerEvents {
    use_context::<ServerEvents>().unwrap_or_else(ServerEvents::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    fn user(id: i64, role: Role) -> CurrentUser {
        CurrentUser {
            must_change_password: false,
            id: UserId(id),
            email: format!("u{id}@example.com"),
            display_name: format!("U{id}"),
            role,
            team_id: None,
            team_name: None,
            locale: Locale::En,
            scope: ScopeKind::Own,
        }
    }

    #[test]
    fn a_burst_of_events_makes_one_refresh_once_settled_and_one_at_the_end_of_the_interval() {
        let mut coalescer = Coalescer::default();
        assert_eq!(coalescer.on_event(0.0), Refresh::After(SETTLE_MS), "a write's events settle");
        assert_eq!(coalescer.on_event(5.0), Refresh::AlreadyScheduled, "the same commit's events");
        coalescer.refreshed(150.0);
        assert_eq!(coalescer.on_event(300.0), Refresh::After(850.0), "within the interval");
        for at in (350..1150).step_by(50) {
            assert_eq!(coalescer.on_event(at as f64), Refresh::AlreadyScheduled);
        }
        coalescer.refreshed(1150.0);
        assert_eq!(
            coalescer.on_event(2000.0),
            Refresh::After(SETTLE_MS),
            "near the interval's end"
        );
        coalescer.refreshed(2150.0);
        assert_eq!(coalescer.on_event(5000.0), Refresh::After(SETTLE_MS), "after a quiet spell");
    }

    #[test]
    fn audiences_admit_by_role_or_listed_id() {
        let admins = Audience::RoleAtLeast(Role::Admin);
        assert!(admins.admits(&user(1, Role::Admin)));
        assert!(!admins.admits(&user(1, Role::Manager)));
        let creator = Audience::Users { ids: vec![UserId(5)], or_role: Role::Admin };
        assert!(creator.admits(&user(5, Role::Member)));
        assert!(!creator.admits(&user(6, Role::Member)));
        assert!(creator.admits(&user(6, Role::Admin)));
    }

    #[test]
    fn owned_records_reach_only_those_whose_scope_covers_the_owner() {
        let audience = Audience::OwnedBy { owner: Some(UserId(5)), owner_team: Some(TeamId(1)) };
        let mut owner = user(5, Role::Member);
        assert!(audience.admits(&owner));
        owner.id = UserId(6);
        assert!(!audience.admits(&owner), "own scope, someone else's record");
        let mut teammate = user(6, Role::Manager);
        teammate.scope = ScopeKind::Team;
        teammate.team_id = Some(TeamId(1));
        assert!(audience.admits(&teammate));
        teammate.team_id = Some(TeamId(2));
        assert!(!audience.admits(&teammate));
        let mut admin = user(7, Role::Admin);
        admin.scope = ScopeKind::All;
        assert!(audience.admits(&admin));
    }
}
