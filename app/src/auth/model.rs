//! Users, roles and data scopes as both sides of the wire see them, with the pure validation rules.

use crate::{enums::text_enum, error::FieldError, i18n::Locale};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The shortest password we accept, in characters (not bytes: Chinese passphrases count fairly).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest accepted password; argon2 cost grows with input and nobody types more.
pub const MAX_PASSWORD_CHARS: usize = 256;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
#[allow(unused_imports)] // for the id types of later domains
pub(crate) use id_type;

id_type!(
    /// A user account.
    UserId
);
id_type!(
    /// A team of users; the unit of the "team" data scope.
    TeamId
);

/// What a user may do. Ordered: an admin may do all a manager may, a manager all a member may.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Manager,
    Admin,
}

// Listed from the most to the least allowed, as the role menus show them.
text_enum!(Role { Admin => "admin", Manager => "manager", Member => "member" });

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Member => 0,
            Role::Manager => 1,
            Role::Admin => 2,
        }
    }

    /// Whether this role includes everything `required` may do.
    pub fn includes(self, required: Role) -> bool {
        self.rank() >= required.rank()
    }
}

/// Which records of other people a role can see: set per role by an admin.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    /// Only records the user owns.
    Own,
    /// Records owned by anyone in the user's team.
    Team,
    /// Every record.
    All,
}

text_enum!(ScopeKind { Own => "own", Team => "team", All => "all" });

/// The signed-in user as the UI needs them. Carries no secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub locale: Locale,
    pub scope: ScopeKind,
    /// An admin reset the password: the user must choose a new one before anything else.
    #[serde(default)]
    pub must_change_password: bool,
}

/// One signed-in browser of the current user, for "sign out my other sessions".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: uuid::Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub client_ip: Option<String>,
    pub is_current: bool,
}

/// Trims and lower-cases an email so that lookups and uniqueness ignore case.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// A plausible address: one `@`, something before it, a dotted domain after it, no spaces.
pub fn validate_email(raw: &str) -> Result<String, FieldError> {
    let email = normalize_email(raw);
    if email.is_empty() {
        return Err(FieldError::Required);
    }
    if email.len() > 254 {
        return Err(FieldError::TooLong { max: 254 });
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(FieldError::InvalidEmail);
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@');
    if local.is_empty() || !domain_ok || email.chars().any(char::is_whitespace) {
        return Err(FieldError::InvalidEmail);
    }
    Ok(email)
}

/// The password rule: at least `MIN_PASSWORD_CHARS` characters, and a sane upper bound.
pub fn validate_new_password(password: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(FieldError::PasswordTooShort { min: MIN_PASSWORD_CHARS as u32 });
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(FieldError::TooLong { max: MAX_PASSWORD_CHARS as u32 });
    }
    Ok(())
}

/// A display name: required, at most 100 characters after trimming.
pub fn validate_display_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::Required);
    }
    if name.chars().count() > 100 {
        return Err(FieldError::TooLong { max: 100 });
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_roles_below_them() {
        assert!(Role::Admin.includes(Role::Manager));
        assert!(Role::Manager.includes(Role::Member));
        assert!(Role::Member.includes(Role::Member));
        assert!(!Role::Member.includes(Role::Manager));
        assert!(!Role::Manager.includes(Role::Admin));
    }

    #[test]
    fn role_and_scope_names_round_trip() {
        for &role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        for &scope in ScopeKind::ALL {
            assert_eq!(ScopeKind::parse(scope.as_str()), Ok(scope));
        }
        assert_eq!(Role::parse("root"), Err(FieldError::InvalidChoice));
    }

    #[test]
    fn passwords_are_counted_in_characters() {
        assert_eq!(
            validate_new_password("short-pass1"),
            Err(FieldError::PasswordTooShort { min: 12 })
        );
        assert_eq!(validate_new_password("twelve-chars"), Ok(()));
        // Twelve Chinese characters are 36 bytes but still exactly twelve characters.
        assert_eq!(validate_new_password("关系管理系统的安全密码好"), Ok(()));
        assert_eq!(
            validate_new_password("关系管理系统的安全密码"),
            Err(FieldError::PasswordTooShort { min: 12 })
        );
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(validate_email("  Li.Wei@Example.COM "), Ok("li.wei@example.com".into()));
        assert_eq!(validate_email(""), Err(FieldError::Required));
        for bad in ["no-at-sign", "@example.com", "a@nodot", "a@b.c@d.e", "a b@c.de", "a@.com"] {
            assert_eq!(validate_email(bad), Err(FieldError::InvalidEmail), "{bad}");
        }
    }
}
