//! Accounts and teams as the admin pages see them.

use crate::{
    auth::model::{
        Role, ScopeKind, TeamId, UserId, validate_display_name, validate_email,
        validate_new_password,
    },
    error::{AppError, FieldError, FieldErrors},
    i18n::Locale,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An account in the admin list. No password material.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub active: bool,
    pub locale: Locale,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

/// Filters of the user list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFilter {
    /// Matches a fragment of the email or display name.
    pub search: Option<String>,
    pub role: Option<Role>,
    pub team_id: Option<TeamId>,
    pub active: Option<bool>,
}

/// The create-user form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Option<Role>,
    pub team_id: Option<TeamId>,
    pub password: String,
}

/// A new user after validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidNewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub password: String,
}

impl NewUser {
    /// Checks every field, reporting all problems at once.
    pub fn validate(self) -> Result<ValidNewUser, AppError> {
        let mut errors = FieldErrors::new();
        let email = errors.check("email", validate_email(&self.email));
        let display_name = errors.check("display_name", validate_display_name(&self.display_name));
        let role = errors.check("role", self.role.ok_or(FieldError::Required));
        errors.check("password", validate_new_password(&self.password));
        errors.into_result()?;
        Ok(ValidNewUser {
            email: email.unwrap_or_default(),
            display_name: display_name.unwrap_or_default(),
            role: role.unwrap_or(Role::Member),
            team_id: self.team_id,
            password: self.password,
        })
    }
}

/// The edit-user form. `version` is the one the editor loaded: a stale one is a conflict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdate {
    pub id: UserId,
    pub version: i32,
    pub display_name: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
}

/// A team with its head count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSummary {
    pub id: TeamId,
    pub name: String,
    pub member_count: i64,
    pub version: i32,
}

/// A team name: required, at most 80 characters.
pub fn validate_team_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::Required);
    }
    if name.chars().count() > 80 {
        return Err(FieldError::TooLong { max: 80 });
    }
    Ok(name.to_owned())
}

/// The data scope configured for one role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleScope {
    pub role: Role,
    pub scope: ScopeKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_user_reports_every_bad_field() {
        let error = NewUser {
            email: "not-an-email".into(),
            display_name: "  ".into(),
            role: None,
            team_id: None,
            password: "short".into(),
        }
        .validate()
        .unwrap_err();
        let fields = error.field_errors().unwrap();
        assert_eq!(fields.get("email"), &[FieldError::InvalidEmail]);
        assert_eq!(fields.get("display_name"), &[FieldError::Required]);
        assert_eq!(fields.get("role"), &[FieldError::Required]);
        assert_eq!(fields.get("password"), &[FieldError::PasswordTooShort { min: 12 }]);
    }

    #[test]
    fn valid_new_user_is_normalised() {
        let user = NewUser {
            email: " Zhang.Wei@Example.com".into(),
            display_name: " 张伟 ".into(),
            role: Some(Role::Manager),
            team_id: None,
            password: "a long enough one".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(user.email, "zhang.wei@example.com");
        assert_eq!(user.display_name, "张伟");
    }
}
