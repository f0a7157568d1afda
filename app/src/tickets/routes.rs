//! `GET /files/ticket-attachments/{id}`: a file a customer emailed, for whoever may see its
//! ticket.

use crate::{auth::server::RequestContext, download, error::AppError, state::AppState};
use axum::{
    Extension,
    body::Body,
    extract::Path,
    http::{HeaderValue, header},
    response::Response,
};

/// The types a browser may show as they are; anything else (HTML or SVG that could run script
/// on Guanxi's origin among them) is only ever downloaded as bytes.
const SHOWN_AS_THEY_ARE: [&str; 6] =
    ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"];

/// A ticket attachment, as a download. Any signed-in user whose scope shows its ticket; others
/// get 404 whatever the id, signed-out visitors 401.
pub async fn attachment(
    Extension(state): Extension<AppState>,
    Extension(context): Extension<RequestContext>,
    Path(id): Path<i64>,
) -> Response {
    let Some(caller) = context.user.clone() else {
        return download::refuse(AppError::Unauthorized);
    };
    match super::service::attachment(&state.pool, &caller, id).await {
        Ok((name, kind, content)) => {
            let kind = kind.to_ascii_lowercase();
            let content_type = SHOWN_AS_THEY_ARE
                .into_iter()
                .find(|shown| kind == *shown)
                .unwrap_or("application/octet-stream");
            let mut response = download::attachment(&name, content_type, Body::from(content));
            let headers = response.headers_mut();
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            // Opened rather than saved, the file still runs nothing, loads nothing and is framed
            // by no one.
            let policy = "default-src 'none'; sandbox; frame-ancestors 'none'";
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
            response
        }
        Err(error) => download::refuse(error),
    }
}
