//! The public web-form endpoint: `POST /forms/{key}/leads`, from any site, no sign-in.

use super::{model::WebFormSubmission, service::FormRefusal};
use crate::{auth::server::RequestContext, state::AppState};
use axum::{
    Extension, Json,
    body::Bytes,
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// The largest lead file accepted (leads are read within the request).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

/// `POST /api/lead-import?name=…` with a CSV or `.xlsx` as the body (under `/api/`, so only same-site
/// requests arrive). Any signed-in user; answers the import report.
pub async fn import(
    Extension(state): Extension<AppState>,
    Extension(context): Extension<RequestContext>,
    body: Bytes,
) -> Response {
    let Some(caller) = context.user.clone() else {
        let error = crate::error::AppError::Unauthorized;
        return (error.status_code(), Json(error)).into_response();
    };
    match super::service::import(&state, &caller, &body).await {
        Ok(report) => Json(report).into_response(),
        Err(error) => (error.status_code(), Json(error)).into_response(),
    }
}

/// Web forms live on the company's own site, so any origin may post (no cookies are involved:
/// the form's key is the only credential, and it only ever creates a lead).
fn open_to_any_origin(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST, OPTIONS"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
    response
}

/// The preflight of a JSON post.
pub async fn preflight() -> Response {
    open_to_any_origin(StatusCode::NO_CONTENT.into_response())
}

/// Takes a submission as JSON or as an ordinary HTML form post. Answers 201 with the lead id
/// (or none when the honeypot caught a bot), 404 for an unknown or closed form, 422 with the
/// field errors, 429 when one address posts too often.
pub async fn submit(
    Extension(state): Extension<AppState>,
    Extension(context): Extension<RequestContext>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let parsed: Result<WebFormSubmission, String> = if json {
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    } else {
        serde_urlencoded::from_bytes(&body).map_err(|e| e.to_string())
    };
    let response = match parsed {
        Err(error) => {
            (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": error }))).into_response()
        }
        Ok(submission) => {
            match super::service::submit_form(&state.pool, &key, submission, context.client_ip)
                .await
            {
                Ok(id) => {
                    (StatusCode::CREATED, Json(serde_json::json!({ "lead": id.map(|i| i.0) })))
                        .into_response()
                }
                Err(FormRefusal::UnknownForm) => StatusCode::NOT_FOUND.into_response(),
                Err(FormRefusal::Throttled) => StatusCode::TOO_MANY_REQUESTS.into_response(),
                Err(FormRefusal::Invalid(error)) => {
                    (error.status_code(), Json(error)).into_response()
                }
            }
        }
    };
    open_to_any_origin(response)
}
