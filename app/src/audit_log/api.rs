//! Server functions of the audit page.

use crate::audit::model::{AuditEntry, AuditFilter};
use crate::{error::AppError, paging::Page};
use leptos::{prelude::*, server_fn::codec::Json};

/// The audit log, newest first, narrowed by `filter`, continuing below `before_id`.
///
/// Admins only. Errors: `Unauthorized`, `Forbidden`.
#[server(input = Json)]
pub async fn list_audit_log(
    filter: AuditFilter,
    before_id: Option<i64>,
) -> Result<Page<AuditEntry>, AppError> {
    use crate::{
        auth::{model::Role, server::require},
        paging::page_size,
        state::AppState,
    };
    require(Role::Admin)?;
    let state = AppState::from_context()?;
    crate::audit::repo::list(&state.pool, &filter, before_id, page_size(None)).await
}
