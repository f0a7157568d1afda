//! Server side of authentication: who is calling, the role guard, data scopes, password hashing.

use super::model::{CurrentUser, Role, ScopeKind, TeamId, UserId};
use super::repo;
use crate::{error::AppError, i18n::Locale};
use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use std::{net::IpAddr, sync::Arc, sync::OnceLock};
use uuid::Uuid;

/// Key under which the tower-sessions session stores the id of our `user_session` row.
pub const SESSION_KEY: &str = "guanxi.user_session";
/// Cookie that remembers the language chosen before signing in.
pub const LOCALE_COOKIE: &str = "guanxi_locale";

/// What the server's middleware resolved for this request, once, before any handler runs.
/// Server functions read it through [`request_context`].
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub user: Option<Arc<Authenticated>>,
    pub locale: Locale,
    pub client_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The company's time zone, in which the page shows times.
    pub time_zone: chrono_tz::Tz,
    /// What this request's server functions loaded that the others may reuse.
    pub memo: Arc<crate::memo::RequestMemo>,
}

/// A signed-in caller: the user, their session row and the records they may see.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub user: CurrentUser,
    pub session_id: Uuid,
    pub scope: DataScope,
    pub client_ip: Option<IpAddr>,
}

impl Authenticated {
    pub fn id(&self) -> UserId {
        self.user.id
    }

    pub fn role(&self) -> Role {
        self.user.role
    }

    /// The author of audit entries written on this caller's behalf.
    pub fn actor(&self) -> Actor {
        Actor { user_id: Some(self.user.id), client_ip: self.client_ip }
    }
}

/// Who an audited change is attributed to.
#[derive(Copy, Clone, Debug, Default)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub client_ip: Option<IpAddr>,
}

impl Actor {
    /// Changes made by the system itself (jobs, start-up seeding).
    pub fn system() -> Self {
        Self::default()
    }
}

/// The rows of other people a caller may see, resolved from their role's configured scope.
///
/// Every list and fetch of an owned table binds [`DataScope::visible_owners`] as a `bigint[]`
/// parameter and filters with `($n::bigint[] is null or owner_id = any($n))`, so the rule lives in
/// the SQL and a changed id in a request cannot reach a record outside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataScope {
    pub kind: ScopeKind,
    pub user_id: UserId,
    pub team_id: Option<TeamId>,
    /// Everyone in the caller's team (the caller included); empty unless the scope is `Team`.
    pub team_member_ids: Vec<i64>,
}

impl DataScope {
    /// Owner ids whose records are visible, or `None` when every record is.
    pub fn visible_owners(&self) -> Option<Vec<i64>> {
        match self.kind {
            ScopeKind::All => None,
            ScopeKind::Team if !self.team_member_ids.is_empty() => {
                Some(self.team_member_ids.clone())
            }
            // A "team" scope without a team sees only what the user owns.
            ScopeKind::Team | ScopeKind::Own => Some(vec![self.user_id.0]),
        }
    }

    /// Whether a record owned by `owner` is visible: the in-memory twin of the SQL filter, for
    /// checks on records that were already loaded (e.g. the new owner of a reassignment).
    pub fn can_see_owner(&self, owner: Option<UserId>) -> bool {
        match self.visible_owners() {
            None => true,
            Some(ids) => owner.is_some_and(|o| ids.contains(&o.0)),
        }
    }
}

/// This request's context, as resolved by the server's middleware.
///
/// Errors: `Internal` when called outside a request (a wiring bug).
pub fn request_context() -> Result<RequestContext, AppError> {
    request_context_if_any()
        .ok_or_else(|| AppError::internal("request context missing: middleware not installed"))
}

/// This request's context, or `None` when rendering outside a request: the router renders the
/// app once at start-up to list its routes, and that is no error.
pub fn request_context_if_any() -> Option<RequestContext> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestContext>().cloned())
}

/// `load`'s answer, once per request when there is one (a server function called by the
/// browser, a page rendered on the server: see [`crate::memo`]); outside a request (jobs, tests
/// calling services directly) it simply loads.
pub async fn once_per_request<T, F, Fut>(key: String, load: F) -> Result<T, AppError>
where
    T: Clone + Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    match request_context_if_any() {
        Some(context) => context.memo.get_or_load(key, load).await,
        None => load().await,
    }
}

/// The guard every server function calls first: the signed-in caller, if their role includes
/// `required` and they are not due to replace a password an admin reset.
///
/// Errors: `Unauthorized` without a valid session, `Forbidden` when the role is too low,
/// `PasswordChangeRequired`.
pub fn require(required: Role) -> Result<Arc<Authenticated>, AppError> {
    let caller = require_even_before_password_change(required)?;
    if caller.user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(caller)
}

/// `require` for the few functions a user needs to replace a reset password (change it, see
/// and end their sessions).
///
/// Errors: `Unauthorized`, `Forbidden`.
pub fn require_even_before_password_change(required: Role) -> Result<Arc<Authenticated>, AppError> {
    let caller = request_context()?.user.ok_or(AppError::Unauthorized)?;
    if caller.role().includes(required) { Ok(caller) } else { Err(AppError::Forbidden) }
}

/// Resolves the session's user, refreshing its last-seen time. `None` when the session row is
/// gone (signed out elsewhere), past its absolute expiry, idle for longer than `idle`, or the
/// account is inactive.
pub async fn authenticate(
    pool: &sqlx::PgPool,
    session_id: Uuid,
    client_ip: Option<IpAddr>,
    idle: chrono::Duration,
) -> Result<Option<Authenticated>, AppError> {
    Ok(repo::load_session_user(pool, session_id, idle).await?.map(|loaded| Authenticated {
        scope: DataScope {
            kind: loaded.user.scope,
            user_id: loaded.user.id,
            team_id: loaded.user.team_id,
            team_member_ids: loaded.team_member_ids,
        },
        user: loaded.user,
        session_id,
        client_ip,
    }))
}

/// The data scope a user has now, for work done on their behalf outside a request (an
/// import running as a job sees what its creator may see).
pub async fn scope_of_user(pool: &sqlx::PgPool, user_id: UserId) -> Result<DataScope, AppError> {
    let user = repo::load_user(pool, user_id).await?;
    let team_member_ids = match (user.scope, user.team_id) {
        (ScopeKind::Team, Some(team)) => {
            sqlx::query_scalar!("select id from app_user where team_id = $1 order by id", team.0)
                .fetch_all(pool)
                .await?
        }
        _ => Vec::new(),
    };
    Ok(DataScope { kind: user.scope, user_id, team_id: user.team_id, team_member_ids })
}

/// Hashes a password with argon2id and a fresh salt, off the async threads.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::internal(format_args!("hashing password: {e}")))
    })
    .await
    .map_err(|e| AppError::internal(format_args!("hashing task: {e}")))?
}

/// Checks a password against a stored hash. With no hash (unknown account) it still spends the
/// time of a real check, so response times do not reveal which emails exist.
pub async fn verify_password(password: String, stored_hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || verify_blocking(&password, stored_hash))
        .await
        .unwrap_or(false)
}

/// `verify_password` holding a turn of the sign-in guard until the check itself ends, even
/// when the request that asked for it is gone.
pub async fn verify_password_in_turn(
    turn: tokio::sync::OwnedSemaphorePermit,
    password: String,
    stored_hash: Option<String>,
) -> bool {
    tokio::task::spawn_blocking(move || {
        let matched = verify_blocking(&password, stored_hash);
        drop(turn);
        matched
    })
    .await
    .unwrap_or(false)
}

fn verify_blocking(password: &str, stored_hash: Option<String>) -> bool {
    let is_real = stored_hash.is_some();
    let hash = stored_hash.unwrap_or_else(|| dummy_hash().to_owned());
    let Ok(parsed) = PasswordHash::new(&hash) else { return false };
    let matched = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
    is_real && matched
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(Uuid::new_v4().to_string().as_bytes(), &salt)
            .expect("argon2 hashes a uuid")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(kind: ScopeKind, team: Vec<i64>) -> DataScope {
        DataScope { kind, user_id: UserId(7), team_id: Some(TeamId(1)), team_member_ids: team }
    }

    #[test]
    fn visible_owners_follow_the_scope_kind() {
        assert_eq!(scope(ScopeKind::All, vec![]).visible_owners(), None);
        assert_eq!(scope(ScopeKind::Own, vec![7, 8]).visible_owners(), Some(vec![7]));
        assert_eq!(scope(ScopeKind::Team, vec![7, 8]).visible_owners(), Some(vec![7, 8]));
        assert_eq!(scope(ScopeKind::Team, vec![]).visible_owners(), Some(vec![7]));
    }

    #[test]
    fn can_see_owner_matches_visible_owners() {
        let team = scope(ScopeKind::Team, vec![7, 8]);
        assert!(team.can_see_owner(Some(UserId(8))));
        assert!(!team.can_see_owner(Some(UserId(9))));
        assert!(!team.can_see_owner(None));
        assert!(scope(ScopeKind::All, vec![]).can_see_owner(None));
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), Some(hash.clone())).await);
        assert!(!verify_password("wrong horse battery".into(), Some(hash)).await);
        assert!(!verify_password("anything at all".into(), None).await);
    }
}
