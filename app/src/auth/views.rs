//! The signed-in user as the client knows it, and the names of roles and scopes.

use super::{
    api::get_current_user,
    model::{CurrentUser, Role, ScopeKind},
};
use crate::{error::AppError, i18n::AuthText};
use leptos::prelude::*;

/// The signed-in user of this page, loaded once and refetched after signing in.
#[derive(Copy, Clone)]
pub struct AuthSession {
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
}

impl AuthSession {
    pub fn provide() -> Self {
        let session = AuthSession { user: Resource::new(|| (), |_| get_current_user()) };
        provide_context(session);
        session
    }

    /// The user once loaded, else `None` (signed out, or still loading).
    pub fn current(self) -> Option<CurrentUser> {
        self.user.get().and_then(Result::ok).flatten()
    }
}

pub fn use_auth_session() -> AuthSession {
    expect_context::<AuthSession>()
}

/// The translated name of a role.
pub fn role_label(role: Role) -> AuthText {
    match role {
        Role::Admin => AuthText::RoleAdmin,
        Role::Manager => AuthText::RoleManager,
        Role::Member => AuthText::RoleMember,
    }
}

/// The translated name of a data scope.
pub fn scope_label(scope: ScopeKind) -> AuthText {
    match scope {
        ScopeKind::Own => AuthText::ScopeOwn,
        ScopeKind::Team => AuthText::ScopeTeam,
        ScopeKind::All => AuthText::ScopeAll,
    }
}
