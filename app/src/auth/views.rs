//! The signed-in user as the client knows it, and the names of roles and scopes.

use super::model::{CurrentUser, Role, ScopeKind};
use crate::i18n::AuthText;
use leptos::prelude::*;

/// The signed-in user of this page. The server knows it from the request before rendering and
/// hands it to the browser inside the page, so the frame and the page are drawn at once: no
/// `<Suspense>` around the frame. (Under one, the server resolves a view in three passes and
/// builds the frame, the page and every resource the page creates once per pass.)
#[derive(Copy, Clone)]
pub struct AuthSession {
    user: RwSignal<Option<CurrentUser>>,
}

impl AuthSession {
    pub fn provide() -> Self {
        let known = SharedValue::new(user_of_this_request);
        let session = AuthSession { user: RwSignal::new(known.into_inner()) };
        provide_context(session);
        session
    }

    /// The signed-in user, or `None` when signed out.
    pub fn current(self) -> Option<CurrentUser> {
        self.user.get()
    }

    /// After signing in: the user the server answered with.
    pub fn signed_in(self, user: CurrentUser) {
        self.user.set(Some(user));
    }
}

/// On the server, the user the request's session belongs to; in the browser this is only called
/// when the page was not rendered by the server, which it always is.
fn user_of_this_request() -> Option<CurrentUser> {
    #[cfg(feature = "ssr")]
    {
        super::server::request_context_if_any()?.user.map(|caller| caller.user.clone())
    }
    #[cfg(not(feature = "ssr"))]
    None
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
