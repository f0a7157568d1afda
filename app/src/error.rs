//! The one error type that crosses the wire between server and client.
//!
//! Every server function returns `Result<T, AppError>`. Variants carry message *keys* and
//! parameters, never display text, so the client renders them in the reader's language. Internal
//! details (SQL errors, panics) are logged on the server with a short reference that the user
//! can quote; they never reach the browser.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why a single input field was refused. Translated by `i18n::field_error_text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldError {
    Required,
    TooLong {
        max: u32,
    },
    InvalidEmail,
    AlreadyTaken,
    PasswordTooShort {
        min: u32,
    },
    PasswordsDiffer,
    WrongCurrentPassword,
    InvalidChoice,
    /// The server has no backup folder configured (`GUANXI_BACKUP_DIR`).
    BackupsNotConfigured,
    /// An id in the request points at nothing the caller may use (a deleted team, say).
    UnknownReference,
    /// An admin may not lock themselves out (deactivate or demote their own account).
    CannotChangeOwnAccess,
    /// A number outside the allowed range.
    OutOfRange {
        min: i64,
        max: i64,
    },
    InvalidNumber,
    InvalidPhone,
    InvalidDate,
    /// More items than allowed (tags, lines...).
    TooMany {
        max: u32,
    },
    /// The chosen owner is outside the caller's data scope: they could not see the record.
    OwnerOutOfScope,
    /// A list that needs at least one item (an order's lines).
    Empty,
    /// A product priced in another currency than the customer's orders.
    CurrencyMismatch,
    /// A date that cannot be in the future (an order's date).
    InFuture,
    /// A file that is not readable text in the chosen encoding, or not CSV.
    BadEncoding,
    /// Fewer items than needed (tiers...).
    TooFew {
        min: u32,
    },
    /// A tier rule that does not parse: where, and what was expected there.
    BadRule {
        position: u32,
        expected: String,
    },
    /// More points than the customer has.
    NotEnoughPoints {
        available: i64,
    },
    /// A pipeline needs exactly one won and one lost stage.
    FinalStages,
    /// A stage still holds opportunities, so it cannot be removed.
    StageInUse,
    /// An import row's customer matches nobody the importer may see.
    NoCustomerMatch,
    /// An import row's key matches several customers: which one is meant cannot be told.
    AmbiguousMatch {
        count: u32,
    },
    /// An import row names a product the catalogue does not have.
    UnknownProduct,
    /// Another line of the same order (that row of the file) was refused, so the order is not
    /// imported at all: a partial order would have the wrong total.
    SiblingRejected {
        row: u32,
    },
    /// The row disagrees with an earlier row of the same order (that row of the file).
    ConflictsWithRow {
        row: u32,
    },
    /// The value disagrees with what is stored for the matched record (another external id).
    Mismatch,
    /// A refund larger than what is left of the order to refund (the amount left, displayed).
    MoreThanRefundable {
        available: String,
    },
    /// A corrected order whose total would fall below what was already refunded (displayed).
    BelowRefunded {
        refunded: String,
    },
    /// The order was cancelled or fully refunded: it no longer changes.
    OrderClosed,
    /// Part of the order was refunded: the rest is refunded rather than the order cancelled.
    PartlyRefunded,
    /// A converted lead stays: its customer and opportunity carry on from it.
    ConvertedLead,
    /// A won or lost opportunity stays, as part of the results.
    ClosedOpportunity,
    /// A report of products cannot narrow to a value tier: the product summary keeps none.
    TierWithProducts,
    /// A template names a merge field that does not exist.
    UnknownMergeField,
}

/// Field name -> reasons. A `BTreeMap` keeps the wire format and test output stable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub BTreeMap<String, Vec<FieldError>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, error: FieldError) -> Self {
        let mut errors = Self::new();
        errors.add(field, error);
        errors
    }

    pub fn add(&mut self, field: &str, error: FieldError) {
        self.0.entry(field.to_owned()).or_default().push(error);
    }

    /// Records the error of a validation step, keeping the validated value when it passed.
    pub fn check<T>(&mut self, field: &str, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> &[FieldError] {
        self.0.get(field).map(Vec::as_slice).unwrap_or_default()
    }

    /// `Ok(())` when nothing was refused, otherwise the whole set as one error.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() { Ok(()) } else { Err(AppError::Validation(self)) }
    }
}

/// Errors every server function may return. See each function's doc for which ones it uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: signed out, expired, or the account was deactivated.
    #[error("sign-in required")]
    Unauthorized,
    /// Signed in, but the role does not allow this.
    #[error("not allowed")]
    Forbidden,
    /// An admin reset the caller's password; they must choose their own first.
    #[error("password change required")]
    PasswordChangeRequired,
    /// The record does not exist or is outside the caller's data scope; the two are
    /// deliberately indistinguishable.
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Validation(FieldErrors),
    /// Someone else saved the record since the caller loaded it (optimistic concurrency).
    #[error("edit conflict")]
    Conflict,
    /// Someone else saved the record since the caller loaded it, and the audit log says who and
    /// which fields: `fields` are the record's field keys (`amount_minor`, `due_at`, ...).
    #[error("changed meanwhile by {by}")]
    ChangedMeanwhile { by: String, fields: Vec<String> },
    #[error("wrong email or password")]
    BadCredentials,
    /// Too many failed sign-ins for this account or client address.
    #[error("too many attempts")]
    Throttled { retry_after_secs: u64 },
    /// The server cannot take this now (password checks all busy, database unreachable);
    /// nothing was changed, and the same request may be sent again after the wait.
    #[error("busy, retry in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    /// A cross-site or non-POST request reached a server function.
    #[error("request refused")]
    CrossSiteRefused,
    /// Something broke on the server; `reference` finds the log entry.
    #[error("internal error (ref {reference})")]
    Internal { reference: String },
    /// The request's body could not be read as this server function's arguments (wrong types,
    /// missing fields, not JSON, too large): nothing was done.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The request's body is larger than any valid call to this function needs.
    #[error("request over {max_bytes} bytes")]
    TooLarge { max_bytes: u64 },
    /// The request never completed: network down, server restarting, undecodable reply.
    #[error("transport error: {0}")]
    Transport(String),
    /// Someone else took the ticket first.
    #[error("already claimed by {by}")]
    AlreadyClaimed { by: String },
    /// A single-use link that was already used.
    #[error("link already used")]
    LinkUsed,
    /// A link past its expiry.
    #[error("link expired")]
    LinkExpired,
}

impl AppError {
    /// HTTP status for the response carrying this error.
    pub fn status_code(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Unauthorized | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::CrossSiteRefused | AppError::PasswordChangeRequired => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Conflict
            | AppError::ChangedMeanwhile { .. }
            | AppError::AlreadyClaimed { .. } => StatusCode::CONFLICT,
            AppError::LinkUsed | AppError::LinkExpired => StatusCode::GONE,
            AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal { .. } | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn validation(field: &str, error: FieldError) -> Self {
        AppError::Validation(FieldErrors::single(field, error))
    }

    /// Field errors when this is a validation error, else none.
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Validation(errors) => Some(errors),
            _ => None,
        }
    }

    /// Logs `detail` with a fresh reference and returns the opaque error the user sees.
    #[cfg(feature = "ssr")]
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let reference = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        tracing::error!(%reference, "{detail}");
        AppError::Internal { reference }
    }
}

/// A value read back from the database that fails its own check (a text column outside its
/// enum): a bug or a hand edit, reported as an internal error rather than shown to the user.
#[cfg(feature = "ssr")]
pub fn stored<T>(value: Result<T, FieldError>) -> Result<T, AppError> {
    value.map_err(|error| AppError::internal(format_args!("unexpected stored value: {error:?}")))
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server these mean the caller sent arguments that do not decode.
            ServerFnErrorErr::Args(detail)
            | ServerFnErrorErr::Deserialization(detail)
            | ServerFnErrorErr::MissingArg(detail)
                if cfg!(feature = "ssr") =>
            {
                AppError::BadRequest(detail.chars().take(300).collect())
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound => AppError::NotFound,
            // Values Postgres cannot store, from input that passed validation: a NUL character
            // in text (22021), a date or number beyond its type (22008, 22003). The request was
            // bad, not the server.
            sqlx::Error::Database(ref db)
                if matches!(db.code().as_deref(), Some("22021" | "22008" | "22003" | "22P05")) =>
            {
                tracing::info!(%error, "value refused by the database");
                AppError::BadRequest(db.message().chars().take(200).collect())
            }
            // The database is down or every connection is busy: nothing was done, and the same
            // request can succeed in a moment.
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::warn!(%error, "database unavailable");
                AppError::Busy { retry_after_secs: 5 }
            }
            // Postgres shutting down, starting up or recovering from a crash (57P01-57P03), or
            // the connection lost (class 08): the same, seen from inside a statement.
            sqlx::Error::Database(ref db)
                if db
                    .code()
                    .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")) =>
            {
                tracing::warn!(%error, "database unavailable");
                AppError::Busy { retry_after_secs: 5 }
            }
            other => AppError::internal(format_args!("database: {other}")),
        }
    }
}

/// The name of the constraint a database error violated, for mapping to field errors.
#[cfg(feature = "ssr")]
pub fn violated_constraint(error: &sqlx::Error) -> Option<&str> {
    error.as_database_error().and_then(|e| e.constraint())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_collect_per_field_and_fail_as_validation() {
        let mut errors = FieldErrors::new();
        assert_eq!(errors.check("email", Ok::<_, FieldError>(5)), Some(5));
        errors.check::<()>("email", Err(FieldError::InvalidEmail));
        errors.add("password", FieldError::PasswordTooShort { min: 12 });
        assert_eq!(errors.get("email"), &[FieldError::InvalidEmail]);
        assert!(errors.get("name").is_empty());
        let error = errors.into_result().unwrap_err();
        assert_eq!(error.status_code(), http::StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.field_errors().unwrap().0.len(), 2);
    }

    #[test]
    fn app_error_survives_the_wire_encoding() {
        let error = AppError::Throttled { retry_after_secs: 90 };
        let bytes = error.ser();
        assert_eq!(AppError::de(bytes), error);
    }
}
