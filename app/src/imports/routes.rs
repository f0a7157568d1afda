//! Plain HTTP routes for what does not fit a server function: the file upload and CSV downloads.

use super::model::Encoding;
use crate::{
    auth::{
        model::Role,
        server::{Authenticated, RequestContext},
    },
    customers::model::CustomerFilter,
    error::AppError,
    state::AppState,
};
use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, Query},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use std::sync::Arc;

fn refuse(error: AppError) -> Response {
    (error.status_code(), Json(error)).into_response()
}

fn caller(context: &RequestContext, role: Role) -> Result<Arc<Authenticated>, Box<Response>> {
    let user = context.user.clone().ok_or_else(|| Box::new(refuse(AppError::Unauthorized)))?;
    if user.role().includes(role) { Ok(user) } else { Err(Box::new(refuse(AppError::Forbidden))) }
}

#[derive(serde::Deserialize)]
pub struct UploadQuery {
    name: String,
    #[serde(default)]
    encoding: Option<String>,
}

/// `POST /api/import-upload?name=…&encoding=auto|utf-8|gbk` with the file as the body. Under
/// `/api/`, so the same-site POST check applies. Managers and admins; answers `{"id": …}`.
pub async fn upload(
    Extension(state): Extension<AppState>,
    Extension(context): Extension<RequestContext>,
    Query(query): Query<UploadQuery>,
    body: Bytes,
) -> Response {
    let caller = match caller(&context, Role::Manager) {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let encoding =
        query.encoding.as_deref().and_then(|e| Encoding::parse(e).ok()).unwrap_or_default();
    match super::service::upload(&state, &caller, &query.name, encoding, &body).await {
        Ok(id) => Json(serde_json::json!({ "id": id })).into_response(),
        Err(error) => refuse(error),
    }
}

fn csv_download(file_name: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        file_name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-', "_"),
        file_name
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            })
            .collect::<String>(),
    );
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `GET /files/imports/{id}/rejected.csv`: the rejected rows with their reasons.
pub async fn rejected(
    Extension(state): Extension<AppState>,
    Extension(context): Extension<RequestContext>,
    Path(id): Path<i64>,
) -> Response {
    let caller = match caller(&context, Role::Manager) {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    match super::service::rejected_report(&state, &caller, id, context.locale).await {
        Ok((name, bytes)) => csv_download(&name, bytes),
        Err(error) => refuse(error),
    }
}

#[derive(serde::Deserialize)]
pub struct ExportQuery {
    /// The list's filter as JSON.
    filter: Option<String>,
    encoding: Option<String>,
}

/// `GET /files/customers.csv?filter=…&encoding=utf-8|gbk`: the filtered list in the caller's
/// scope.
pub async fn export(
    Extension(state): Extension<AppState>,
    Extension(context): Extension<RequestContext>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let caller = match caller(&context, Role::Member) {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let filter: CustomerFilter = match query.filter.as_deref().map(serde_json::from_str).transpose()
    {
        Ok(filter) => filter.unwrap_or_default(),
        Err(_) => {
            return refuse(AppError::validation("filter", crate::error::FieldError::InvalidChoice));
        }
    };
    let encoding =
        query.encoding.as_deref().and_then(|e| Encoding::parse(e).ok()).unwrap_or(Encoding::Utf8);
    match super::service::export(&state, &caller, filter, encoding, context.locale).await {
        Ok(bytes) => {
            let name = format!("customers-{}.csv", chrono::Utc::now().format("%Y%m%d"));
            let audit = crate::audit::repo::record(
                &state.pool,
                caller.actor(),
                crate::audit::repo::Change::new("export", "customer", "list")
                    .after(&serde_json::json!({ "bytes": bytes.len() })),
            )
            .await;
            if let Err(error) = audit {
                return refuse(error);
            }
            csv_download(&name, bytes)
        }
        Err(error) => refuse(error),
    }
}
