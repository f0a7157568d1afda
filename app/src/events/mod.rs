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

/// The page's feed of server events, provided by the app shell.
#[derive(Copy, Clone)]
pub struct ServerEvents {
    last: RwSignal<Option<ClientEvent>>,
}

impl ServerEvents {
    pub fn provide() -> Self {
        let events = ServerEvents { last: RwSignal::new(None) };
        provide_context(events);
        events
    }

    /// The most recent event, for views that care about ids.
    pub fn last(self) -> ReadSignal<Option<ClientEvent>> {
        self.last.read_only()
    }

    /// A value that changes whenever an event of `topic` (or a resync) arrives: use it as a
    /// resource source to refetch on change.
    pub fn changes(self, topic: Topic) -> Memo<u64> {
        let last = self.last;
        Memo::new(move |previous: Option<&u64>| match last.get() {
            Some(event) if event.topic == topic || event.topic == Topic::Resync => event.seq,
            _ => previous.copied().unwrap_or(0),
        })
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub(crate) fn push(self, event: ClientEvent) {
        self.last.set(Some(event));
    }
}

/// The feed provided by the shell; outside it, a feed that never fires.
pub fn use_server_events() -> ServerEvents {
    use_context::<ServerEvents>().unwrap_or_else(|| ServerEvents { last: RwSignal::new(None) })
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
