//! Plain HTTP routes for what does not fit a server function: the file upload and the
//! rejected-rows report.

use super::model::{Encoding, ImportKind};
use crate::{
    auth::{
        model::Role,
        server::{Authenticated, RequestContext},
    },
    error::AppError,
    state::AppState,
};
use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, Query},
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
    /// `customers` (default), `orders` or `interactions`.
    #[serde(default)]
    kind: Option<String>,
}

/// `POST /api/import-upload?name=…&kind=…&encoding=auto|utf-8|gbk|utf-16le|xlsx` with the file
/// (CSV or `.xlsx`) as the body. Under `/api/`, so the same-site POST check applies. Customers:
/// managers and admins; orders and interactions: anyone signed in. Answers `{"id": …}`.
pub async fn upload(
    Extension(state): Extension<AppState>,
    Extension(context): Extension<RequestContext>,
    Query(query): Query<UploadQuery>,
    body: Bytes,
) -> Response {
    let kind = match query.kind.as_deref().map(ImportKind::parse).transpose() {
        Ok(kind) => kind.unwrap_or_default(),
        Err(_) => {
            return refuse(AppError::validation("kind", crate::error::FieldError::InvalidChoice));
        }
    };
    let caller = match caller(&context, super::model::role_for(kind)) {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let encoding =
        query.encoding.as_deref().and_then(|e| Encoding::parse(e).ok()).unwrap_or_default();
    match super::service::upload(&state, &caller, kind, &query.name, encoding, &body).await {
        Ok(id) => Json(serde_json::json!({ "id": id })).into_response(),
        Err(error) => refuse(error),
    }
}

/// `GET /files/imports/{id}/rejected`: the rejected rows with their reasons, as a workbook for
/// a workbook and as CSV in the file's own encoding otherwise. Whoever may see the import.
pub async fn rejected(
    Extension(state): Extension<AppState>,
    Extension(context): Extension<RequestContext>,
    Path(id): Path<i64>,
) -> Response {
    let caller = match caller(&context, Role::Member) {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    match super::service::rejected_report(&state, &caller, id, context.locale, context.time_zone)
        .await
    {
        Ok((name, content_type, bytes)) => {
            crate::download::attachment(&name, content_type, axum::body::Body::from(bytes))
        }
        Err(error) => refuse(error),
    }
}
